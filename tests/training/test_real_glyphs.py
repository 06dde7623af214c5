"""Real print for every type: glyphs cut from the real training crops, plates composed
from them, and plates pasted into real photos in place of their plates."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from plate_service.recognition.plate_format import DIGITS, LETTERS_LATIN
from plate_service.recognition.plate_types import PlateType, by_name, plate_types
from tests.training.test_plate_draw import assert_type_colours
from training.real_dev_split import training_crops
from training.synth.glyph_bank import GlyphBank, build_glyph_bank, cut_glyphs
from training.synth.plate_draw import draw_plate, random_plate_text
from training.synth.real_plate import RealGlyphPainter, compose_plate
from training.synth.real_sheet import write_real_sheet
from training.synth.scene_paste import paste_plate, paste_scene, plate_corners, scene_plates

ROWS = plate_types()
# Fewest cuts the training crops give of each character (they give 18-53 of each digit).
MIN_DIGITS, MIN_REGION_DIGITS, MIN_LETTERS = 15, 5, 10


@pytest.fixture(scope="module")
def bank(shared_data: Path) -> GlyphBank:
    return build_glyph_bank(shared_data)


@pytest.fixture(scope="module")
def painter(bank: GlyphBank) -> RealGlyphPainter:
    return RealGlyphPainter(bank)


def test_a_type_1_plate_is_cut_into_its_characters_in_order() -> None:
    plate = draw_plate(np.random.default_rng(0), by_name("private"), "A123BC77", 0.5)
    glyphs = cut_glyphs(plate, "A123BC77")
    assert "".join(g.char for g in glyphs) == "A123BC77"
    assert [g.size for g in glyphs] == ["main"] * 6 + ["region"] * 2
    for glyph in glyphs:
        x, y, w, h = glyph.ink_box
        assert glyph.alpha[y:y + h, x:x + w].max() > 0.9  # ink inside its box


def test_a_crop_that_does_not_show_its_text_gives_no_glyphs() -> None:
    plate = draw_plate(np.random.default_rng(0), by_name("private"), "A123BC77", 0.5)
    assert cut_glyphs(plate, "1234567A") == []  # digits where letters are
    assert cut_glyphs(np.full((30, 140, 3), 200, np.uint8), "A123BC77") == []


def test_the_bank_cuts_every_character_from_the_real_crops(bank: GlyphBank) -> None:
    counts = bank.counts()
    for digit in DIGITS:
        assert counts.get(digit, 0) >= MIN_DIGITS, (digit, counts)
        assert counts.get(f"{digit}/region", 0) >= MIN_REGION_DIGITS, (digit, counts)
    for letter in LETTERS_LATIN:
        assert counts.get(letter, 0) >= MIN_LETTERS, (letter, counts)


def test_the_bank_never_holds_a_held_out_crop(bank: GlyphBank, shared_data: Path) -> None:
    allowed = training_crops(shared_data)
    sources = {g.source for glyphs in bank.glyphs.values() for g in glyphs}
    assert sources
    for source in sources:
        folder, name = source.split("/")
        assert folder == "real-extra" or allowed[f"crops/{name}"], source


def test_the_bank_is_empty_without_the_data(tmp_path: Path) -> None:
    assert len(build_glyph_bank(tmp_path / "absent")) == 0


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.gost_type)
def test_a_composed_plate_has_the_type_s_size_and_colours(
        row: PlateType, painter: RealGlyphPainter) -> None:
    rng = np.random.default_rng(2)
    img = compose_plate(rng, row, random_plate_text(rng, row), painter, 1.0)
    assert img.shape == (row.size_mm[1], row.size_mm[0], 3)
    assert_type_colours(img, row)


def test_a_composed_plate_is_not_the_renderer_s(painter: RealGlyphPainter) -> None:
    row = by_name("private")
    real = compose_plate(np.random.default_rng(4), row, "A123BC77", painter)
    drawn = draw_plate(np.random.default_rng(4), row, "A123BC77")
    assert np.abs(real.astype(int) - drawn.astype(int)).mean() > 5


def test_the_latin_d_is_drawn_with_a_real_letter_s_weight(painter: RealGlyphPainter) -> None:
    assert not painter.bank.get("D", "main")
    glyph = painter.pick("D", "main", "", None, np.random.default_rng(0))
    x, y, w, h = glyph.ink_box
    ink = glyph.alpha[y:y + h, x:x + w] > 0.5
    assert glyph.source == "drawn" and 0.15 < ink.mean() < 0.6
    # A drawn letter is as bold as the real ones around it.
    real_ink = [(g.alpha > 0.5).sum() / (g.ink_box[2] * g.ink_box[3]) for g in painter.letters]
    assert 0.5 < ink.mean() / float(np.median(real_ink)) < 2.0


def test_a_one_line_plate_takes_the_real_plate_s_corners() -> None:
    quad = np.array([[100, 50], [300, 52], [301, 95], [99, 93]], np.float32)
    assert np.allclose(plate_corners(quad, 520 / 112), quad)


def test_a_two_line_plate_stands_centred_inside_the_real_plate() -> None:
    quad = np.array([[100, 50], [300, 50], [300, 94], [100, 94]], np.float32)
    corners = plate_corners(quad, 290 / 170)
    assert np.allclose(corners[:, 1], quad[:, 1])
    assert np.allclose(corners.mean(axis=0), quad.mean(axis=0))
    width = corners[1, 0] - corners[0, 0]
    assert width == pytest.approx(44 * 290 / 170, rel=1e-3)


def test_pasting_keeps_the_photo_and_paints_only_the_plate() -> None:
    rng = np.random.default_rng(0)
    photo = rng.integers(60, 120, size=(300, 400, 3)).astype(np.uint8)
    quad = np.array([[100, 120], [300, 120], [300, 163], [100, 163]], np.float32)
    photo[120:163, 100:300] = 230  # the real plate, white
    plate = draw_plate(rng, by_name("type_1a"), "A123BC77", 1.0)
    image, corners = paste_plate(rng, photo, quad, plate)
    assert image.shape == photo.shape
    assert corners[:, 0].min() > 100 and corners[:, 0].max() < 300
    # The old white plate is gone beside the new square one; far away nothing changed.
    assert image[125:158, 105:125].mean() < 200
    assert np.array_equal(image[:60], photo[:60])


def test_a_pasted_scene_keeps_the_photo_s_size_and_lies_on_its_plate(
        shared_data: Path, painter: RealGlyphPainter) -> None:
    plates = scene_plates(shared_data)
    assert len(plates) > 100
    rng = np.random.default_rng(1)
    names = ["private", "motorcycle", "police", "type_1a", "diplomatic_staff", "military"]
    for source, row in zip(plates[::40], [by_name(name) for name in names]):
        photo = cv2.imread(str(source.path), cv2.IMREAD_COLOR)
        pasted = paste_scene(rng, photo, source.quad, painter, row)
        assert pasted.image.shape == photo.shape
        assert pasted.plate_type == row.name
        x1, y1 = source.quad.min(axis=0) - 1
        x2, y2 = source.quad.max(axis=0) + 1
        assert (pasted.corners[:, 0] >= x1).all() and (pasted.corners[:, 0] <= x2).all()
        assert (pasted.corners[:, 1] >= y1).all() and (pasted.corners[:, 1] <= y2).all()
        assert np.allclose(pasted.corners.mean(axis=0), source.quad.mean(axis=0), atol=1.0)


def test_the_real_sheet_shows_every_type(tmp_path: Path, shared_data: Path) -> None:
    sheet = cv2.imread(str(write_real_sheet(tmp_path / "real.png", shared_data)))
    # Two tiles per type in real glyphs and one pasted photo per type, two tiles a row.
    assert sheet is not None and sheet.shape[0] >= len(ROWS) * 3 // 2 * 200


def test_the_same_seed_composes_and_pastes_the_same(
        shared_data: Path, painter: RealGlyphPainter) -> None:
    row = by_name("motorcycle")
    a = compose_plate(np.random.default_rng(5), row, "1234AB77", painter)
    b = compose_plate(np.random.default_rng(5), row, "1234AB77", painter)
    assert np.array_equal(a, b)
    source = scene_plates(shared_data)[0]
    photo = cv2.imread(str(source.path), cv2.IMREAD_COLOR)
    first = paste_scene(np.random.default_rng(6), photo, source.quad, painter)
    second = paste_scene(np.random.default_rng(6), photo, source.quad, painter)
    assert np.array_equal(first.image, second.image) and first.text_latin == second.text_latin
