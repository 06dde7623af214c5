"""Render GOST R 50577 one-line plates with known text and make them look like real crops.

Two real input styles are imitated: the upstream's (grayscale, tight, 260x56 JPEG) and
crops cut from phone photos (colour, perspective, blur, glare, shadow, dirt, JPEG,
loose or clipped borders, down to ~15 px high). Everything is drawn with numpy/cv2 from a
``numpy.random.Generator``, so a seed fixes the output exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from plate_service.recognition.plate_format import (
    DIGITS,
    FORMAT_PATTERNS,
    LETTERS_LATIN,
    REGIONS_2,
    REGIONS_3,
)
from plate_service.recognition.types import PlateFormat
from training.synth.conditions import jpeg, low_freq, weather
from training.synth.glyphs import draw_glyph

# Plate geometry in millimetres (GOST R 50577 type 1: 520 x 112).
PLATE_W, PLATE_H = 520, 112
SEPARATOR_X = 386
DIGIT_H, LETTER_H, REGION_H = 76, 58, 58
BASELINE_Y = 95
PROVIDER_SIZE = (260, 56)

# Format mix: real traffic is nearly all private plates.
FORMAT_WEIGHTS: dict[PlateFormat, float] = {
    PlateFormat.PRIVATE: 0.84,
    PlateFormat.TAXI: 0.04,
    PlateFormat.TRAILER: 0.04,
    PlateFormat.POLICE: 0.04,
    PlateFormat.TRANSIT: 0.04,
}
# Shares of harder crops that real photos show and the plain generator would not make:
# strongly tilted plates, boxes that cut into the first or last character, and
# light-on-dark plates.
TILTED_SHARE = 0.12
CLIPPED_SHARE = 0.12
DARK_SHARE = 0.05
_REGIONS_2 = sorted(REGIONS_2)
_REGIONS_3 = sorted(REGIONS_3)


@dataclass(frozen=True)
class SynthSample:
    """A synthetic crop (uint8 gray HxW or BGR HxWx3) and the Latin text it shows."""

    image: np.ndarray
    text_latin: str
    plate_format: PlateFormat
    style: str  # "provider" or "photo"


def random_text(rng: np.random.Generator, plate_format: PlateFormat) -> str:
    """A random valid text for a format: main part from its pattern plus a real region."""
    chars = []
    pattern = FORMAT_PATTERNS[plate_format]
    digit_run = "".join(rng.choice(list(DIGITS), size=4))
    if rng.random() < 0.15:  # vanity numbers (777, 001, 100) are common on real cars
        d = str(rng.integers(0, 10))
        digit_run = d * 4 if rng.random() < 0.5 else "00" + d * 2
    di = 0
    for c in pattern:
        if c == "L":
            chars.append(str(rng.choice(list(LETTERS_LATIN))))
        else:
            chars.append(digit_run[di])
            di += 1
    if rng.random() < 0.1 and pattern.count("L") >= 2:  # repeated letters (MM, OO) too
        idx = [i for i, c in enumerate(pattern) if c == "L"]
        chars[idx[-1]] = chars[idx[-2]]
    region = str(rng.choice(_REGIONS_3 if rng.random() < 0.4 else _REGIONS_2))
    return "".join(chars) + region


def _colours(rng: np.random.Generator, plate_format: PlateFormat) -> tuple[tuple[int, ...], ...]:
    """(background, ink) BGR for a format, with wear: nothing is pure white or black."""
    ink_v = int(rng.integers(0, 70))
    ink = (ink_v, ink_v, ink_v)
    if plate_format is PlateFormat.TAXI:
        bg = (int(rng.integers(0, 60)), int(rng.integers(170, 230)), int(rng.integers(200, 255)))
    elif plate_format is PlateFormat.POLICE:
        bg = (int(rng.integers(120, 200)), int(rng.integers(50, 110)), int(rng.integers(0, 40)))
        w = int(rng.integers(200, 255))
        ink = (w, w, w)
    else:
        base = int(rng.integers(150, 256))
        tint = rng.integers(-25, 26, size=3)
        bg = tuple(int(np.clip(base + t, 0, 255)) for t in tint)
    return bg, ink


def render_plate(rng: np.random.Generator, text_latin: str, plate_format: PlateFormat,
                 scale: float = 1.0) -> np.ndarray:
    """A clean, frontal BGR plate image, ``scale`` pixels per millimetre."""
    pattern = FORMAT_PATTERNS[plate_format]
    main, region = text_latin[:len(pattern)], text_latin[len(pattern):]
    bg, ink = _colours(rng, plate_format)
    w, h = int(round(PLATE_W * scale)), int(round(PLATE_H * scale))
    img = np.empty((h, w, 3), dtype=np.uint8)
    img[:] = bg
    s = scale
    rim = max(1.0, rng.uniform(1.5, 3.5) * s)
    inset = rng.uniform(1.0, 3.0) * s
    cv2.rectangle(img, (int(inset), int(inset)), (int(w - inset), int(h - inset)), ink,
                  max(1, int(round(rim))), cv2.LINE_AA)
    sep = SEPARATOR_X * s + rng.uniform(-4, 4) * s
    cv2.line(img, (int(sep), int(inset)), (int(sep), int(h - inset)), ink,
             max(1, int(round(rim))), cv2.LINE_AA)
    thick = rng.uniform(0.11, 0.16)  # stroke width relative to digit height
    variants = rng.integers(0, 2, size=len(text_latin))
    width_k = rng.uniform(0.78, 1.0)
    letter_h = LETTER_H * rng.uniform(0.95, 1.05)
    # Main field: private plates follow the GOST positions; other formats are spread evenly.
    if plate_format is PlateFormat.PRIVATE:
        lefts = [24, 82, 137, 192, 254, 309]
        widths = [47, 46, 46, 46, 48, 48]
    else:
        n = len(pattern)
        pitch = (370 - 20) / n
        lefts = [20 + i * pitch + pitch * 0.08 for i in range(n)]
        widths = [pitch * 0.84] * n
    shift = rng.uniform(-5, 5)
    baseline = BASELINE_Y + rng.uniform(-3, 3)
    for i, (ch, cls) in enumerate(zip(main, pattern)):
        gh = DIGIT_H if cls == "D" else letter_h
        gw = widths[i] * width_k
        x = lefts[i] + (widths[i] - gw) / 2 + shift
        draw_glyph(img, ch, (x * s, (baseline - gh) * s, gw * s, gh * s),
                   thick * DIGIT_H * s, ink, int(variants[i]))
    # Region box: digits on top, "RUS" and the flag below.
    n_reg = len(region)
    reg_w = 38.0 if n_reg == 2 else 31.0
    reg_gap = 8.0 if n_reg == 2 else 4.0
    total = n_reg * reg_w + (n_reg - 1) * reg_gap
    rx0 = (SEPARATOR_X + PLATE_W - 4) / 2 - total / 2 + rng.uniform(-3, 3)
    ry0 = rng.uniform(9, 14)
    rh = REGION_H * rng.uniform(0.92, 1.05)
    for i, ch in enumerate(region):
        draw_glyph(img, ch, ((rx0 + i * (reg_w + reg_gap)) * s, ry0 * s, reg_w * s, rh * s),
                   thick * 0.85 * DIGIT_H * s, ink, int(variants[len(main) + i]))
    cap_y, cap_h = ry0 + rh + rng.uniform(4, 8), rng.uniform(13, 17)
    cx = SEPARATOR_X + rng.uniform(14, 22)
    for ch in "RUS":
        draw_glyph(img, ch, (cx * s, cap_y * s, 10 * s, cap_h * s), 2.5 * s, ink)
        cx += 13
    fx = cx + 4
    fw, fh = 36 * s, cap_h * s
    for k, col in enumerate([(250, 250, 250), (170, 60, 20), (40, 40, 210)]):
        y0 = cap_y * s + k * fh / 3
        cv2.rectangle(img, (int(fx * s), int(y0)), (int(fx * s + fw), int(y0 + fh / 3)), col,
                      -1)
    cv2.rectangle(img, (int(fx * s), int(cap_y * s)), (int(fx * s + fw), int(cap_y * s + fh)),
                  ink, 1)
    for bx, by in ((12, 56), (SEPARATOR_X + 122, 42)):  # bolt heads
        if rng.random() < 0.7:
            cv2.circle(img, (int(bx * s), int(by * s)), max(1, int(3 * s)), ink, -1, cv2.LINE_AA)
    return img


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


def photo_crop(rng: np.random.Generator, plate: np.ndarray, target_h: int) -> np.ndarray:
    """A crop as cut from a phone photo: perspective, loose/clipped border, blur, low-res, JPEG."""
    h, w = plate.shape[:2]
    pad_x, pad_y = int(0.15 * w), int(1.0 * h)
    canvas = _surround(rng, plate, pad_x, pad_y)
    src = np.array([[pad_x, pad_y], [pad_x + w, pad_y], [pad_x + w, pad_y + h],
                    [pad_x, pad_y + h]], np.float32)
    # Perspective: jitter corners; a rotation and vertical shear come with it. Most plates
    # are nearly level, a few are cut from a tilted car or camera (real crops show 10-15°).
    jit = np.stack([rng.uniform(-0.04, 0.04, 4) * w, rng.uniform(-0.12, 0.12, 4) * h], axis=1)
    tilted = rng.random() < TILTED_SHARE
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
    if rng.random() < CLIPPED_SHARE:
        # A box drawn too tight: part of the first letter or the last region digit is cut.
        margins[int(rng.integers(0, 2))] = -rng.uniform(0.1, 0.35) * ph
    if rng.random() < 0.45:
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


def make_sample(seed: int | tuple[int, ...]) -> SynthSample:
    """One synthetic crop, fully determined by ``seed``."""
    rng = np.random.default_rng(seed)
    formats = list(FORMAT_WEIGHTS)
    probs = np.array([FORMAT_WEIGHTS[f] for f in formats])
    plate_format = formats[int(rng.choice(len(formats), p=probs / probs.sum()))]
    text = random_text(rng, plate_format)
    # Final crop height, log-uniform over what real crops show; render no finer than needed.
    target_h = int(np.exp(rng.uniform(np.log(15), np.log(110))))
    scale = float(np.clip(target_h * 1.6 / PLATE_H, 0.4, 1.0))
    plate = render_plate(rng, text, plate_format, scale)
    if rng.random() < DARK_SHARE:
        plate = 255 - plate  # light characters on a dark plate (old or special series)
    crop = photo_crop(rng, plate, target_h)
    if rng.random() < 0.45:
        return SynthSample(provider_style(crop, rng), text, plate_format, "provider")
    if rng.random() < 0.1:
        crop = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    return SynthSample(crop, text, plate_format, "photo")


def make_samples(base_seed: int, count: int, start: int = 0) -> list[SynthSample]:
    """``count`` samples; sample i depends only on (base_seed, i), so chunks can be split."""
    return [make_sample((base_seed, i)) for i in range(start, start + count)]
