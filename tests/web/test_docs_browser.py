"""The /docs page renders the API in a real headless Chromium, with no network but loopback."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live import LiveServers
from tests.requirements import missing

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    missing("Chromium is not installed")

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1280,1000", "--virtual-time-budget=10000"]


@pytest.fixture(scope="module")
def live_url() -> Iterator[str]:
    with LiveServers() as servers:
        yield servers.base_url


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args],
                          capture_output=True, text=True, timeout=90, check=False)


def test_swagger_ui_renders_every_operation(live_url: str, tmp_path: Path) -> None:
    dom = _chromium(tmp_path, "--dump-dom", f"{live_url}/docs").stdout
    # Text that only exists once swagger-ui-bundle.js ran and fetched /openapi.json.
    assert "swagger-ui" in dom
    for text in ("/plate/{image_id}", "/plates", "/recognize", "/health", "Recognition"):
        assert text in dom, text


def test_screenshot_of_the_docs_page(live_url: str, tmp_path: Path) -> None:
    shot = tmp_path / "docs.png"
    _chromium(tmp_path, f"--screenshot={shot}", f"{live_url}/docs")
    assert shot.is_file() and shot.stat().st_size > 20_000  # a rendered page, not blank
    if os.environ.get("DOCS_SCREENSHOT"):  # to look at it: DOCS_SCREENSHOT=/tmp/docs.png
        shutil.copyfile(shot, os.environ["DOCS_SCREENSHOT"])
