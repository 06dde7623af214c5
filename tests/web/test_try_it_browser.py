"""The try-it page at / in headless Chromium, driven by Selenium, against a live service.

The provider is fake (tests/live.py) and serves one of our own rendered plates; the
models are fakes that read every plate as С181МВ190. ``TRY_IT_SCREENSHOT=docs/try-it.png``
keeps the screenshot the README shows (``make docs-images``).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from demo_provider.images import bundled_plates
from tests.fakes import plate_like_jpeg
from tests.live import LiveServers
from tests.requirements import missing, require_module

webdriver = require_module("selenium.webdriver")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
if CHROMIUM is None or CHROMEDRIVER is None:
    missing("Chromium or chromedriver is not installed")

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1100,780"]
READING = "С181МВ190"  # what the fake models read; demo plate 1 shows the same text


@pytest.fixture(scope="module")
def live_url() -> Iterator[str]:
    with LiveServers(plate=bundled_plates()[1].data) as servers:
        yield servers.base_url


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    driver = webdriver.Chrome(options=options,
                              service=webdriver.ChromeService(executable_path=CHROMEDRIVER))
    yield driver
    driver.quit()


def _until(browser: Any, condition: Callable[[Any], Any]) -> Any:
    return WebDriverWait(browser, 20).until(condition)


def _text(browser: Any, element_id: str) -> str:
    return str(browser.find_element(By.ID, element_id).text)


def _drawn_image_size(browser: Any) -> tuple[int, int]:
    """The annotated image's natural size, once it has loaded."""
    size = _until(browser, lambda b: b.execute_script(
        "const img = document.getElementById('annotated');"
        "return img.complete && img.naturalWidth > 0 && img.src.startsWith('blob:')"
        " ? [img.naturalWidth, img.naturalHeight] : null;"))
    return int(size[0]), int(size[1])


def _read_id(browser: Any, live_url: str, image_id: str) -> None:
    browser.get(f"{live_url}/")
    box = browser.find_element(By.ID, "image-id")
    box.send_keys(image_id)
    box.send_keys(Keys.ENTER)


def test_an_image_id_gives_the_plate_text_and_the_drawn_image(
        browser: Any, live_url: str, tmp_path: Path) -> None:
    _read_id(browser, live_url, "10")
    _until(browser, lambda b: _text(b, "plate-text") == READING)
    width, height = _drawn_image_size(browser)
    assert width >= 260 and height > 56  # the 260x56 crop with its label band
    assert "C181MB190" in _text(browser, "plates")  # the plate's fields are listed
    assert not browser.find_element(By.ID, "error").is_displayed()
    assert '"image_id": 10' in browser.execute_script(
        "return document.getElementById('raw-json').textContent;")
    shot = tmp_path / "try-it.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 20_000
    if os.environ.get("TRY_IT_SCREENSHOT"):
        shutil.copyfile(shot, os.environ["TRY_IT_SCREENSHOT"])


def test_an_uploaded_file_is_read(browser: Any, live_url: str, tmp_path: Path) -> None:
    upload = tmp_path / "my-plate.jpg"
    upload.write_bytes(plate_like_jpeg())
    browser.get(f"{live_url}/")
    browser.find_element(By.ID, "file").send_keys(str(upload))
    _until(browser, lambda b: _text(b, "plate-text") == READING)
    assert _drawn_image_size(browser)[0] >= 260
    assert '"image_id": null' in browser.execute_script(
        "return document.getElementById('raw-json').textContent;")


def test_an_unknown_id_shows_the_error_in_words(browser: Any, live_url: str) -> None:
    _read_id(browser, live_url, "1")
    _until(browser, lambda b: b.find_element(By.ID, "error").is_displayed())
    assert _text(browser, "error") == "image 1 does not exist at the provider (404)"
    assert not browser.find_element(By.ID, "result").is_displayed()
