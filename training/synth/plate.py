"""Synthetic OCR crops: plates of every type of the table, made to look like real crops.

The plates come from ``plate_draw`` (any row of the type table), drawn in its stroke
typeface or composed from real glyphs (``real_plate``); this module samples the types,
imitates how real crops come, and hands a two-line plate over as the service does: its
lines side by side (``plate_lines``), its text in reading order, top line first.

Two real input styles are imitated: the upstream's (grayscale, tight, 260x56 JPEG) and
crops cut from phone photos (colour, perspective, blur, glare, shadow, dirt, JPEG,
loose or clipped borders, down to ~15 px high). Everything is drawn with numpy/cv2 from a
``numpy.random.Generator``, so a seed fixes the output exactly.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from plate_service.recognition.plate_lines import side_by_side
from plate_service.recognition.plate_types import by_name, plate_type, plate_types
from plate_service.recognition.read import CORNER_PADDINGS
from plate_service.recognition.types import PlateFormat
from training.synth.conditions import jpeg, low_freq, random_condition, weather
from training.synth.plate_draw import draw_plate, random_plate_text
from training.synth.plate_layout import reading_order_text
from training.synth.real_plate import RealGlyphPainter, compose_plate

PROVIDER_SIZE = (260, 56)

# Type mix. Real traffic is about nine plates in ten of type 1, and every real crop the
# OCR trains on is one, so type 1 keeps the largest share of the synthetic plates; the
# other rows of the table share the rest evenly, each about 2.8 % (over a thousand plates
# of each type in the default 40 000), enough to learn its layout, colours and letters.
# With the real crops' batch share on top, type 1 is about 60 % of what the model sees.
TYPE_1_SHARE = 0.5
OTHER_TYPES_SHARE = 1.0 - TYPE_1_SHARE
# Every row of the table, in the table's order (the order an OCR card lists them in).
FORMAT_WEIGHTS: dict[PlateFormat, float] = {
    PlateFormat(row.name): TYPE_1_SHARE if row.gost_type == "1"
    else OTHER_TYPES_SHARE / (len(plate_types()) - 1)
    for row in plate_types()}


def format_weights(gost_types: Sequence[str] = ()) -> dict[PlateFormat, float]:
    """FORMAT_WEIGHTS of the given GOST types only (all of them when none are given): the
    mix of a reader that specialises in some types, each keeping its relative share."""
    if not gost_types:
        return FORMAT_WEIGHTS
    wanted = {plate_type(t).name for t in gost_types}
    return {f: w for f, w in FORMAT_WEIGHTS.items() if f.value in wanted}


# Share of synthetic plates composed from real glyphs when a glyph bank is given: real
# print and wear on every type, while the drawn typeface keeps the rarer characters (D)
# and the full range of stroke weights.
REAL_GLYPH_SHARE = 0.3
# Share of crops under one camera condition of ``conditions`` (motion blur, JPEG down to
# 10, night, grey infrared-like, plates down to 60 px wide): what real users send.
CONDITION_SHARE = 0.2
# Shares of harder crops that real photos show and the plain generator would not make:
# strongly tilted plates, boxes that cut into the first or last character, and
# light-on-dark plates.
TILTED_SHARE = 0.12
CLIPPED_SHARE = 0.12
DARK_SHARE = 0.05
# Margin round a two-line plate, over its height: the service's tightest to widest framing.
TWO_LINE_PADDING = (min(CORNER_PADDINGS), max(CORNER_PADDINGS))


@dataclass(frozen=True)
class SynthSample:
    """A synthetic crop (uint8 gray HxW or BGR HxWx3) and the Latin text it shows."""

    image: np.ndarray
    text_latin: str  # in reading order, top line first
    plate_format: PlateFormat
    style: str  # "provider" or "photo"
    lines: int = 1  # a two-line plate's image has its lines side by side


def random_text(rng: np.random.Generator, plate_format: PlateFormat) -> str:
    """A random valid text for a format: main part from its pattern plus a real region."""
    return random_plate_text(rng, by_name(plate_format.value))


def render_plate(rng: np.random.Generator, text_latin: str, plate_format: PlateFormat,
                 scale: float = 1.0) -> np.ndarray:
    """A clean, frontal BGR plate image, ``scale`` pixels per millimetre."""
    return draw_plate(rng, by_name(plate_format.value), text_latin, scale)


def _surround(rng: np.random.Generator, plate: np.ndarray, pad_x: int, pad_y: int) -> np.ndarray:
    """Put the plate on a car-ish background, sometimes with a dealer frame's text."""
    h, w = plate.shape[:2]
    canvas = np.empty((h + 2 * pad_y, w + 2 * pad_x, 3), np.uint8)
    canvas[:] = rng.integers(0, 256, size=3)
    noise = low_freq(rng, canvas.shape[:2], 8)
    canvas = (canvas.astype(np.float32) * (0.6 + 0.8 * noise[..., None])).clip(0, 255)
    canvas = canvas.astype(np.uint8)
    if rng.random() < 0.35:  # dealer frame: a dark band with light text under the plate
        band_col = tuple(int(v) for v in rng.integers(0, 80, size=3))
        y0 = pad_y + h
        cv2.rectangle(canvas, (pad_x - 4, pad_y - 6), (pad_x + w + 4, y0 + pad_y // 2),
                      band_col, -1)
        for _ in range(int(rng.integers(3, 12))):
            tx = int(rng.uniform(pad_x, pad_x + w - 20))
            cv2.rectangle(canvas, (tx, y0 + 3), (tx + int(rng.uniform(5, 25)),
                                                 y0 + 3 + int(rng.uniform(4, 10))),
                          (200, 200, 200), -1)
    for _ in range(int(rng.integers(0, 5))):  # bumper, grille and body edges
        y = int(rng.uniform(0, canvas.shape[0]))
        band = int(rng.uniform(2, max(3, pad_y // 2)))
        cv2.rectangle(canvas, (0, y), (canvas.shape[1], y + band),
                      tuple(int(v) for v in rng.integers(0, 256, size=3)), -1)
    canvas[pad_y:pad_y + h, pad_x:pad_x + w] = plate
    return canvas


def rotate_points(points: np.ndarray, degrees: float) -> np.ndarray:
    """(N, 2) points turned about their centre."""
    angle = np.radians(degrees)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    centre = points.mean(axis=0)
    return (points - centre) @ rot.T + centre


def photo_crop(rng: np.random.Generator, plate: np.ndarray, target_h: int,
               lines: int = 1) -> np.ndarray:
    """A crop as cut from a phone photo: perspective, loose/clipped border, blur, low-res, JPEG.

    A two-line plate reaches the reader as the service cuts it: straightened from its
    corners with a margin all round (``rectify``), so it is neither strongly tilted nor
    clipped nor framed with car body above or below, which would move its lines off the
    bands ``plate_lines`` splits at.
    """
    h, w = plate.shape[:2]
    pad_x, pad_y = int(0.15 * w), int(1.0 * h)
    canvas = _surround(rng, plate, pad_x, pad_y)
    src = np.array([[pad_x, pad_y], [pad_x + w, pad_y], [pad_x + w, pad_y + h],
                    [pad_x, pad_y + h]], np.float32)
    # Perspective: jitter corners; a rotation and vertical shear come with it. Most plates
    # are nearly level, a few are cut from a tilted car or camera (real crops show 10-15°).
    jit = np.stack([rng.uniform(-0.04, 0.04, 4) * w, rng.uniform(-0.12, 0.12, 4) * h], axis=1)
    tilted = rng.random() < TILTED_SHARE and lines == 1
    degrees = rng.uniform(-14, 14) if tilted else rng.normal(0, 2.5)
    dst = (rotate_points(src, degrees) + jit).astype(np.float32)
    matrix = cv2.getPerspectiveTransform(src, dst)
    warped = cv2.warpPerspective(canvas, matrix, (canvas.shape[1], canvas.shape[0]),
                                 flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    # Crop around the warped plate with a random (loose or clipped) margin per side.
    x0, y0 = dst.min(axis=0)
    x1, y1 = dst.max(axis=0)
    ph = y1 - y0
    loose = rng.random() < 0.3
    margins = rng.uniform(-0.03, 0.15 if loose else 0.05, 4) * ph
    if lines > 1:
        # As the service's framings pad corners (corners a few pixels off).
        margins = (rng.uniform(*TWO_LINE_PADDING) + rng.uniform(-0.03, 0.03, 4)) * ph
    elif rng.random() < CLIPPED_SHARE:
        # A box drawn too tight: part of the first letter or the last region digit is cut.
        margins[int(rng.integers(0, 2))] = -rng.uniform(0.1, 0.35) * ph
    if lines == 1 and rng.random() < 0.45:
        # Boxes cut from photos are often far taller than the plate (real crops go down to
        # a 1.5:1 aspect): add car body above and below.
        aspect = rng.uniform(1.5, 4.2)
        extra = max(0.0, (x1 - x0) / aspect - ph)
        top = rng.uniform(0.15, 0.85)
        margins[2], margins[3] = extra * top, extra * (1 - top)
        margins[:2] += rng.uniform(0, 0.4, 2) * ph  # and some bumper left and right
    cx0 = int(np.clip(x0 - margins[0], 0, warped.shape[1] - 2))
    cx1 = int(np.clip(x1 + margins[1], cx0 + 2, warped.shape[1]))
    cy0 = int(np.clip(y0 - margins[2], 0, warped.shape[0] - 2))
    cy1 = int(np.clip(y1 + margins[3], cy0 + 2, warped.shape[0]))
    crop = weather(rng, warped[cy0:cy1, cx0:cx1])
    # Optical blur at full size, then shrink to the final height (15..110 px, log-uniform).
    # Blur measured in final pixels, so small crops are not blurred into nothing.
    ratio = max(1.0, crop.shape[0] / target_h)
    if rng.random() < 0.6:
        crop = cv2.GaussianBlur(crop, (0, 0), rng.uniform(0.3, 1.4) * ratio)
    if rng.random() < 0.15:  # motion blur
        k = int(rng.integers(2, 4) * ratio) | 1
        kernel = np.zeros((k, k), np.float32)
        kernel[k // 2, :] = 1.0 / k
        rot_m = cv2.getRotationMatrix2D((k / 2 - 0.5, k / 2 - 0.5), float(rng.uniform(0, 180)), 1)
        kernel = cv2.warpAffine(kernel, rot_m, (k, k))
        crop = cv2.filter2D(crop, -1, kernel / max(kernel.sum(), 1e-6))
    ch, cw = crop.shape[:2]
    if target_h < ch:
        target_w = max(8, int(round(cw * target_h / ch * rng.uniform(0.9, 1.1))))
        crop = cv2.resize(crop, (target_w, target_h), interpolation=cv2.INTER_AREA)
    noise_sigma = rng.uniform(0, 8)
    if noise_sigma > 1:
        crop = (crop.astype(np.float32) + rng.normal(0, noise_sigma, crop.shape)).clip(0, 255)
        crop = crop.astype(np.uint8)
    return jpeg(crop, int(rng.integers(30, 96)))


def provider_style(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """What the upstream serves: grayscale, resized to 260x56, JPEG quality ~95."""
    gray = img if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    interp = cv2.INTER_AREA if gray.shape[0] > PROVIDER_SIZE[1] else cv2.INTER_CUBIC
    return jpeg(cv2.resize(gray, PROVIDER_SIZE, interpolation=interp), int(rng.integers(88, 97)))


def make_sample(seed: int | tuple[int, ...],
                painter: RealGlyphPainter | None = None,
                weights: Mapping[PlateFormat, float] = FORMAT_WEIGHTS) -> SynthSample:
    """One synthetic crop, fully determined by ``seed`` (and ``painter``'s glyph bank,
    which composes REAL_GLYPH_SHARE of the plates from real glyphs when given), of a type
    drawn from ``weights``."""
    rng = np.random.default_rng(seed)
    formats = list(weights)
    probs = np.array([weights[f] for f in formats])
    plate_format = formats[int(rng.choice(len(formats), p=probs / probs.sum()))]
    row = by_name(plate_format.value)
    text = random_text(rng, plate_format)
    # Final crop height, log-uniform over what real crops show, per line; render no finer
    # than needed.
    target_h = int(np.exp(rng.uniform(np.log(15), np.log(110)))) * row.line_count
    scale = float(np.clip(target_h * 1.6 / row.size_mm[1], 0.4, 1.0))
    if painter is not None and rng.random() < REAL_GLYPH_SHARE:
        plate = compose_plate(rng, row, text, painter, scale)
    else:
        plate = render_plate(rng, text, plate_format, scale)
    if rng.random() < DARK_SHARE:
        plate = 255 - plate  # light characters on a dark plate (old or special series)
    crop = photo_crop(rng, plate, target_h, row.line_count)
    if rng.random() < CONDITION_SHARE:
        crop = random_condition(crop, rng)[1]
    label = reading_order_text(row, text)
    if row.line_count > 1:
        # The upstream serves one-line crops only; a two-line plate comes from a photo.
        if rng.random() < 0.1:
            crop = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY) if crop.ndim == 3 else crop
        return SynthSample(side_by_side(crop, row.line_count), label, plate_format, "photo",
                           row.line_count)
    if rng.random() < 0.45:
        return SynthSample(provider_style(crop, rng), label, plate_format, "provider")
    if rng.random() < 0.1 and crop.ndim == 3:
        crop = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    return SynthSample(crop, label, plate_format, "photo")


def make_samples(base_seed: int, count: int, start: int = 0,
                 painter: RealGlyphPainter | None = None) -> list[SynthSample]:
    """``count`` samples; sample i depends only on (base_seed, i), so chunks can be split."""
    return [make_sample((base_seed, i), painter) for i in range(start, start + count)]


def main(argv: list[str] | None = None) -> None:
    """``python -m training.synth.plate --sheet build/plate-types.png``: draw every type;
    ``--real-sheet build/real-glyph-types.png``: every type in real glyphs, and pasted
    into real photos (needs ../shared/data)."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--sheet", type=Path, help="where to write the renderer's sheet")
    parser.add_argument("--real-sheet", type=Path, help="where to write the real-print sheet")
    parser.add_argument("--data", type=Path, help="the shared data (default ../shared/data)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.sheet is None and args.real_sheet is None:
        parser.error("give --sheet, --real-sheet or both")
    # The sheets draw through this module, so they are imported here.
    if args.sheet is not None:
        from training.synth.sheet import write_sheet
        print(write_sheet(args.sheet, args.seed))
    if args.real_sheet is not None:
        from training.eval_ocr import DEFAULT_DATA
        from training.synth.real_sheet import write_real_sheet
        print(write_real_sheet(args.real_sheet, args.data or DEFAULT_DATA, args.seed))


if __name__ == "__main__":
    main()
