"""The rendered held-out set: printed outside the training ranges, every type, fixed by
its seed, and its plates put where the photo's plates were."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from plate_service.recognition.plate_types import COLOURS, plate_type, plate_types
from training.rendered_holdout import (
    HELD_OUT_DIRT,
    HELD_OUT_FIELDS,
    HELD_OUT_GLYPH_WIDTHS,
    HELD_OUT_STROKE_WEIGHTS,
    MIN_COLOUR_DISTANCE,
    MUD_SPECKS,
    SCRATCHES,
    held_out_crop,
    held_out_crops,
    held_out_field,
    held_out_glyphs,
    held_out_ink,
    held_out_photo,
    held_out_plate,
)
from training.real_dev_split import training_crops
from training.synth.conditions import DIRT_STRENGTH, SCRATCH_COUNT, SPECK_COUNT
from training.synth.glyph_bank import build_glyph_bank
from training.synth.plate_draw import TRAINING_STYLE, WIDER_PRINT_STYLE, BGR, PlateStyle
from training.synth.plate_layout import PlateLayout, reading_order_text
from training.synth.real_plate import RealGlyphPainter

# Draws of the training colours: enough that a widened training range reaches the
# held-out colours in some draw.
TRAINING_DRAWS = 4000


def _outside(ranges: tuple[tuple[float, float], ...], training: tuple[float, float]) -> bool:
    return all(hi < training[0] or lo > training[1] for lo, hi in ranges)


@pytest.mark.parametrize("style", [TRAINING_STYLE, WIDER_PRINT_STYLE])
def test_held_out_glyphs_are_narrower_or_wider_and_thinner_or_bolder_than_any_trained(
        style: PlateStyle) -> None:
    assert _outside(HELD_OUT_GLYPH_WIDTHS, style.glyph_width)
    assert _outside(HELD_OUT_STROKE_WEIGHTS, style.stroke_weight)


def test_held_out_dirt_is_thicker_than_any_trained() -> None:
    assert HELD_OUT_DIRT[0] > DIRT_STRENGTH[1]


def test_held_out_plates_wear_more_scratches_and_specks_than_any_trained() -> None:
    assert SCRATCHES[0] > SCRATCH_COUNT[1]
    assert MUD_SPECKS[0] > SPECK_COUNT[1]


def _nearest(colours: list[BGR], training: np.ndarray) -> float:
    points = np.array(colours, np.float32)[:, None, :]
    return float(np.sqrt(((points - training[None]) ** 2).sum(axis=2)).min())


@pytest.mark.parametrize("colour", COLOURS)
def test_held_out_field_and_ink_colours_lie_away_from_every_trained_one(colour: str) -> None:
    assert set(HELD_OUT_FIELDS) == set(COLOURS)
    rng = np.random.default_rng(0)
    fields = np.array([TRAINING_STYLE.field(rng, colour) for _ in range(TRAINING_DRAWS)],
                      np.float32)
    inks = np.array([TRAINING_STYLE.ink(rng, colour) for _ in range(TRAINING_DRAWS)],
                    np.float32)
    held_out = np.random.default_rng(1)
    corners = [tuple(r[i] for r, i in zip(HELD_OUT_FIELDS[colour], (a, b, c)))
               for a in (0, 1) for b in (0, 1) for c in (0, 1)]
    assert _nearest([held_out_field(held_out, colour) for _ in range(300)] + corners,
                    fields) >= MIN_COLOUR_DISTANCE
    assert _nearest([held_out_ink(held_out, colour) for _ in range(300)],
                    inks) >= MIN_COLOUR_DISTANCE


def test_every_type_of_the_table_has_its_crops_in_the_set() -> None:
    crops = list(held_out_crops(per_type=2))
    assert [c.gost_type for c in crops] == [row.gost_type for row in plate_types()
                                            for _ in range(2)]
    assert all(c.image.ndim == 3 and c.image.shape[1] > c.image.shape[0] for c in crops
               if plate_type(c.gost_type).line_count == 1)


def test_the_set_is_fixed_by_its_seed() -> None:
    row = plate_type("1А")
    a, b = held_out_crop(7, row, 3), held_out_crop(7, row, 3)
    assert a.text == b.text and np.array_equal(a.image, b.image)
    other = held_out_crop(8, row, 3)
    assert other.text != a.text or not np.array_equal(other.image, a.image)


def test_text_runs_top_line_first_with_the_region_where_the_plate_prints_it() -> None:
    assert reading_order_text(plate_type("1"), "A123BC777") == "A123BC777"
    assert reading_order_text(plate_type("1А"), "A123BC77") == "A123BC77"
    assert reading_order_text(plate_type("10"), "123D45677") == "123D45677"
    # 4А: letters and region on the top line, the digits under them.
    assert reading_order_text(plate_type("4А"), "AB123477") == "AB771234"


def test_a_pasted_plate_covers_the_labelled_one_and_is_labelled_where_it_lies() -> None:
    photo = np.full((240, 320, 3), 90, np.uint8)
    photo[100:130, 60:260] = 250  # the old plate, 200x30
    photo[105:125, 70:250:12] = 0  # its characters
    labels = [(60, 100, 260, 130, "A123BC77")]
    row = plate_type("4")
    first = held_out_photo(5, row, 0, "s.jpg", photo, labels)
    again = held_out_photo(5, row, 0, "s.jpg", photo, labels)
    assert np.array_equal(first.image, again.image) and first.labels == again.labels
    (x1, y1, x2, y2, text), = first.labels
    assert text.isalnum() and len(text) == 8  # NNNN LL RR
    assert x1 <= 160 <= x2 and y1 <= 115 <= y2  # on the old plate's centre
    assert (x2 - x1) * (y2 - y1) == pytest.approx(200 * 30, rel=0.15)
    beside = first.image[103:127, 62:max(63, x1 - 2)]
    assert beside.size and beside.min() > 40  # no old character left beside it


class _CountingGlyphs:
    """A glyph painter that paints nothing and counts the characters it is asked for."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def __call__(self, img: np.ndarray, layout: PlateLayout, ink: BGR, region_ink: BGR,
                 s: float, rng: np.random.Generator) -> None:
        self.texts.append("".join(glyph.char for glyph in layout.glyphs))


def test_a_plate_printed_in_real_glyphs_takes_its_characters_from_them_and_no_wear() -> None:
    row = plate_type("22")
    glyphs = _CountingGlyphs()
    plate, text = held_out_plate(np.random.default_rng(3), row, 150, glyphs)
    assert len(glyphs.texts) == 1 and sorted(glyphs.texts[0]) == sorted(text)
    worn, _ = held_out_plate(np.random.default_rng(3), row, 150)
    # Neither printed nor worn, the field between the frame and the characters is even;
    # the held-out wear's dirt and scratches make it uneven.
    h, w = plate.shape[:2]
    rows, cols = slice(h // 2 - 2, h // 2 + 2), slice(w // 10, w // 10 + 4)
    even, uneven = (float(image[rows, cols].reshape(-1, 3).std(axis=0).max())
                    for image in (plate, worn))
    assert even < 3 < uneven


def test_real_glyphs_of_the_held_out_set_come_from_crops_no_model_trains_on(
        shared_data: Path) -> None:
    bank = build_glyph_bank(shared_data, held_out=True)
    sources = {g.source for glyphs in bank.glyphs.values() for g in glyphs}
    assert sources
    in_training = training_crops(shared_data)
    assert all(source.startswith("real-dev/") and not in_training[f"crops/{source.split('/')[1]}"]
               for source in sources)
    painter = held_out_glyphs(shared_data)  # what the evals' --type-print real prints with
    assert isinstance(painter, RealGlyphPainter) and painter.bank.counts() == bank.counts()
