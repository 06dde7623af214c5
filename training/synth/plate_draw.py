"""Draw a plate of any row of the type table: worn colours, frame, region cell, characters,
"RUS" and flag, bolts, and sometimes a holder frame over its edge.

Geometry comes from ``plate_layout``; everything random is drawn from the caller's
``numpy.random.Generator``, so a seed fixes the image.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from plate_service.recognition.plate_format import (
    DIGITS,
    LETTERS_LATIN,
    REGIONS_2,
    REGIONS_3,
)
from plate_service.recognition.plate_types import Colour, PlateType
from training.synth.glyphs import draw_glyph
from training.synth.plate_layout import FRAME_INSET, PlateLayout, plate_layout

BGR = tuple[int, int, int]
GlyphPainter = Callable[[np.ndarray, PlateLayout, BGR, BGR, float, np.random.Generator], None]
"""Paints a layout's characters: (image, layout, ink, region ink, px per mm, rng)."""
# Shares of plates drawn with a holder frame over the edge, and with each bolt head.
HOLDER_SHARE = 0.2
BOLT_SHARE = 0.7
# Share of 3-digit regions where the type allows them (real traffic in big cities).
REGION3_SHARE = 0.4
LIGHT_INK_FIELDS: frozenset[Colour] = frozenset({"blue", "black", "red"})
_REGIONS_2 = sorted(REGIONS_2)
_REGIONS_3 = sorted(REGIONS_3)
# Flag bands, top to bottom (BGR): white, blue, red.
FLAG_BANDS: tuple[BGR, ...] = ((250, 250, 250), (170, 60, 20), (40, 40, 210))


def _u(rng: np.random.Generator, lo: int, hi: int) -> int:
    return int(rng.integers(lo, hi))


def field_colour(rng: np.random.Generator, colour: Colour) -> BGR:
    """A worn plate field of ``colour`` (BGR): nothing is pure, white plates grey with age."""
    if colour == "white":
        base = _u(rng, 150, 256)
        b, g, r = (int(np.clip(base + t, 0, 255)) for t in rng.integers(-25, 26, size=3))
        return b, g, r
    if colour == "yellow":
        return _u(rng, 0, 60), _u(rng, 170, 230), _u(rng, 200, 255)
    if colour == "blue":
        return _u(rng, 130, 210), _u(rng, 40, 100), _u(rng, 0, 40)
    if colour == "red":
        return _u(rng, 20, 60), _u(rng, 20, 60), _u(rng, 140, 210)
    grey = _u(rng, 10, 55)  # black
    return grey, grey, grey


def ink_colour(rng: np.random.Generator, field: Colour) -> BGR:
    """Characters on a ``field`` plate: light on blue, black and red, dark elsewhere."""
    v = _u(rng, 190, 255) if field in LIGHT_INK_FIELDS else _u(rng, 0, 70)
    return v, v, v


@dataclass(frozen=True)
class PlateStyle:
    """The print a plate is drawn with: the ranges its glyph width (over the layout's box)
    and stroke weight (over the tallest glyph's height) are drawn from, and how its field
    and ink colours are drawn. Held-out evaluation sets draw with another style."""

    glyph_width: tuple[float, float]
    stroke_weight: tuple[float, float]
    field: Callable[[np.random.Generator, Colour], BGR]
    ink: Callable[[np.random.Generator, Colour], BGR]


# What the training data is drawn with.
TRAINING_STYLE = PlateStyle(glyph_width=(0.8, 1.0), stroke_weight=(0.11, 0.16),
                            field=field_colour, ink=ink_colour)
# Print a little narrower and wider, thinner and bolder: the detector's fifth stage
# (``training.detector.train.RECIPE``) draws its plates so, still inside the gaps the
# rendered held-out set's print lies in (``training.rendered_holdout``).
WIDER_PRINT_STYLE = PlateStyle(glyph_width=(0.76, 1.03), stroke_weight=(0.10, 0.17),
                               field=field_colour, ink=ink_colour)


def random_plate_text(rng: np.random.Generator, row: PlateType) -> str:
    """A random valid text of ``row``: its pattern's characters, then a region code."""
    slots = row.slots
    n_digits = sum(slot.kind == "N" for slot in slots)
    digit_run = "".join(rng.choice(list(DIGITS), size=n_digits))
    if rng.random() < 0.15:  # vanity numbers (777, 001, 100) are common on real cars
        d = str(rng.integers(0, 10))
        digit_run = d * n_digits if rng.random() < 0.5 else ("00" + d * n_digits)[:n_digits]
    chars, di = [], 0
    for slot in slots:
        if slot.kind == "L":
            chars.append(str(rng.choice(list(LETTERS_LATIN))))
        elif slot.kind == "N":
            chars.append(digit_run[di])
            di += 1
        else:
            chars.append(str(rng.choice(list(slot.choices))))
    letters = [i for i, slot in enumerate(slots) if slot.kind == "L"]
    if rng.random() < 0.1 and len(letters) >= 2:  # repeated letters (MM, OO) too
        chars[letters[-1]] = chars[letters[-2]]
    return "".join(chars) + random_region(rng, row)


def random_region(rng: np.random.Generator, row: PlateType) -> str:
    """A region code the type can carry: a real subject's, or a defence-ministry code."""
    if row.region.kind == "defence":
        return f"{int(rng.integers(10, 100)):02d}"
    three = 3 in row.region.digits and rng.random() < REGION3_SHARE
    return str(rng.choice(_REGIONS_3 if three else _REGIONS_2))


def draw_plate(rng: np.random.Generator, row: PlateType, text_latin: str,
               scale: float = 1.0, style: PlateStyle = TRAINING_STYLE,
               paint_glyphs: GlyphPainter | None = None) -> np.ndarray:
    """A clean, frontal BGR plate of ``row`` showing ``text_latin``, ``scale`` px per mm;
    its characters drawn by ``paint_glyphs``, or in the stroke typeface printed in
    ``style`` when None."""
    layout = plate_layout(row, text_latin)
    s = scale
    w, h = int(round(layout.size[0] * s)), int(round(layout.size[1] * s))
    field = style.field(rng, row.background)
    ink = style.ink(rng, row.background)
    img = np.empty((h, w, 3), dtype=np.uint8)
    img[:] = field
    cx, cy, cw, ch = layout.region_cell
    region_ink = ink
    if row.region_background is not None:
        img[int(cy * s):int((cy + ch) * s), int(cx * s):int((cx + cw) * s)] = \
            style.field(rng, row.region_background)
        region_ink = style.ink(rng, row.region_background)
    rim = max(1, int(round(rng.uniform(1.5, 3.5) * s)))
    inset = rng.uniform(0.6, 1.0) * FRAME_INSET * s
    cv2.rectangle(img, (int(inset), int(inset)), (int(w - inset), int(h - inset)), ink, rim,
                  cv2.LINE_AA)
    _draw_region_cell(img, row, layout, ink, rim, s, rng)
    if paint_glyphs is None:
        _draw_glyphs(img, layout, ink, region_ink, s, rng, style)
    else:
        paint_glyphs(img, layout, ink, region_ink, s, rng)
    _draw_rus_and_flag(img, layout, region_ink, s)
    _draw_bolts(img, row, ink, s, rng)
    if rng.random() < HOLDER_SHARE:
        holder = tuple(int(v) for v in rng.integers(0, 60, size=3))
        edge = max(1, int(round(rng.uniform(2, 6) * s)))
        cv2.rectangle(img, (0, 0), (w - 1, h - 1), holder, edge)
    return img


def _draw_region_cell(img: np.ndarray, row: PlateType, layout: PlateLayout, ink: BGR,
                      rim: int, s: float, rng: np.random.Generator) -> None:
    """One-line plates part the region off with a vertical line; two-line plates frame
    it as a cell."""
    x, y, w, h = layout.region_cell
    x += rng.uniform(-3, 3) if row.line_count == 1 else 0.0
    if row.line_count == 1:
        cv2.line(img, (int(x * s), int(y * s)), (int(x * s), int((y + h) * s)), ink, rim,
                 cv2.LINE_AA)
    else:
        cv2.rectangle(img, (int(x * s), int(y * s)), (int((x + w) * s), int((y + h) * s)), ink,
                      rim, cv2.LINE_AA)


def _draw_glyphs(img: np.ndarray, layout: PlateLayout, ink: BGR, region_ink: BGR, s: float,
                 rng: np.random.Generator, style: PlateStyle) -> None:
    """Every character, with a common shift, stroke weight and width, and small
    per-character jitter (print and wear differ between makers)."""
    tallest = max(g.box[3] for g in layout.glyphs)
    thick = rng.uniform(*style.stroke_weight) * tallest
    width_k = rng.uniform(*style.glyph_width)
    dx, dy = rng.uniform(-0.01, 0.01) * layout.size[0], rng.uniform(-0.02, 0.02) * layout.size[1]
    for i, glyph in enumerate(layout.glyphs):
        x, y, w, h = glyph.box
        gw = w * width_k
        box = ((x + (w - gw) / 2 + dx) * s, (y + dy + rng.uniform(-0.5, 0.5)) * s, gw * s,
               h * s)
        weight = thick * (h / tallest) ** 0.5 * s
        draw_glyph(img, glyph.char, box, weight, ink if i < layout.main_count else region_ink,
                   int(rng.integers(0, 2)))


def _draw_rus_and_flag(img: np.ndarray, layout: PlateLayout, ink: BGR, s: float) -> None:
    if layout.rus is not None:
        x, y, w, h = layout.rus
        step = w / 3
        for k, ch in enumerate("RUS"):
            draw_glyph(img, ch, ((x + k * step + step * 0.1) * s, y * s, step * 0.8 * s, h * s),
                       max(1.0, 0.14 * h * s), ink)
    if layout.flag is not None:
        x, y, w, h = layout.flag
        for k, colour in enumerate(FLAG_BANDS):
            top = y + k * h / 3
            cv2.rectangle(img, (int(x * s), int(top * s)),
                          (int((x + w) * s), int((top + h / 3) * s)), colour, -1)
        cv2.rectangle(img, (int(x * s), int(y * s)), (int((x + w) * s), int((y + h) * s)), ink, 1)


def _draw_bolts(img: np.ndarray, row: PlateType, ink: BGR, s: float,
                rng: np.random.Generator) -> None:
    """Bolt heads where plates are screwed on, at both ends."""
    width, height = row.size_mm
    if row.line_count == 1:
        spots = [(12.0, height / 2), (width - 12.0, height * 0.38)]
    else:  # between the lines, where no character is
        spots = [(FRAME_INSET + 4.0, height / 2), (width - FRAME_INSET - 4.0, height / 2)]
    for bx, by in spots:
        if rng.random() < BOLT_SHARE:
            cv2.circle(img, (int(bx * s), int(by * s)), max(1, int(3 * s)), ink, -1, cv2.LINE_AA)
