"""Plates of any type composed from real glyph images recoloured to the type's ink.

The renderer draws the field, frame, region cell, "RUS" and flag; each character is a
real one from the glyph bank in the type's ink (light on blue, black and red), so real
print and wear reach every type.

A glyph's grey levels are its alpha: the ink's soft edges, worn holes and the field's
noise around it come from the real crop; the colours come from the type. Characters the
real crops never show (the diplomatic Latin D) are drawn by the stroke typeface at the
real letters' stroke weight and given a real letter's texture.
"""

from __future__ import annotations

import cv2
import numpy as np

from plate_service.recognition.plate_types import PlateType
from training.synth.glyph_bank import Glyph, GlyphBank, GlyphSize
from training.synth.glyphs import draw_glyph
from training.synth.plate_draw import BGR, draw_plate
from training.synth.plate_layout import LETTER_ASPECT, PlateLayout

# Height at which a drawn glyph is made before scaling, about a real cut's.
DRAWN_H = 64
# A real glyph may be this much wider than the layout's box before it is squeezed (the
# real typeface's widths differ from the layout's nominal ones).
MAX_WIDEN = 1.12
FEATHER = 0.08  # the patch's edge fades in over this share of its size: no seams
MAX_TEXTURE = 0.35  # how far a real texture may move a drawn glyph's alpha
# Crops tried for a plate's print, and how many glyphs of the nearest print a missing
# character is drawn from; stroke ratios (about 0.14) scaled to weigh like softness.
SOURCE_TRIES = 8
NEAREST_STYLES = 3
STROKE_SCALE = 0.03


def _stroke_ratio(glyph: Glyph) -> float:
    """Stroke width over height: twice the ink's area over its outline's length."""
    x, y, w, h = glyph.ink_box
    mask = (glyph.alpha[y:y + h, x:x + w] > 0.5).astype(np.uint8)
    contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    outline = sum(cv2.arcLength(c, True) for c in contours)
    return 2.0 * float(mask.sum()) / max(outline, 1.0) / h


def _texture(glyph: Glyph) -> np.ndarray:
    """What a real glyph adds to a clean print of itself: wear, noise, JPEG."""
    clean = cv2.GaussianBlur((glyph.alpha > 0.5).astype(np.float32), (0, 0), 1.0)
    return (glyph.alpha - clean).clip(-MAX_TEXTURE, MAX_TEXTURE)


def _softness(glyph: Glyph) -> float:
    """Edge width over ink: how blurred the real print came out."""
    edge = float(((glyph.alpha > 0.2) & (glyph.alpha < 0.8)).sum())
    return edge / max(float((glyph.alpha >= 0.5).sum()), 1.0)


class RealGlyphPainter:
    """Paints a layout's characters from a glyph bank (a ``GlyphPainter`` for ``draw_plate``).

    A real plate's characters share one print: each plate takes its glyphs from the one
    real crop that holds most of its text, and the rest from the glyphs nearest that
    crop's stroke weight and blur.
    """

    def __init__(self, bank: GlyphBank) -> None:
        self.bank = bank
        self.letters = [g for (c, s), gl in bank.glyphs.items() if s == "main" and c.isalpha()
                        for g in gl]
        self.stroke = float(np.median([_stroke_ratio(g) for g in self.letters])) \
            if self.letters else 0.13
        self.style = {id(g): np.array([_stroke_ratio(g) / STROKE_SCALE, _softness(g)])
                      for gl in bank.glyphs.values() for g in gl}
        self.chars: dict[str, set[str]] = {}
        for (char, _), glyphs in bank.glyphs.items():
            for g in glyphs:
                self.chars.setdefault(g.source, set()).add(char)
        self.sources = sorted(self.chars)

    def __call__(self, img: np.ndarray, layout: PlateLayout, ink: BGR, region_ink: BGR,
                 s: float, rng: np.random.Generator) -> None:
        text = {g.char for g in layout.glyphs}
        tried = rng.permutation(len(self.sources))[:SOURCE_TRIES]
        source = max((self.sources[int(i)] for i in tried),
                     key=lambda src: len(text & self.chars[src]), default="")
        own = [self.style[id(g)] for gl in self.bank.glyphs.values() for g in gl
               if g.source == source]
        style = np.median(own, axis=0) if own else None
        dx = rng.uniform(-0.01, 0.01) * layout.size[0]
        dy = rng.uniform(-0.02, 0.02) * layout.size[1]
        for i, placed in enumerate(layout.glyphs):
            size: GlyphSize = "main" if i < layout.main_count else "region"
            glyph = self.pick(placed.char, size, source, style, rng)
            x, y, w, h = placed.box
            box = ((x + dx) * s, (y + dy + rng.uniform(-0.5, 0.5)) * s, w * s, h * s)
            paste_glyph(img, glyph, box, ink if size == "main" else region_ink)

    def pick(self, char: str, size: GlyphSize, source: str, style: np.ndarray | None,
             rng: np.random.Generator) -> Glyph:
        """A real glyph of ``char``: from ``source`` when it has one, else one of those
        nearest ``style``; a drawn one when the bank has none."""
        glyphs = self.bank.get(char, size)
        if not glyphs:
            return self.drawn(char, rng)
        same = [g for g in glyphs if g.source == source]
        if same:
            return same[int(rng.integers(0, len(same)))]
        if style is not None:
            glyphs = sorted(glyphs, key=lambda g: float(np.linalg.norm(self.style[id(g)] - style)))
            glyphs = glyphs[:NEAREST_STYLES]
        return glyphs[int(rng.integers(0, len(glyphs)))]

    def drawn(self, char: str, rng: np.random.Generator) -> Glyph:
        """``char`` drawn by the stroke typeface at the real letters' weight, softened and
        given a real letter's texture (its wear and noise, not its shape)."""
        h = DRAWN_H
        w = int(round(LETTER_ASPECT * h))
        margin = int(0.12 * h)
        canvas = np.zeros((h + 2 * margin, w + 2 * margin), np.uint8)
        draw_glyph(canvas, char, (margin, margin, w, h), self.stroke * h, (255,))
        alpha = np.asarray(cv2.GaussianBlur(canvas.astype(np.float32) / 255, (0, 0),
                                            rng.uniform(0.6, 1.6)), np.float32)
        if self.letters:
            real = self.letters[int(rng.integers(0, len(self.letters)))]
            alpha = alpha + cv2.resize(_texture(real), alpha.shape[::-1],
                                       interpolation=cv2.INTER_LINEAR)
        return Glyph(char, "main", alpha.clip(-0.3, 1.0), (margin, margin, w, h), "drawn")


def _feather(n: int) -> np.ndarray:
    """Weights along a patch side: 1 inside, falling to ~0 at both ends."""
    ramp = max(2.0, FEATHER * n)
    edge = np.minimum(np.arange(n) + 1, np.arange(n)[::-1] + 1) / ramp
    return np.minimum(1.0, edge).astype(np.float32)


def paste_glyph(img: np.ndarray, glyph: Glyph, box: tuple[float, float, float, float],
                colour: BGR) -> None:
    """Blend ``glyph`` in ``colour`` into ``img`` with its ink filling ``box``'s height on
    the box's bottom, centred across it at the real glyph's own width (squeezed when
    wider than the box allows)."""
    bx, by, bw, bh = box
    gx, gy, gw, gh = glyph.ink_box
    fy = bh / gh
    fx = min(fy, MAX_WIDEN * bw / gw)
    ph, pw = glyph.alpha.shape
    size = (max(1, int(round(pw * fx))), max(1, int(round(ph * fy))))
    interp = cv2.INTER_AREA if fy < 1 else cv2.INTER_LINEAR
    alpha = cv2.resize(glyph.alpha, size, interpolation=interp)
    alpha *= _feather(size[1])[:, None] * _feather(size[0])[None, :]
    x0 = int(round(bx + (bw - gw * fx) / 2 - gx * fx))
    y0 = int(round(by + bh - (gy + gh) * fy))
    h, w = img.shape[:2]
    cx0, cy0 = max(0, x0), max(0, y0)
    cx1, cy1 = min(w, x0 + size[0]), min(h, y0 + size[1])
    if cx1 <= cx0 or cy1 <= cy0:
        return
    a = alpha[cy0 - y0:cy1 - y0, cx0 - x0:cx1 - x0, None]
    window = img[cy0:cy1, cx0:cx1].astype(np.float32)
    window += a * (np.array(colour, np.float32) - window)
    img[cy0:cy1, cx0:cx1] = window.clip(0, 255).astype(np.uint8)


def compose_plate(rng: np.random.Generator, row: PlateType, text_latin: str,
                  painter: RealGlyphPainter, scale: float = 1.0) -> np.ndarray:
    """A frontal BGR plate of ``row`` showing ``text_latin`` in the real glyphs of
    ``painter``'s bank, ``scale`` px per mm."""
    return draw_plate(rng, row, text_latin, scale, paint_glyphs=painter)
