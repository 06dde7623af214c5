"""The benchmark's own commands, run as a developer runs them (``python -m bench.X``).

Their figures go into docs/benchmarks.md, so they must measure what they say: a fake
upstream that answered the wrong image, an A/B run that timed one checkout twice, or a
photo table that dropped a set would make the numbers there wrong. The tests never import
``bench``: what it shares with them lives in ``testkit``.
"""

from __future__ import annotations

import asyncio
import csv
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import cv2
import numpy as np
import pytest

from demo_provider.images import bundled_plates
from tests.conftest import MODELS_DIR, REPO_ROOT
from tests.fakes import plate_like_jpeg
from tests.requirements import missing
from testkit.fake_provider import FakeProvider, serving
from testkit.processes import free_port, until_ready

MEASURES = ["one crop", "decode + read", "batch of 64", "~1 MP photo"]


def _bench(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=REPO_ROOT, text=True,
                          capture_output=True, check=check, timeout=600)


def _table(output: str) -> dict[str, list[str]]:
    """A Markdown table's rows below its head: first cell -> the other cells."""
    rows = [line.strip("|").split("|") for line in output.splitlines()
            if line.startswith("| ")][1:]
    return {cells[0].strip(): [cell.strip() for cell in cells[1:]] for cells in rows}


@asynccontextmanager
async def _started(module: str, *args: str, ready: str, **env: str) -> AsyncIterator[str]:
    """``python -m module`` on a free port: its URL once ``ready`` answers 200."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", module, *[a.replace("{port}", str(port)) for a in args],
        cwd=REPO_ROOT, env={**os.environ, "PORT": str(port), **env},
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    try:
        await until_ready(f"{url}{ready}", process)
        yield url
    finally:
        process.kill()
        await process.wait()


@pytest.fixture
async def fake_upstream() -> AsyncIterator[str]:
    async with _started("bench.fake_upstream", "--port", "{port}", ready="/hits") as url:
        yield url


async def test_fake_upstream_serves_every_id_as_one_of_the_rendered_plates(
        fake_upstream: str) -> None:
    plates = [stored.data for stored in bundled_plates().values()]
    async with aiohttp.ClientSession() as session:  # one keep-alive connection, reused
        for image_id in (0, 7, 123456789):
            async with session.get(f"{fake_upstream}/images/{image_id}") as response:
                assert response.status == 200
                assert response.content_type == "image/jpeg"
                assert await response.read() == plates[image_id % len(plates)]
        for path in ("/images/abc", "/other", "/images/"):
            async with session.get(f"{fake_upstream}{path}") as response:
                assert response.status == 404


async def test_fake_upstream_waits_the_configured_latency() -> None:
    async with _started("bench.fake_upstream", "--port", "{port}", "--latency-ms", "50",
                        ready="/hits") as url, aiohttp.ClientSession() as session:
        started = time.perf_counter()
        async with session.get(f"{url}/images/1") as response:
            await response.read()
        assert time.perf_counter() - started >= 0.045


async def test_http_only_service_answers_every_image_with_the_first_ones_reading() -> None:
    plates = list(bundled_plates().values())
    images = {1: plates[0].data, 2: plates[1].data}
    assert plates[0].text_latin != plates[1].text_latin
    async with FakeProvider(serving(images)) as provider, \
            _started("bench.http_only_service", ready="/ready", HOST="127.0.0.1",
                     IMAGE_PROVIDER_URL=provider.url, MODELS_DIR=str(MODELS_DIR),
                     LOG_LEVEL="WARNING") as url, \
            aiohttp.ClientSession() as session:
        answers = []
        for image_id in (1, 2, 1):
            async with session.get(f"{url}/plate/{image_id}") as response:
                answers.append((await response.json())["plates"][0]["text_latin"])
    assert answers == [plates[0].text_latin] * 3


def test_interleaved_comparison_of_a_checkout_with_itself_reports_every_measure() -> None:
    output = _bench("bench.interleaved", ".", ".", "--calls", "50", "--blocks", "2").stdout
    table = _table(output)
    assert list(table) == MEASURES
    for a_ms, b_ms, _, each_block in table.values():
        assert float(a_ms) > 0 and float(b_ms) > 0
        assert len(each_block.split()) == 2


def test_interleaved_reads_a_folder_of_photos_once_per_block(tmp_path: Path) -> None:
    for name in ("a.jpg", "b.jpg", "c.jpg"):
        (tmp_path / name).write_bytes(plate_like_jpeg())
    output = _bench("bench.interleaved", ".", ".", "--calls", "50", "--blocks", "2",
                    "--photos", str(tmp_path)).stdout
    table = _table(output)
    assert list(table) == MEASURES + ["3 photos in turn"]
    assert len(table["3 photos in turn"][3].split()) == 2


def test_interleaved_refuses_a_photo_folder_without_photos(tmp_path: Path) -> None:
    run = _bench("bench.interleaved", ".", ".", "--photos", str(tmp_path), check=False)
    assert run.returncode != 0
    assert "no *.jpg photos in" in run.stderr


def _checkout_copy(into: Path) -> Path:
    """A checkout of this package and its models, as ``git worktree add`` would give."""
    shutil.copytree(REPO_ROOT / "plate_service", into / "plate_service",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (into / "models").symlink_to(MODELS_DIR)
    return into


def test_interleaved_runs_each_checkouts_own_code_down_to_its_absolute_imports(
        tmp_path: Path) -> None:
    checkout = _checkout_copy(tmp_path / "b")
    # Reached only through ``from plate_service.recognition.model_card import ...`` inside
    # the checkout: a copy whose imports were not renamed would load this checkout's.
    with (checkout / "plate_service" / "recognition" / "model_card.py").open("a") as module:
        module.write("\nraise RuntimeError('checkout B runs its own model_card')\n")
    run = _bench("bench.interleaved", ".", str(checkout), "--calls", "2", "--blocks", "1",
                 check=False)
    assert run.returncode != 0
    assert "checkout B runs its own model_card" in run.stderr


def _scene(seed: int) -> np.ndarray:
    """A 640x480 textured photo with a plate-like crop pasted at (200, 300)."""
    rng = np.random.default_rng(seed)
    noise = rng.integers(0, 255, (30, 40, 3), dtype=np.uint8)
    photo = cv2.resize(noise, (640, 480), interpolation=cv2.INTER_CUBIC)
    plate = cv2.imdecode(np.frombuffer(plate_like_jpeg(), np.uint8), cv2.IMREAD_COLOR)
    assert plate is not None
    photo[300:356, 200:460] = plate
    return photo


def _labelled_folder(root: Path, photos: int) -> Path:
    """``root/labels.csv`` and ``root/scenes/``, the layout of ../shared/data's folders."""
    (root / "scenes").mkdir(parents=True)
    with (root / "labels.csv").open("w", newline="", encoding="utf-8") as labels:
        writer = csv.writer(labels)
        writer.writerow(["file", "kind", "plate_latin", "x1", "y1", "x2", "y2"])
        for number in range(photos):
            cv2.imwrite(str(root / "scenes" / f"s{number}.jpg"), _scene(number))
            writer.writerow([f"scenes/s{number}.jpg", "scene", "A123BC77", 200, 300, 460, 356])
        writer.writerow(["crops/c0.png", "crop", "A123BC77", "", "", "", ""])
    return root


@pytest.fixture(scope="module")
def labelled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield _labelled_folder(tmp_path_factory.mktemp("labelled"), photos=3)


def _spreads(row: list[str]) -> tuple[int, list[float], list[float]]:
    """(photos, [median, p90, max] in ms, the same in decodes) of one row of the table."""
    found = [re.fullmatch(r"(\d+) ms \(([\d.]+)x decode\)", cell) for cell in row[1:]]
    assert all(found), row
    return (int(row[0]), [float(m[1]) for m in found if m],
            [float(m[2]) for m in found if m])


@pytest.mark.parametrize("folder", ["scenes", "."])
def test_photo_times_come_per_set_in_ms_and_in_decodes(labelled: Path, folder: str) -> None:
    table = _table(_bench("bench.photos", str(labelled / folder), "--rotate", "15",
                          "--repeats", "1").stdout)
    assert list(table) == ["upright", "turned +15°", "photo without a plate"]
    for row in table.values():
        photos, ms, decodes = _spreads(row)
        assert photos == 3
        assert 0 < ms[0] <= ms[1] <= ms[2]
        assert 1 < decodes[0] <= decodes[1] <= decodes[2]  # a read costs more than a decode


def test_photo_times_refuse_a_folder_without_labels(tmp_path: Path) -> None:
    run = _bench("bench.photos", str(tmp_path), check=False)
    assert run.returncode != 0 and "no labels.csv" in run.stderr


def test_photo_times_on_the_real_photos(shared_data: Path) -> None:
    scenes = shared_data / "real-dev" / "scenes"
    if not (scenes.parent / "labels.csv").is_file():
        missing(f"no labelled real-dev photos at {scenes}")
    table = _table(_bench("bench.photos", str(scenes),
                          "--limit", "3", "--repeats", "1").stdout)
    assert [_spreads(row)[0] for row in table.values()] == [3, 3]
