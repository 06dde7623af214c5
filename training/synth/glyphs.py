"""A stroke-drawn GOST-like plate typeface: each glyph is polylines in a unit box, drawn with cv2.

Drawn by our own code so training needs no font package and renders the same everywhere.
The plate typeface is a geometric sans with stadium-shaped round glyphs; thick
anti-aliased strokes of these centre lines come close to it.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

Stroke = list[tuple[float, float]]


def _arc(cx: float, cy: float, rx: float, ry: float, a0: float, a1: float,
         n: int = 14) -> Stroke:
    """Points on an elliptic arc; angles in degrees, 0 = right, 90 = down (image axes)."""
    return [(cx + rx * math.cos(math.radians(a)), cy + ry * math.sin(math.radians(a)))
            for a in np.linspace(a0, a1, n)]


def _flip(strokes: list[Stroke]) -> list[Stroke]:
    return [[(1 - x, 1 - y) for x, y in s] for s in strokes]


def _stadium(x0: float, y0: float, x1: float, y1: float) -> Stroke:
    """A closed vertical stadium (the plate's 0 and O)."""
    r = (x1 - x0) / 2
    cx = (x0 + x1) / 2
    ry = min(r * 1.1, (y1 - y0) / 2)
    top = _arc(cx, y0 + ry, r, ry, 180, 360)
    bottom = _arc(cx, y1 - ry, r, ry, 0, 180)
    return top + bottom + [top[0]]


def _six(variant: int) -> list[Stroke]:
    if variant == 0:
        return [_arc(0.5, 0.3, 0.5, 0.3, 320, 180) + [(0.0, 0.68)],
                _arc(0.5, 0.68, 0.5, 0.32, 0, 360, 20)]
    return [[(0.78, 0.0), (0.12, 0.5)], _arc(0.5, 0.68, 0.5, 0.32, 0, 360, 20)]


def glyph_strokes(char: str, variant: int = 0) -> list[Stroke]:
    """Centre lines of a character (Latin look-alike, Latin D or digit) in a unit box, y down."""
    v = variant % 2
    if char == "0":
        return [_stadium(0, 0, 1, 1)]
    if char == "1":
        return [[(0.1, 0.22), (0.62, 0.0), (0.62, 1.0)]]
    if char == "2":
        return [_arc(0.5, 0.28, 0.5, 0.28, 190, 375) + [(0.0, 1.0), (1.0, 1.0)]]
    if char == "3":
        if v == 0:
            return [_arc(0.5, 0.25, 0.45, 0.25, 200, 450) + _arc(0.5, 0.73, 0.5, 0.27, 270, 520)]
        return [[(0.05, 0.0), (0.95, 0.0), (0.4, 0.4)] + _arc(0.5, 0.7, 0.5, 0.3, 260, 510)]
    if char == "4":
        return [[(0.75, 1.0), (0.75, 0.0), (0.0, 0.7), (1.0, 0.7)]]
    if char == "5":
        return [[(0.92, 0.0), (0.1, 0.0), (0.04, 0.45)] + _arc(0.5, 0.68, 0.5, 0.32, 215, 520)]
    if char == "6":
        return _six(v)
    if char == "7":
        return [[(0.0, 0.0), (1.0, 0.0), (0.3 + 0.1 * v, 1.0)]]
    if char == "8":
        return [_arc(0.5, 0.25, 0.42, 0.25, 0, 360, 20), _arc(0.5, 0.73, 0.5, 0.27, 0, 360, 20)]
    if char == "9":
        return _flip(_six(v))
    if char == "A":
        return [[(0.0, 1.0), (0.5, 0.0), (1.0, 1.0)], [(0.2, 0.64), (0.8, 0.64)]]
    if char == "B":
        return [[(0.0, 0.47), (0.6, 0.47)] + _arc(0.6, 0.235, 0.35, 0.235, 90, -90)
                + [(0.0, 0.0), (0.0, 1.0), (0.62, 1.0)] + _arc(0.62, 0.735, 0.38, 0.265, 90, -90)
                + [(0.0, 0.47)]]
    if char == "E":
        return [[(1.0, 0.0), (0.0, 0.0), (0.0, 1.0), (1.0, 1.0)], [(0.0, 0.48), (0.8, 0.48)]]
    if char == "K":
        return [[(0.0, 0.0), (0.0, 1.0)], [(0.95, 0.0), (0.05, 0.56)], [(0.32, 0.4), (1.0, 1.0)]]
    if char == "M":
        return [[(0.0, 1.0), (0.0, 0.0), (0.5, 0.62), (1.0, 0.0), (1.0, 1.0)]]
    if char == "H":
        return [[(0.0, 0.0), (0.0, 1.0)], [(1.0, 0.0), (1.0, 1.0)], [(0.0, 0.5), (1.0, 0.5)]]
    if char == "O":
        if v == 0:
            return [_arc(0.5, 0.5, 0.5, 0.5, 0, 360, 24)]
        return [_stadium(0, 0, 1, 1)]
    if char == "P":
        return [[(0.0, 1.0), (0.0, 0.0), (0.6, 0.0)] + _arc(0.6, 0.27, 0.4, 0.27, 270, 450)
                + [(0.0, 0.54)]]
    if char == "C":
        return [_arc(0.5, 0.5, 0.5, 0.5, 40, 320, 20)]
    if char == "T":
        return [[(0.0, 0.0), (1.0, 0.0)], [(0.5, 0.0), (0.5, 1.0)]]
    if char == "Y":
        if v == 0:
            return [[(0.0, 0.0), (0.5, 0.62)], [(1.0, 0.0), (0.32, 1.0)]]
        return [[(0.0, 0.0), (0.0, 0.35)] + _arc(0.35, 0.35, 0.35, 0.3, 180, 90)[1:]
                + [(0.95, 0.6)], [(1.0, 0.0), (1.0, 0.75)] + _arc(0.55, 0.75, 0.45, 0.25, 0, 120)]
    if char == "X":
        return [[(0.0, 0.0), (1.0, 1.0)], [(1.0, 0.0), (0.0, 1.0)]]
    if char == "D":  # Latin D, printed on diplomatic plates
        return [[(0.0, 0.0), (0.45, 0.0)] + _arc(0.45, 0.5, 0.55, 0.5, 270, 450)
                + [(0.0, 1.0), (0.0, 0.0)]]
    if char == "R":  # only for the "RUS" caption
        return [[(0.0, 1.0), (0.0, 0.0), (0.6, 0.0)] + _arc(0.6, 0.27, 0.4, 0.27, 270, 450)
                + [(0.0, 0.54)], [(0.4, 0.54), (1.0, 1.0)]]
    if char == "U":
        return [[(0.0, 0.0), (0.0, 0.6)] + _arc(0.5, 0.6, 0.5, 0.4, 180, 0) + [(1.0, 0.0)]]
    if char == "S":
        return [_arc(0.5, 0.25, 0.5, 0.25, 340, 90) + _arc(0.5, 0.75, 0.5, 0.25, 270, 500)]
    raise KeyError(f"no glyph for {char!r}")


def draw_glyph(canvas: np.ndarray, char: str, box: tuple[float, float, float, float],
               thickness: float, color: tuple[int, ...], variant: int = 0,
               slant: float = 0.0) -> None:
    """Draw a glyph into box (x, y, w, h) in pixels; strokes stay inside the box."""
    x, y, w, h = box
    pad = thickness / 2
    iw, ih = max(w - 2 * pad, 1.0), max(h - 2 * pad, 1.0)
    shift = 4  # sub-pixel precision for cv2 drawing
    scale = 1 << shift
    t = max(1, int(round(thickness)))
    for stroke in glyph_strokes(char, variant):
        pts = np.array([[(x + pad + px * iw + slant * (1 - py) * ih) * scale,
                         (y + pad + py * ih) * scale] for px, py in stroke], dtype=np.int32)
        cv2.polylines(canvas, [pts], False, color, t, cv2.LINE_AA, shift)
