"""Plates of any type painted over the real plates of real car photos, in the photo's light.

A real training photo's plate of known corners is replaced by a rendered or real-glyph
plate of any table type, warped to its quad: one-line types fill it, square and two-line
types stand inside its height, centred, over a car-body fill of the old plate (so no old
text shows). The new plate takes the photo's light (the real plate's black and white
levels and colour cast), its sharpness and its noise, so real scenes carry every type to
the detector and the OCR.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from plate_service.recognition.plate_types import PlateType, plate_types
from training.real_dev_split import EXTRA_SCENES, is_training_scene, read_scene_labels
from training.rotation import box_corners
from training.synth.conditions import weather
from training.synth.plate_draw import draw_plate, random_plate_text
from training.synth.real_plate import RealGlyphPainter, compose_plate

REAL_GLYPH_SHARE = 0.5  # pasted plates composed from real glyphs (when a bank is given)
WORN_SHARE = 0.5
# The rendered plate is drawn at this many times the pasted height, then shrunk: edges
# come out anti-aliased like a camera's.
OVERSAMPLE = 2.0
# A plate narrower than this share of the quad's aspect stands inside it (two-line and
# square types); a one-line plate fills it.
FIT_INSIDE_BELOW = 0.75
# The old plate's area painted over with the car around it, grown by these shares of its
# width and height (its holder and shadow go too).
COVER_GROW = (0.04, 0.12)
COVER_PLATE_H = 12.0  # the old plate's height in pixels where the cover is inpainted
# Grey level of a rendered black ink, and the least a plate's lightest print is taken
# to be: the real plate's light maps them to its own ink and field levels.
INK_LEVEL, MIN_WHITE_LEVEL = 30.0, 120.0
# A dirty plate in flat light shows little contrast; the new plate keeps at least this
# much (grey levels between white and ink) so its text stays readable, as the label says.
MIN_CONTRAST = 40.0
BLUR_SIGMAS = (0.0, 0.4, 0.7, 1.0, 1.4, 1.9, 2.5)


@dataclass(frozen=True)
class ScenePlate:
    """A labelled plate of a real training photo whose corners are known: ``quad`` (TL,
    TR, BR, BL, photo pixels) is its box."""

    path: Path
    quad: np.ndarray


@dataclass(frozen=True)
class PastedScene:
    """A photo with a new plate painted over a real one: the new plate's corners (TL, TR,
    BR, BL), text (Latin, region last) and table row name."""

    image: np.ndarray
    corners: np.ndarray
    text_latin: str
    plate_type: str


def scene_plates(data_dir: Path) -> list[ScenePlate]:
    """The plates of known corners in the photos the models may train on: the training
    half of real-dev's scenes and real-scenes-extra (tilted plates, whose box is not their
    quad, left out). Empty when the data is absent."""
    from training.detector.data import extra_scene_rows  # the detector's reading of the notes

    plates = []
    if (data_dir / "real-dev" / "labels.csv").is_file():
        for name, rows in sorted(read_scene_labels(data_dir).items()):
            if is_training_scene(name):
                plates += [ScenePlate(data_dir / "real-dev" / name, box_corners(*row[:4]))
                           for row in rows]
    for name, extra in sorted(extra_scene_rows(data_dir).items()):
        plates += [ScenePlate(data_dir / EXTRA_SCENES / name, box_corners(*box))
                   for box, known, _ in extra if known]
    return plates


def _side_lengths(quad: np.ndarray) -> tuple[float, float]:
    """Mean width and height of a TL, TR, BR, BL quad."""
    width = (np.linalg.norm(quad[1] - quad[0]) + np.linalg.norm(quad[2] - quad[3])) / 2
    height = (np.linalg.norm(quad[3] - quad[0]) + np.linalg.norm(quad[2] - quad[1])) / 2
    return float(width), float(height)


def plate_corners(quad: np.ndarray, aspect: float) -> np.ndarray:
    """Where a plate of ``aspect`` (width over height) goes in a real plate's ``quad``: the
    quad itself, or for a much narrower plate its full height, centred across it."""
    width, height = _side_lengths(quad)
    share = aspect / (width / max(height, 1e-6))
    if share >= FIT_INSIDE_BELOW:
        return quad.astype(np.float32)
    u0, u1 = (1 - share) / 2, (1 + share) / 2
    unit = box_corners(0, 0, 1, 1)
    matrix = cv2.getPerspectiveTransform(unit, quad.astype(np.float32))
    inner = np.array([[[u0, 0], [u1, 0], [u1, 1], [u0, 1]]], np.float32)
    return cv2.perspectiveTransform(inner, matrix)[0]


def _window(shape: tuple[int, ...], quad: np.ndarray, grow: float) -> tuple[int, int, int, int]:
    """A window around ``quad``, ``grow`` of its height larger on every side."""
    _, height = _side_lengths(quad)
    pad = grow * height
    x0, y0 = (int(max(0, np.floor(v - pad))) for v in quad.min(axis=0))
    x1 = int(min(shape[1], np.ceil(quad[:, 0].max() + pad)))
    y1 = int(min(shape[0], np.ceil(quad[:, 1].max() + pad)))
    return x0, y0, x1, y1


def _cover(rng: np.random.Generator, image: np.ndarray, quad: np.ndarray) -> None:
    """Paint the old plate (grown by ``COVER_GROW``) with the car around it: inpainted
    at a coarse scale (smooth like painted metal, and fast), with the photo's noise."""
    centre = quad.mean(axis=0)
    _, height = _side_lengths(quad)
    grow = np.array([1 + 2 * COVER_GROW[0], 1 + 2 * COVER_GROW[1]])
    grown = (quad - centre) * grow + centre
    x0, y0, x1, y1 = _window(image.shape, grown, 1.0)
    window = image[y0:y1, x0:x1]
    mask = np.zeros(window.shape[:2], np.uint8)
    cv2.fillConvexPoly(mask, (grown - [x0, y0]).astype(np.int32), 255)
    k = min(1.0, COVER_PLATE_H / max(height, 1.0))
    small = (max(1, round(window.shape[1] * k)), max(1, round(window.shape[0] * k)))
    fill = cv2.inpaint(cv2.resize(window, small, interpolation=cv2.INTER_AREA),
                       cv2.resize(mask, small, interpolation=cv2.INTER_NEAREST), 3,
                       cv2.INPAINT_TELEA)
    fill = cv2.resize(fill, window.shape[1::-1], interpolation=cv2.INTER_CUBIC).astype(np.float32)
    sigma = _noise_sigma(cv2.cvtColor(window, cv2.COLOR_BGR2GRAY))
    fill += rng.normal(0, sigma, fill.shape[:2] + (1,)).astype(np.float32)
    soft = cv2.GaussianBlur(mask.astype(np.float32) / 255, (0, 0), 1.0)[..., None]
    blended = window.astype(np.float32) * (1 - soft) + fill * soft
    image[y0:y1, x0:x1] = blended.clip(0, 255).astype(np.uint8)


def _light(plate: np.ndarray, real: np.ndarray) -> np.ndarray:
    """The plate under the real plate's light: its lightest print (a white field or light
    characters) maps to the real plate's white field, black ink to the real ink, tinted
    by the real field's colour cast."""
    gray = cv2.cvtColor(real, cv2.COLOR_BGR2GRAY).astype(np.float32)
    dark, bright = (float(v) for v in np.percentile(gray, (5, 95)))
    plate_gray = cv2.cvtColor(plate, cv2.COLOR_BGR2GRAY)
    white = max(float(np.percentile(plate_gray, 95)), MIN_WHITE_LEVEL)
    gain = max(bright - dark, MIN_CONTRAST) / max(white - INK_LEVEL, 1.0)
    offset = dark - gain * INK_LEVEL
    field = real[gray >= np.percentile(gray, 75)].astype(np.float32)
    cast = field.mean(axis=0) / max(float(field.mean()), 1.0)
    lit = plate.astype(np.float32) * gain * cast.clip(0.6, 1.4) + offset
    return lit.clip(0, 255)


def _sharpness(gray: np.ndarray, mask: np.ndarray) -> float:
    """Edge strength over contrast inside ``mask``: higher is sharper, the same under any
    light."""
    inside = cv2.erode(mask.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    if inside.sum() < 16:
        return 0.0
    values = gray[inside]
    spread = float(np.percentile(values, 95) - np.percentile(values, 5))
    edges = np.abs(cv2.Laplacian(gray.astype(np.float32), cv2.CV_32F))[inside]
    return float(edges.mean()) / max(spread, 1.0)


def _noise_sigma(gray: np.ndarray) -> float:
    """The photo's pixel noise: the median absolute difference from a 3x3 median."""
    residual = gray.astype(np.float32) - cv2.medianBlur(gray, 3).astype(np.float32)
    return 1.4826 * float(np.median(np.abs(residual)))


def paste_plate(rng: np.random.Generator, photo: np.ndarray, quad: np.ndarray,
                plate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``photo`` with ``plate`` (frontal BGR) painted over the real plate at ``quad``, in
    the photo's light, sharpness and noise; also the pasted plate's corners."""
    quad = np.asarray(quad, np.float32)
    corners = plate_corners(quad, plate.shape[1] / plate.shape[0])
    out = photo.copy()
    x0, y0, x1, y1 = _window(out.shape, quad, 0.3)
    real = out[y0:y1, x0:x1].copy()
    real_mask = np.zeros(real.shape[:2], np.uint8)
    cv2.fillConvexPoly(real_mask, (quad - [x0, y0]).astype(np.int32), 1)
    if not np.allclose(corners, quad):
        _cover(rng, out, quad)
    lit = _light(plate, real[real_mask.astype(bool)].reshape(-1, 1, 3))
    local = (corners - np.array([x0, y0], np.float32)).astype(np.float32)
    ph, pw = plate.shape[:2]
    matrix = cv2.getPerspectiveTransform(box_corners(0, 0, pw, ph), local)
    size = (x1 - x0, y1 - y0)
    warped = cv2.warpPerspective(lit, matrix, size, flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.ones((ph, pw), np.float32), matrix, size,
                               flags=cv2.INTER_LINEAR)[..., None]
    # As sharp as the real plate was: the blur whose edge strength matches it.
    real_gray = cv2.cvtColor(real, cv2.COLOR_BGR2GRAY)
    target = _sharpness(real_gray, real_mask)
    plate_mask = mask[..., 0] > 0.99

    def mismatch(sigma: float) -> float:
        gray = cv2.cvtColor(_blur(warped, sigma).clip(0, 255).astype(np.uint8),
                            cv2.COLOR_BGR2GRAY)
        return abs(_sharpness(gray, plate_mask) - target)

    best = min(BLUR_SIGMAS, key=mismatch)
    warped = _blur(warped, best)
    sigma = _noise_sigma(real_gray)
    warped += rng.normal(0, sigma, warped.shape[:2] + (1,)).astype(np.float32)
    window = out[y0:y1, x0:x1].astype(np.float32)
    out[y0:y1, x0:x1] = (window * (1 - mask) + warped * mask).clip(0, 255).astype(np.uint8)
    return out, corners


def _blur(img: np.ndarray, sigma: float) -> np.ndarray:
    return cv2.GaussianBlur(img, (0, 0), sigma) if sigma > 0 else img


def paste_scene(rng: np.random.Generator, photo: np.ndarray, quad: np.ndarray,
                painter: RealGlyphPainter | None = None, row: PlateType | None = None
                ) -> PastedScene:
    """A random plate of ``row`` (any table type when None), rendered or, with a
    ``painter``, composed from real glyphs, painted over the real plate at ``quad``."""
    if row is None:
        rows = plate_types()
        row = rows[int(rng.integers(0, len(rows)))]
    text = random_plate_text(rng, row)
    _, height = _side_lengths(np.asarray(quad, np.float32))
    scale = float(np.clip(OVERSAMPLE * height / row.size_mm[1], 0.15, 2.0))
    if painter is not None and rng.random() < REAL_GLYPH_SHARE:
        plate = compose_plate(rng, row, text, painter, scale)
    else:
        plate = draw_plate(rng, row, text, scale)
    if rng.random() < WORN_SHARE:
        plate = weather(rng, plate)
    image, corners = paste_plate(rng, photo, quad, plate)
    return PastedScene(image, corners, text, row.name)
