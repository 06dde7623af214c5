"""A bank of real character images cut out of the real plate crops the models may train on.

Drawn glyphs alone teach a model the renderer; glyphs cut from real crops carry real print,
wear, blur and light to every plate type. The crops are tight type-1 plates with known
text, so each is cut by that layout: dark connected components of a binarised, deskewed
crop, the main row (``L NNN LL``, digits taller than letters, one baseline) and the region
digits (smaller, higher, right of the main row). A crop whose components do not match its
text is not cut, so a bad segmentation never yields a mislabelled glyph.

Built from ``../shared/data`` at training time and never stored in the repository (the
crops are third-party images).
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import cv2
import numpy as np

from training.real_dev_split import training_crops

logger = logging.getLogger(__name__)

GlyphSize = Literal["main", "region"]
# Crops are cut at one working height, where a main digit is about 60 px high.
WORK_H = 120
# Smallest source height (original pixels) of a cut character: below it the glyph is
# mostly blur and JPEG blocks, not print.
MIN_SOURCE_CHAR_H = 11
MAX_SKEW_DEG = 12.0
# Type-1 proportions (GOST figure, over the digit height): letters 58/76 of a digit, the
# region digits the same; letters within these bounds of the digits' height.
LETTER_RATIO = (0.6, 0.93)
REGION_RATIO = (0.5, 0.95)
# A character's ink: width over height and the share of its box it fills.
CHAR_ASPECT = (0.12, 1.25)
CHAR_FILL = (0.12, 0.8)
# Margin kept around a glyph's ink, over its height: the real field's texture around it.
MARGIN = 0.12
FIELD_TEXTURE = 0.12  # the field's noise kept around the ink, in ink-coverage units
FIELD_FADE = 0.04  # ... fading over this share of the glyph's height from the ink
MAIN_CHARS = 6  # the type-1 pattern L NNN LL
# A cut is kept only when its ink looks like the median of its character's cuts (a
# fragment, a bolt or a neighbour in the box does not) and is about as wide.
SHAPE_SIZE = (16, 24)
MIN_SHAPE_CORR = 0.6
MAX_ASPECT_DEVIATION = 0.3


@dataclass(frozen=True)
class Glyph:
    """One real character: ``alpha`` is its ink coverage read from the crop's grey levels
    (1 = ink, 0 = the field, a little below 0 where the field is lighter: its texture),
    with the ink's tight box ``ink_box`` (x, y, w, h) inside it."""

    char: str
    size: GlyphSize
    alpha: np.ndarray
    ink_box: tuple[int, int, int, int]
    source: str


@dataclass
class GlyphBank:
    """Real glyphs keyed by (character, size)."""

    glyphs: dict[tuple[str, GlyphSize], list[Glyph]] = field(default_factory=dict)

    def add(self, glyph: Glyph) -> None:
        self.glyphs.setdefault((glyph.char, glyph.size), []).append(glyph)

    def get(self, char: str, size: GlyphSize) -> list[Glyph]:
        """Glyphs of ``char`` at ``size``; region digits stand in for main ones and back
        (same typeface, printed smaller)."""
        other: GlyphSize = "main" if size == "region" else "region"
        return self.glyphs.get((char, size)) or self.glyphs.get((char, other)) or []

    def counts(self) -> dict[str, int]:
        """Glyphs per character and size, as ``"7"`` (main) and ``"7/region"``."""
        return {(c if s == "main" else f"{c}/region"): len(g)
                for (c, s), g in sorted(self.glyphs.items())}

    def __len__(self) -> int:
        return sum(len(g) for g in self.glyphs.values())


@dataclass(frozen=True)
class _Blob:
    x: int
    y: int
    w: int
    h: int
    label: int

    @property
    def bottom(self) -> int:
        return self.y + self.h


def _ink(gray: np.ndarray) -> np.ndarray:
    """Dark print on a light field, as a 0/1 mask robust to uneven light."""
    block = (gray.shape[0] // 2) | 1
    mask = cv2.adaptiveThreshold(gray, 1, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV,
                                 block, 12)
    return cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))


def _blobs(mask: np.ndarray) -> tuple[list[_Blob], np.ndarray]:
    """Character-like components (not touching the crop's edge) and the label image."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    height, width = mask.shape
    found = []
    for i in range(1, count):
        x, y, w, h, area = (int(v) for v in stats[i])
        if not 0.2 * height <= h <= 0.95 * height or x == 0 or y == 0:
            continue
        if x + w >= width or y + h >= height:
            continue
        fill = area / (w * h)
        if CHAR_ASPECT[0] <= w / h <= CHAR_ASPECT[1] and CHAR_FILL[0] <= fill <= CHAR_FILL[1]:
            found.append(_Blob(x, y, w, h, i))
    return found, labels


def _main_row(blobs: list[_Blob], text: str) -> list[_Blob] | None:
    """The six blobs of the main row, or None: consecutive left to right, their bottoms on
    one straight baseline (tilted at most ``MAX_SKEW_DEG``), digits of one height, letters
    the type's share of it, no wide gap."""
    ordered = sorted(blobs, key=lambda b: b.x)
    is_digit = np.array([c.isdigit() for c in text])
    for start in range(len(ordered) - MAIN_CHARS + 1):
        run = ordered[start:start + MAIN_CHARS]
        heights = np.array([b.h for b in run], float)
        digit_h = float(np.median(heights[is_digit]))
        if np.ptp(heights[is_digit]) > 0.12 * digit_h:
            continue
        ratio = float(np.median(heights[~is_digit])) / digit_h
        if not LETTER_RATIO[0] <= ratio <= LETTER_RATIO[1]:
            continue
        xs = np.array([b.x + b.w / 2 for b in run])
        bottoms = np.array([b.bottom for b in run], float)
        slope, offset = np.polyfit(xs, bottoms, 1)
        if abs(slope) > np.tan(np.radians(MAX_SKEW_DEG)):
            continue
        if np.abs(bottoms - (slope * xs + offset)).max() > 0.08 * digit_h:
            continue
        gaps = [b.x - (a.x + a.w) for a, b in zip(run, run[1:])]
        if min(gaps) >= -1 and max(gaps) <= 0.9 * digit_h:
            return run
    return None


def _region(blobs: list[_Blob], main: list[_Blob], count: int) -> list[_Blob] | None:
    """The region's digits: right of the main row, above its baseline, one top line."""
    digit_h = max(b.h for b in main)
    right = main[-1].x + main[-1].w
    base = np.median([b.bottom for b in main])
    cands = [b for b in blobs if b.x > right and b.bottom < base - 0.1 * digit_h
             and REGION_RATIO[0] * digit_h <= b.h <= REGION_RATIO[1] * digit_h]
    if len(cands) < count:
        return None
    cands.sort(key=lambda b: b.x)
    for start in range(len(cands) - count + 1):
        run = cands[start:start + count]
        tops, heights = [b.y for b in run], [b.h for b in run]
        if np.ptp(tops) < 0.15 * digit_h and np.ptp(heights) < 0.15 * digit_h:
            gaps = [b.x - (a.x + a.w) for a, b in zip(run, run[1:])]
            if all(-1 <= g < 0.5 * digit_h for g in gaps):
                return run
    return None


def _deskew(gray: np.ndarray, text: str) -> np.ndarray | None:
    """The crop turned so its main row's baseline is level (None when it cannot be found
    or is tilted too far to cut cleanly)."""
    main = _main_row(_blobs(_ink(gray))[0], text[:MAIN_CHARS])
    if main is None:
        return None
    xs = np.array([b.x + b.w / 2 for b in main])
    slope = np.polyfit(xs, np.array([b.bottom for b in main], float), 1)[0]
    degrees = float(np.degrees(np.arctan(slope)))
    if abs(degrees) > MAX_SKEW_DEG:
        return None
    if abs(degrees) < 0.4:
        return gray
    h, w = gray.shape
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(gray, matrix, (w, h), flags=cv2.INTER_CUBIC,
                          borderMode=cv2.BORDER_REPLICATE)


def _glyph(gray: np.ndarray, labels: np.ndarray, blob: _Blob, char: str, size: GlyphSize,
           source: str) -> Glyph:
    """The glyph's patch as ink coverage: the local field level is 0, the ink's is 1.

    The field level is interpolated from the field pixels around the ink (light and
    shadow vary across a plate), so the patch's edge matches any field it is put on;
    other print in the margin (neighbours, the frame, bolts) becomes plain field.
    """
    m = int(round(MARGIN * blob.h))
    y0, y1 = max(0, blob.y - m), min(gray.shape[0], blob.bottom + m)
    x0, x1 = max(0, blob.x - m), min(gray.shape[1], blob.x + blob.w + m)
    patch = gray[y0:y1, x0:x1].astype(np.float32)
    window = labels[y0:y1, x0:x1]
    own = (window == blob.label).astype(np.uint8)
    grow = np.ones((max(3, int(0.08 * blob.h)) | 1,) * 2, np.uint8)
    near = cv2.dilate(own, grow).astype(bool)
    other = cv2.dilate(((window > 0) & ~own.astype(bool)).astype(np.uint8), grow).astype(bool)
    field = (~near & ~other).astype(np.float32)
    sigma = 0.25 * blob.h
    weight = cv2.GaussianBlur(field, (0, 0), sigma)
    fallback = float(np.median(patch[field > 0])) if field.any() else float(patch.max())
    level = np.where(weight > 0.02,
                     cv2.GaussianBlur(patch * field, (0, 0), sigma) / np.maximum(weight, 1e-3),
                     fallback)
    ink = own.astype(bool)
    contrast = float(np.median(level[ink]) - np.percentile(patch[ink], 15))
    alpha = (level - patch) / max(contrast, 1.0)
    # The field's texture fades out away from the ink: a flat field it is pasted on shows
    # no patch edge.
    distance = cv2.distanceTransform((~near).astype(np.uint8), cv2.DIST_L2, 3)
    fade = np.exp(-distance / (FIELD_FADE * blob.h))
    alpha = np.where(near & ~other, alpha.clip(-FIELD_TEXTURE, 1.0),
                     np.where(other, 0.0, alpha.clip(-FIELD_TEXTURE, FIELD_TEXTURE) * fade))
    return Glyph(char, size, alpha.astype(np.float32), (blob.x - x0, blob.y - y0, blob.w, blob.h),
                 source)


def cut_glyphs(crop: np.ndarray, text: str, source: str = "") -> list[Glyph]:
    """Every character of a type-1 crop showing ``text`` (``L NNN LL`` then the region)
    that can be cut cleanly; none when the crop does not match its text."""
    gray = crop if crop.ndim == 2 else cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    if len(text) not in (8, 9) or gray.shape[0] < 2 * MIN_SOURCE_CHAR_H:
        return []
    k = WORK_H / gray.shape[0]
    interp = cv2.INTER_CUBIC if k > 1 else cv2.INTER_AREA
    gray = cv2.resize(gray, (max(1, round(gray.shape[1] * k)), WORK_H), interpolation=interp)
    level = _deskew(gray, text)
    if level is None:
        return []
    blobs, labels = _blobs(_ink(level))
    main = _main_row(blobs, text[:MAIN_CHARS])
    if main is None or min(b.h for b in main) / k < MIN_SOURCE_CHAR_H:
        return []
    glyphs = [_glyph(level, labels, b, c, "main", source) for b, c in zip(main, text)]
    region_text = text[MAIN_CHARS:]
    region = _region(blobs, main, len(region_text))
    if region is not None and min(b.h for b in region) / k >= MIN_SOURCE_CHAR_H:
        glyphs += [_glyph(level, labels, b, c, "region", source)
                   for b, c in zip(region, region_text)]
    return glyphs


def _shape(glyph: Glyph) -> np.ndarray:
    """The glyph's ink box at one small size, zero-mean and unit-norm."""
    x, y, w, h = glyph.ink_box
    ink = cv2.resize(glyph.alpha[y:y + h, x:x + w].clip(0, 1), SHAPE_SIZE,
                     interpolation=cv2.INTER_AREA).ravel()
    ink = ink - ink.mean()
    return ink / max(float(np.linalg.norm(ink)), 1e-6)


def _typical(glyphs: list[Glyph]) -> list[Glyph]:
    """The glyphs whose shape and width agree with their character's median."""
    if len(glyphs) < 3:
        return glyphs
    shapes = np.stack([_shape(g) for g in glyphs])
    median = np.median(shapes, axis=0)
    median /= max(float(np.linalg.norm(median)), 1e-6)
    aspects = np.array([g.ink_box[2] / g.ink_box[3] for g in glyphs])
    typical_aspect = float(np.median(aspects))
    keep = (shapes @ median >= MIN_SHAPE_CORR) & \
        (np.abs(aspects / typical_aspect - 1) <= MAX_ASPECT_DEVIATION)
    return [g for g, k in zip(glyphs, keep) if k]


def _crop_files(data_dir: Path, held_out: bool) -> Iterator[tuple[Path, str]]:
    """The real crops the models may train on and their texts: all of real-extra and the
    training half of real-dev (never its held-out half); with ``held_out``, the crops no
    model trains on instead: the held-out half of real-dev."""
    for folder in ("real-dev",) if held_out else ("real-extra", "real-dev"):
        labels = data_dir / folder / "labels.csv"
        if not labels.is_file():
            continue
        in_training = training_crops(data_dir) if folder == "real-dev" else {}
        with labels.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                if row["kind"] != "crop":
                    continue
                if folder == "real-dev" and in_training.get(row["file"], False) == held_out:
                    continue
                yield data_dir / folder / row["file"], row["plate_latin"]


def build_glyph_bank(data_dir: Path, held_out: bool = False) -> GlyphBank:
    """The bank from every training crop under ``data_dir`` (empty when it is absent), or
    with ``held_out`` from the held-out half of real-dev instead, for a held-out set
    printed in real glyphs no model trained on (``rendered_holdout``)."""
    bank = GlyphBank()
    if not data_dir.is_dir():
        return bank
    crops = cut = 0
    for path, text in _crop_files(data_dir, held_out):
        crop = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if crop is None:
            continue
        crops += 1
        glyphs = cut_glyphs(crop, text, f"{path.parent.parent.name}/{path.name}")
        cut += bool(glyphs)
        for glyph in glyphs:
            bank.add(glyph)
    bank.glyphs = {key: _typical(glyphs) for key, glyphs in bank.glyphs.items()}
    logger.info("glyph bank: %d glyphs from %d of %d crops", len(bank), cut, crops)
    return bank
