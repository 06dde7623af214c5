"""A rendered held-out set of every plate type, printed outside the training ranges.

A set drawn by the training renderer with another seed only tells whether a model learnt
its renderer. Here every plate's print lies outside what the training data is drawn
with (``HELD_OUT_STYLE`` against ``plate_draw.TRAINING_STYLE``, ``HELD_OUT_DIRT`` against
``conditions.DIRT_STRENGTH``), and it wears more scratches and mud specks than training
draws (``conditions.SCRATCH_COUNT``, ``conditions.SPECK_COUNT``). Crops are the rendered
plates; photos are the held-out real-dev photos with these plates pasted over their
labelled ones. Everything is drawn from ``(seed, type, index)``, so a
seed fixes the set; it is built at eval time, never stored (the photos are third-party).

The set can also be printed in real glyphs (``held_out_glyphs``), as plates built from
characters cut out of real plate photos are: glyphs cut from the held-out half of
real-dev, which no model trains on, in the held-out colours, with no drawn wear (real
glyphs bring their own print and wear).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from plate_service.recognition.plate_types import Colour, PlateType, plate_types
from training.synth.conditions import jpeg, low_freq
from training.synth.glyph_bank import build_glyph_bank
from training.synth.plate_draw import (
    BGR,
    GlyphPainter,
    PlateStyle,
    draw_plate,
    random_plate_text,
)
from training.synth.plate_layout import reading_order_text
from training.synth.real_plate import RealGlyphPainter

DEFAULT_SEED = 2030
# Plates per type, crops and photos each (the maintainers' held-out set has as many).
DEFAULT_PER_TYPE = 24
LabelRow = tuple[int, int, int, int, str]

# Glyph width over its layout box: makers' fonts narrower and wider than the training's
# range (each plate takes one of the two ranges).
HELD_OUT_GLYPH_WIDTHS = ((0.66, 0.74), (1.05, 1.1))
# Stroke weight over the tallest glyph: thinner print than the training's.
# Not bolder: the region digits take the main glyphs' weight, and bolder print fills
# their counters until people cannot read them either.
HELD_OUT_STROKE_WEIGHTS = ((0.07, 0.095),)
# Field colours (BGR ranges per channel) no training plate has: aged white film gone
# ivory, amber instead of lemon yellow, a lighter blue, maroon red, black faded to
# blue-grey. Each lies >= MIN_COLOUR_DISTANCE from every training colour of its field.
HELD_OUT_FIELDS: dict[Colour, tuple[tuple[int, int], tuple[int, int], tuple[int, int]]] = {
    "white": ((130, 148), (200, 218), (230, 250)),
    "yellow": ((0, 40), (118, 146), (215, 255)),
    "blue": ((226, 250), (116, 146), (52, 80)),
    "red": ((25, 55), (15, 40), (92, 118)),
    "black": ((84, 100), (68, 80), (58, 68)),
}
# Ink colours: training ink is neutral grey; held-out dark ink is navy-black and light
# ink yellowed white, as old print looks.
HELD_OUT_DARK_INK = ((62, 80), (34, 46), (14, 26))
HELD_OUT_LIGHT_INK = ((150, 172), (196, 214), (214, 234))
MIN_COLOUR_DISTANCE = 20.0
# Dirt thicker than the training's DIRT_STRENGTH, always present, plus scratches and mud
# specks, more of each than the training draws on any plate.
HELD_OUT_DIRT = (0.55, 0.65)
SCRATCHES = (6, 14)
MUD_SPECKS = (20, 60)
# Crops: how wide plates are drawn (px), one-line and two-line, and their JPEG quality.
CROP_WIDTH_ONE_LINE = (140, 260)
CROP_WIDTH_TWO_LINES = (80, 150)
CROP_JPEG = (70, 92)
PHOTO_JPEG = 90
# Render at this many times the final size, then shrink: the shrink blurs as a lens does.
SUPERSAMPLE = 2.0


def _uniform_bgr(rng: np.random.Generator,
                 ranges: tuple[tuple[int, int], ...]) -> BGR:
    b, g, r = (int(rng.integers(lo, hi + 1)) for lo, hi in ranges)
    return b, g, r


def held_out_field(rng: np.random.Generator, colour: Colour) -> BGR:
    """A plate field of ``colour`` in a shade no training plate has."""
    return _uniform_bgr(rng, HELD_OUT_FIELDS[colour])


def held_out_ink(rng: np.random.Generator, field: Colour) -> BGR:
    """Characters on a ``field`` plate: light where the standard has them, in a tint."""
    light = field in ("blue", "black", "red")
    return _uniform_bgr(rng, HELD_OUT_LIGHT_INK if light else HELD_OUT_DARK_INK)


def _pick(rng: np.random.Generator, ranges: tuple[tuple[float, float], ...]
          ) -> tuple[float, float]:
    return ranges[int(rng.integers(0, len(ranges)))]


def held_out_style(rng: np.random.Generator) -> PlateStyle:
    """One plate's print: narrow or wide glyphs, thin or bold strokes, held-out colours."""
    return PlateStyle(glyph_width=_pick(rng, HELD_OUT_GLYPH_WIDTHS),
                      stroke_weight=_pick(rng, HELD_OUT_STROKE_WEIGHTS),
                      field=held_out_field, ink=held_out_ink)


def held_out_wear(rng: np.random.Generator, plate: np.ndarray) -> np.ndarray:
    """Thick dirt, scratches and mud specks on a BGR plate."""
    h, w = plate.shape[:2]
    x = plate.astype(np.float32)
    dirt = low_freq(rng, (h, w), int(rng.integers(4, 12)))
    x *= (1 - rng.uniform(*HELD_OUT_DIRT) * dirt)[..., None]
    scratches = np.zeros((h, w), np.float32)
    for _ in range(int(rng.integers(SCRATCHES[0], SCRATCHES[1] + 1))):
        x0, y0 = rng.uniform(0, w), rng.uniform(0, h)
        length, angle = rng.uniform(0.1, 0.4) * w, np.radians(rng.normal(0, 20))
        x1, y1 = x0 + length * np.cos(angle), y0 + length * np.sin(angle)
        cv2.line(scratches, (int(x0), int(y0)), (int(x1), int(y1)), 1.0,
                 max(1, round(h / 80)), cv2.LINE_AA)
    x = x * (1 - 0.6 * scratches[..., None]) + 220 * 0.6 * scratches[..., None]
    for _ in range(int(rng.integers(MUD_SPECKS[0], MUD_SPECKS[1] + 1))):
        centre = (int(rng.uniform(0, w)), int(rng.uniform(0, h)))
        cv2.circle(x, centre, max(1, round(rng.uniform(0.005, 0.015) * h)), (40, 50, 60), -1,
                   cv2.LINE_AA)
    return x.clip(0, 255).astype(np.uint8)


def _key(seed: int, row: PlateType, index: int) -> tuple[int, int, int]:
    """A generator key per plate that stays put when the table gains or reorders rows."""
    return seed, zlib.crc32(row.gost_type.encode()), index


def held_out_glyphs(data_dir: Path) -> GlyphPainter:
    """A painter of real glyphs cut from the held-out half of real-dev under ``data_dir``
    (drawn glyphs where it has none of a character)."""
    return RealGlyphPainter(build_glyph_bank(data_dir, held_out=True))


def held_out_plate(rng: np.random.Generator, row: PlateType, width_px: int,
                   glyphs: GlyphPainter | None = None) -> tuple[np.ndarray, str]:
    """A held-out plate of ``row`` ``width_px`` wide and its text in reading order: worn,
    or printed in real ``glyphs`` (``held_out_glyphs``) and not worn."""
    text = random_plate_text(rng, row)
    scale = SUPERSAMPLE * width_px / row.size_mm[0]
    plate = draw_plate(rng, row, text, scale, held_out_style(rng), paint_glyphs=glyphs)
    if glyphs is None:
        plate = held_out_wear(rng, plate)
    height = max(8, round(width_px / row.aspect))
    plate = cv2.resize(plate, (width_px, height), interpolation=cv2.INTER_AREA)
    return plate, reading_order_text(row, text)


@dataclass(frozen=True)
class HeldOutCrop:
    """One rendered plate crop and the text it shows."""

    gost_type: str
    image: np.ndarray
    text: str


@dataclass(frozen=True)
class HeldOutPhoto:
    """A real photo with rendered plates of one type pasted over its labelled plates."""

    gost_type: str
    scene: str
    image: np.ndarray
    labels: tuple[LabelRow, ...]


def held_out_crop(seed: int, row: PlateType, index: int, glyphs: GlyphPainter | None = None
                  ) -> HeldOutCrop:
    """Crop ``index`` of ``row``: the plate (``held_out_plate``) in a thin margin of car
    body, JPEG-compressed."""
    rng = np.random.default_rng(_key(seed, row, index))
    widths = CROP_WIDTH_ONE_LINE if row.line_count == 1 else CROP_WIDTH_TWO_LINES
    plate, text = held_out_plate(rng, row, int(rng.integers(widths[0], widths[1] + 1)),
                                 glyphs)
    margin = max(1, round(plate.shape[0] * rng.uniform(0.03, 0.08)))
    body = tuple(int(v) for v in rng.integers(20, 200, size=3))
    crop = cv2.copyMakeBorder(plate, margin, margin, margin, margin, cv2.BORDER_CONSTANT,
                              value=body)
    return HeldOutCrop(row.gost_type, jpeg(crop, int(rng.integers(CROP_JPEG[0],
                                                                  CROP_JPEG[1] + 1))), text)


def held_out_crops(seed: int = DEFAULT_SEED, per_type: int = DEFAULT_PER_TYPE,
                   glyphs: GlyphPainter | None = None) -> Iterator[HeldOutCrop]:
    """``per_type`` crops of every type of the table, type by type."""
    for row in plate_types():
        for index in range(per_type):
            yield held_out_crop(seed, row, index, glyphs)


def _cover(image: np.ndarray, box: tuple[int, int, int, int]) -> None:
    """Paint the labelled plate out from its surroundings, so no old character shows
    beside a narrower new plate (inpainted at a quarter size: smooth anyway, and fast)."""
    x1, y1, x2, y2 = box
    pad, border, shrink = 3, 12, 4
    top, left = max(0, y1 - pad - border), max(0, x1 - pad - border)
    window = image[top:y2 + pad + border, left:x2 + pad + border]
    mask = np.zeros(window.shape[:2], np.uint8)
    mask[max(0, y1 - pad) - top:y2 + pad - top, max(0, x1 - pad) - left:x2 + pad - left] = 255
    size = (max(2, window.shape[1] // shrink), max(2, window.shape[0] // shrink))
    # Any touch of the plate marks a small pixel, so none of the old plate is kept.
    small_mask = np.where(cv2.resize(mask, size, interpolation=cv2.INTER_AREA) > 0, 255, 0)
    small = cv2.inpaint(cv2.resize(window, size, interpolation=cv2.INTER_AREA),
                        small_mask.astype(np.uint8), 3, cv2.INPAINT_TELEA)
    filled = cv2.resize(small, (window.shape[1], window.shape[0]),
                        interpolation=cv2.INTER_LINEAR)
    window[mask > 0] = filled[mask > 0]


def paste_plate(image: np.ndarray, box: tuple[int, int, int, int], plate: np.ndarray
                ) -> tuple[int, int, int, int]:
    """Put ``plate`` centred on ``box``, lit as the old plate was (its brightest tenth
    matched), with a soft edge; the box it now fills."""
    x1, y1, x2, y2 = box
    h, w = plate.shape[:2]
    height, width = image.shape[:2]
    px = int(np.clip(round((x1 + x2 - w) / 2), 0, max(0, width - w)))
    py = int(np.clip(round((y1 + y2 - h) / 2), 0, max(0, height - h)))
    w, h = min(w, width - px), min(h, height - py)
    old = cv2.cvtColor(image[y1:y2, x1:x2], cv2.COLOR_BGR2GRAY)
    new = cv2.cvtColor(plate, cv2.COLOR_BGR2GRAY)
    gain = np.clip(np.percentile(old, 90) / max(np.percentile(new, 90), 1.0), 0.3, 1.2)
    lit = plate[:h, :w].astype(np.float32) * gain
    alpha = np.zeros((h + 2, w + 2), np.float32)
    alpha[1:-1, 1:-1] = 1.0
    alpha = cv2.GaussianBlur(alpha, (3, 3), 0.6)[1:-1, 1:-1, None]
    region = image[py:py + h, px:px + w].astype(np.float32)
    image[py:py + h, px:px + w] = (alpha * lit + (1 - alpha) * region).clip(0, 255
                                                                            ).astype(np.uint8)
    return px, py, px + w, py + h


def held_out_photo(seed: int, row: PlateType, index: int, scene: str, photo: np.ndarray,
                   labels: list[LabelRow], glyphs: GlyphPainter | None = None
                   ) -> HeldOutPhoto:
    """``photo`` with each labelled plate covered and a held-out plate of ``row`` put in
    its place, as large as the old plate's box in area (so a square plate is as legible
    as the long plate it replaces)."""
    rng = np.random.default_rng(_key(seed, row, index))
    image = photo.copy()
    rows = []
    for x1, y1, x2, y2, _ in labels:
        _cover(image, (x1, y1, x2, y2))
        width_px = max(16, round(np.sqrt((x2 - x1) * (y2 - y1) * row.aspect)))
        plate, text = held_out_plate(rng, row, width_px, glyphs)
        rows.append((*paste_plate(image, (x1, y1, x2, y2), plate), text))
    return HeldOutPhoto(row.gost_type, scene, jpeg(image, PHOTO_JPEG), tuple(rows))


def held_out_photos(photos: Path, scenes: dict[str, list[LabelRow]],
                    seed: int = DEFAULT_SEED, per_type: int = DEFAULT_PER_TYPE,
                    glyphs: GlyphPainter | None = None) -> Iterator[HeldOutPhoto]:
    """``per_type`` photos of every type: the ``scenes`` (names under ``photos``) taken in
    turn, each type starting at another scene."""
    names = sorted(scenes)
    if not names:
        return
    for t, row in enumerate(plate_types()):
        for index in range(per_type):
            name = names[(t * per_type + index) % len(names)]
            image = cv2.imread(str(photos / name), cv2.IMREAD_COLOR)
            if image is None:
                raise FileNotFoundError(photos / name)
            yield held_out_photo(seed, row, index, name, image, scenes[name], glyphs)
