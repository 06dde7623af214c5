"""The renderer draws every row of the type table: its size, its colours, its text."""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np
import pytest

from plate_service.recognition.plate_format import LETTERS_LATIN, REGIONS
from plate_service.recognition.plate_types import PlateType, plate_types
from training.synth.conditions import (
    CONDITIONS,
    MIN_JPEG_QUALITY,
    MIN_PLATE_WIDTH,
    infrared_grey,
    jpeg,
    low_light,
    motion_blur,
    random_condition,
    shrink_to_width,
)
from training.synth.plate_draw import draw_plate, random_plate_text
from training.synth.plate_layout import plate_layout
from training.synth.sheet import write_sheet

SCALE = 1.0
ROWS = plate_types()


def _regex(row: PlateType) -> re.Pattern[str]:
    parts = {"L": f"[{LETTERS_LATIN}]", "N": "[0-9]"}
    body = "".join(f"({'|'.join(s.choices)})" if s.kind == "fixed" else parts[s.kind]
                   for s in row.slots)
    return re.compile(body + "(?P<region>[0-9]{2,3})")


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.gost_type)
def test_random_texts_fit_the_type(row: PlateType) -> None:
    rng = np.random.default_rng(1)
    for _ in range(30):
        text = random_plate_text(rng, row)
        match = _regex(row).fullmatch(text)
        assert match is not None, text
        region = match["region"]
        assert len(region) in row.region.digits
        assert row.region.kind == "defence" or region in REGIONS


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.gost_type)
def test_a_plate_has_the_type_s_size_and_colours(row: PlateType) -> None:
    rng = np.random.default_rng(2)
    img = draw_plate(rng, row, random_plate_text(rng, row), SCALE)
    h, w = img.shape[:2]
    assert (w, h) == (round(row.size_mm[0] * SCALE), round(row.size_mm[1] * SCALE))
    assert_type_colours(img, row)


def assert_type_colours(img: np.ndarray, row: PlateType) -> None:
    """``img`` shows ``row``'s field colour and its characters' lightness."""
    # Characters cover less than half the plate, so the median pixel is the field's.
    b, g, r = (float(v) for v in np.median(img.reshape(-1, 3), axis=0))
    field = {
        "white": b > 120 and g > 120 and r > 120,
        "yellow": r > 170 and g > 140 and b < 90,
        "blue": b > r + 80,
        "red": r > b + 80 and r > g + 80,
        "black": max(b, g, r) < 70,
    }
    assert field[row.background], (row.background, (b, g, r))
    gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY).astype(float)
    median = float(np.median(gray))
    if row.characters == "white":
        assert np.percentile(gray, 97) > median + 60
    else:
        assert np.percentile(gray, 3) < median - 60


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.gost_type)
def test_glyphs_stay_on_the_plate_in_their_lines(row: PlateType) -> None:
    text = random_plate_text(np.random.default_rng(3), row)
    layout = plate_layout(row, text)
    assert "".join(g.char for g in layout.glyphs) == text
    width, height = row.size_mm
    for glyph in layout.glyphs:
        x, y, w, h = glyph.box
        assert 0 <= x and x + w <= width and 0 <= y and y + h <= height, glyph
    tops = {round(g.box[1] + g.box[3]) // (height // row.line_count)
            for g in layout.glyphs[:layout.main_count]}
    assert len(tops) == row.line_count


def test_the_same_seed_draws_the_same_plate() -> None:
    row = ROWS[1]
    a = draw_plate(np.random.default_rng(5), row, "A123BC77")
    b = draw_plate(np.random.default_rng(5), row, "A123BC77")
    c = draw_plate(np.random.default_rng(6), row, "A123BC77")
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_camera_conditions_keep_the_plate_and_reach_their_limits() -> None:
    rng = np.random.default_rng(7)
    plate = draw_plate(rng, ROWS[0], "A123BC77", 0.8)
    assert motion_blur(plate, 15, 30).shape == plate.shape
    assert jpeg(plate, MIN_JPEG_QUALITY).shape == plate.shape
    night = low_light(plate, rng, 0.25, 10)
    assert night.mean() < plate.mean() * 0.5
    assert infrared_grey(plate, 1.3, 1.0).ndim == 2
    assert shrink_to_width(plate, MIN_PLATE_WIDTH).shape[1] == MIN_PLATE_WIDTH
    names = {random_condition(plate, np.random.default_rng(i))[0] for i in range(40)}
    assert names == set(CONDITIONS)


def test_the_contact_sheet_shows_every_type(tmp_path: Path) -> None:
    path = write_sheet(tmp_path / "sheet.png")
    sheet = cv2.imread(str(path))
    # Two tiles per type (clean and worn) plus the camera conditions, two tiles a row.
    assert sheet is not None and sheet.shape[0] >= len(ROWS) * 200
