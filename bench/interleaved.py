"""``python -m bench.interleaved DIR_A DIR_B``: two checkouts' recognition speed, in one process.

On a shared machine the same code measures 20-40 % apart from one run to the next, and
each core's speed drifts on its own, so two versions timed one after the other (or side
by side on two cores) compare the machine's moods, not the code. Here both are loaded
into one process, each under a package name of its own (a copy of its ``plate_service``
whose imports are renamed), and each measure alternates A's call and B's call, swapping
who goes first, so every slow spell hits both alike. The calls: one crop, decode +
auto-mode read, the OCR on a batch of 64 crops and a ~1 MP photo, on 1 thread, with this
checkout's images and each checkout's own models; with ``--photos DIR``, also decode +
auto-mode read of the photos in DIR, both sides reading the same photo in turn. Reported
per block of calls: the median of A's and of B's; the ratio is the median over blocks.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import itertools
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any, NamedTuple

import cv2
import numpy as np

from bench.images import provider_crops, scene_photo

PACKAGE = "plate_service"
_MENTION = re.compile(rf"\b{PACKAGE}\b")
# Generous bounds, the same for both sides: the checks cost the same whatever they are.
_LIMITS = {"max_bytes": 64 << 20, "max_pixels": 100_000_000, "max_side": 20_000}


def one_image(recognizer: Any) -> Callable[..., object]:
    """``recognize(image, mode)`` of a checkout's recogniser, so that any two checkouts
    compare: a recogniser whose ``recognize`` takes a list of images is handed a list of
    one."""
    if "images" in inspect.signature(recognizer.recognize).parameters:
        return lambda image, mode="auto": recognizer.recognize([image], mode)[0]
    return recognizer.recognize


def alias_checkout(checkout: Path, suffix: str, into: Path) -> None:
    """Copy ``checkout``'s package into ``into`` as ``plate_service_<suffix>``, every
    mention of the package in its source renamed alike, so two versions import side by
    side."""
    target = into / f"{PACKAGE}_{suffix}"
    shutil.copytree(checkout / PACKAGE, target,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for source in target.rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        source.write_text(_MENTION.sub(f"{PACKAGE}_{suffix}", text), encoding="utf-8")


def _module(suffix: str, name: str) -> ModuleType:
    return importlib.import_module(f"{PACKAGE}_{suffix}.{name}")


class Measure(NamedTuple):
    """A call to time, and how often: ``weight`` calls per 25 of a single-image measure,
    or, when ``per_block`` is set, that many calls in each block."""

    weight: int
    call: Callable[[], object]
    per_block: int | None = None


def measures(checkout: Path, suffix: str, photos: Sequence[bytes]) -> dict[str, Measure]:
    """The calls to time with the aliased checkout ``suffix``, by name; ``photos`` (JPEG
    bytes) are read one after the other, each once in every block."""
    loading = _module(suffix, "recognition.loading")
    image = _module(suffix, "recognition.image")
    decode_image, limits = image.decode_image, image.ImageLimits(**_LIMITS)
    recognize = one_image(loading.load_recognizer(checkout / "models", threads=1))
    reader = loading.load_reader(checkout / "models" / "ocr", threads=1)
    jpegs = provider_crops()
    crops = [cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR) for data in jpegs]
    batch = [crops[i % len(crops)] for i in range(64)]
    photo = scene_photo()
    calls = {
        "one crop": Measure(25, lambda: recognize(crops[0], "crop")),
        "decode + read": Measure(25, lambda: recognize(decode_image(jpegs[0], limits))),
        "batch of 64": Measure(1, lambda: reader.read(batch)),
        "~1 MP photo": Measure(1, lambda: recognize(decode_image(photo, limits), "scene")),
    }
    if photos:
        turns = itertools.cycle(photos)
        calls[f"{len(photos)} photos in turn"] = Measure(
            1, lambda: recognize(decode_image(next(turns), limits)), per_block=len(photos))
    return calls


def compare(a: Path, b: Path, calls: int, blocks: int, photos: Sequence[bytes] = ()
            ) -> dict[str, list[tuple[float, float]]]:
    """Per measure, (A's median ms, B's median ms) of each block of alternated calls."""
    cv2.setNumThreads(1)
    with tempfile.TemporaryDirectory(prefix="bench-interleaved-") as folder:
        alias_checkout(a, "a", Path(folder))
        alias_checkout(b, "b", Path(folder))
        for name in [name for name in sys.modules  # copies an earlier call imported
                     if name.partition(".")[0] in (f"{PACKAGE}_a", f"{PACKAGE}_b")]:
            del sys.modules[name]
        sys.path.insert(0, folder)
        try:
            side_a, side_b = measures(a, "a", photos), measures(b, "b", photos)
        finally:
            sys.path.remove(folder)
        pairs: dict[str, list[tuple[float, float]]] = {}
        for name, (weight, call_a, per_block) in side_a.items():
            call_b = side_b[name].call
            count = per_block or max(2, calls * weight // 25 // blocks)
            for _ in range(max(1, count // 10)):
                call_a()
                call_b()
            for _ in range(blocks):
                times: tuple[list[float], list[float]] = ([], [])
                for i in range(count):
                    for side in ((0, 1) if i % 2 == 0 else (1, 0)):
                        started = time.perf_counter()
                        (call_a if side == 0 else call_b)()
                        times[side].append(time.perf_counter() - started)
                pairs.setdefault(name, []).append(
                    (statistics.median(times[0]) * 1000, statistics.median(times[1]) * 1000))
    return pairs


def report(pairs: dict[str, list[tuple[float, float]]]) -> str:
    """A Markdown table: per measure, A's and B's median ms and B / A over the blocks."""
    lines = ["| measure | A, ms | B, ms | B / A, median of blocks | each block |",
             "|---|---|---|---|---|"]
    for name, rows in pairs.items():
        ratios = [b / a for a, b in rows]
        lines.append(
            f"| {name} | {statistics.median(a for a, _ in rows):.3f} "
            f"| {statistics.median(b for _, b in rows):.3f} "
            f"| {statistics.median(ratios) - 1:+.1%} "
            f"| {' '.join(f'{ratio - 1:+.0%}' for ratio in ratios)} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.interleaved",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("a", type=Path, help="checkout A (e.g. a git worktree of a base)")
    parser.add_argument("b", type=Path, help="checkout B")
    parser.add_argument("--calls", type=int, default=3000,
                        help="calls of each side per single-image measure (a 25th for the "
                             "others)")
    parser.add_argument("--blocks", type=int, default=8)
    parser.add_argument("--photos", type=Path,
                        help="a folder of JPEG photos to read in turn as one more measure")
    args = parser.parse_args(argv)
    photos = ([path.read_bytes() for path in sorted(args.photos.glob("*.jpg"))]
              if args.photos else [])
    if args.photos and not photos:
        parser.error(f"no *.jpg photos in {args.photos}")
    print(report(compare(args.a.resolve(), args.b.resolve(), args.calls, args.blocks, photos)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
