"""Wear and camera conditions for plates and photos, as functions of their parameters.

Dirt, light and glare on the plate (``weather``), and what cameras real users send do to
an image: motion blur, heavy JPEG, low light with sensor noise, grey infrared-like frames
and plates only tens of pixels wide. Each condition takes its strength as arguments, so
the OCR and detector data pipelines and the evals can sample or sweep it;
``random_condition`` draws one at random.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

# The weakest settings the conditions are meant for (what real users send).
MIN_JPEG_QUALITY = 10
MIN_PLATE_WIDTH = 60
# A night frame as users send it: a quarter of the light, sensor noise of 10 grey levels.
NIGHT_GAIN, NIGHT_NOISE = 0.25, 10.0
# A grey infrared-like frame: contrast raised by 40 %, highlights bloomed over 1.5 px.
GREY_CONTRAST, GREY_BLOOM = 1.4, 1.5
# How much dirt darkens a plate where it lies thickest (a share of the light).
DIRT_STRENGTH = (0.1, 0.5)
# The marks of years on the road, on a share of the plates ``weather`` is asked to mark:
# thin scratches, light where the film is scraped off and dark where grime fills them,
# and specks of mud. A mark across a stroke must not change the character a model reads.
# A few per plate: the rendered held-out set (``training.rendered_holdout``) marks every
# plate with more of both, so it still measures wear past what training draws.
MARKS_SHARE = 0.5
SCRATCH_COUNT = (1, 5)
SPECK_COUNT = (2, 15)


def low_freq(rng: np.random.Generator, shape: tuple[int, int], cells: int) -> np.ndarray:
    """Smooth random field in [0, 1] (for dirt, uneven light)."""
    small = rng.random((max(2, cells * shape[0] // shape[1] + 1), cells + 1)).astype(np.float32)
    return cv2.resize(small, (shape[1], shape[0]), interpolation=cv2.INTER_CUBIC).clip(0, 1)


def weather(rng: np.random.Generator, img: np.ndarray, marks: bool = False) -> np.ndarray:
    """Dirt, uneven light, shadow and glare on a BGR image (float math, uint8 out), and
    with ``marks`` scratches and mud on MARKS_SHARE of the images (no random draw for
    them without: the OCR's data stays as its recipe drew it)."""
    h, w = img.shape[:2]
    x = img.astype(np.float32)
    if rng.random() < 0.6:  # dirt: darker blotches
        dirt = low_freq(rng, (h, w), int(rng.integers(4, 20)))
        x *= (1 - rng.uniform(*DIRT_STRENGTH) * dirt)[..., None]
    if rng.random() < 0.5:  # illumination gradient
        gx = np.linspace(rng.uniform(0.5, 1.2), rng.uniform(0.5, 1.2), w, dtype=np.float32)
        x *= gx[None, :, None]
    if rng.random() < 0.25:  # hard shadow across part of the plate
        x0 = int(rng.uniform(0, w))
        k = rng.uniform(0.3, 0.7)
        mask = np.zeros((h, w), np.float32)
        pts = np.array([[x0, 0], [w, 0], [w, h], [x0 + int(rng.uniform(-0.3, 0.3) * w), h]])
        cv2.fillPoly(mask, [pts.astype(np.int32)], 1.0)
        mask = cv2.GaussianBlur(mask, (0, 0), max(1.0, h / 20))
        x *= (1 - (1 - k) * mask)[..., None]
    if rng.random() < 0.2:  # glare: a bright soft blob
        mask = np.zeros((h, w), np.float32)
        cv2.ellipse(mask, (int(rng.uniform(0, w)), int(rng.uniform(0, h))),
                    (int(rng.uniform(0.05, 0.3) * w), int(rng.uniform(0.2, 0.8) * h)),
                    float(rng.uniform(0, 180)), 0, 360, 1.0, -1)
        mask = cv2.GaussianBlur(mask, (0, 0), max(1.0, h / 8))
        x += rng.uniform(60, 170) * mask[..., None]
    if marks and rng.random() < MARKS_SHARE:
        _marks(rng, x)
    return x.clip(0, 255).astype(np.uint8)


def _marks(rng: np.random.Generator, x: np.ndarray) -> None:
    """Scratches (bent strokes, light or dark) and mud specks, drawn into float BGR ``x``."""
    h, w = x.shape[:2]
    for _ in range(int(rng.integers(SCRATCH_COUNT[0], SCRATCH_COUNT[1] + 1))):
        mask = np.zeros((h, w), np.float32)
        point = np.array([rng.uniform(0, w), rng.uniform(0, h)])
        angle, step = rng.uniform(0, 2 * np.pi), rng.uniform(0.03, 0.12) * w
        points = [point]
        for _ in range(int(rng.integers(1, 4))):  # a scratch bends where it was dragged
            angle += rng.normal(0, 0.4)
            points.append(points[-1] + step * np.array([np.cos(angle), np.sin(angle)]))
        cv2.polylines(mask, [np.array(points, np.int32)], False, 1.0,
                      max(1, round(h * rng.uniform(0.005, 0.02))), cv2.LINE_AA)
        shade, opacity = (rng.uniform(190, 255) if rng.random() < 0.6
                          else rng.uniform(20, 80)), rng.uniform(0.3, 0.7)
        x += (opacity * mask)[..., None] * (shade - x)
    for _ in range(int(rng.integers(SPECK_COUNT[0], SPECK_COUNT[1] + 1))):
        centre = (int(rng.uniform(0, w)), int(rng.uniform(0, h)))
        axes = tuple(max(1, round(rng.uniform(0.004, 0.02) * h)) for _ in range(2))
        mud = tuple(float(v) for v in rng.uniform(25, 90, size=3))
        cv2.ellipse(x, centre, axes, float(rng.uniform(0, 180)), 0, 360, mud, -1, cv2.LINE_AA)


def jpeg(img: np.ndarray, quality: int) -> np.ndarray:
    """Round-trip through JPEG, as every real input has been."""
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("JPEG encode failed")
    flag = cv2.IMREAD_GRAYSCALE if img.ndim == 2 else cv2.IMREAD_COLOR
    return cv2.imdecode(buf, flag)


def motion_blur(img: np.ndarray, length: float, degrees: float) -> np.ndarray:
    """Blur along a line of ``length`` pixels at ``degrees`` (a moving car or camera)."""
    k = max(1, int(round(length))) | 1
    if k == 1:
        return img
    kernel = np.zeros((k, k), np.float32)
    kernel[k // 2, :] = 1.0
    rot = cv2.getRotationMatrix2D((k / 2 - 0.5, k / 2 - 0.5), degrees, 1.0)
    kernel = cv2.warpAffine(kernel, rot, (k, k))
    return cv2.filter2D(img, -1, kernel / max(float(kernel.sum()), 1e-6))


def low_light(img: np.ndarray, rng: np.random.Generator, gain: float,
              noise_sigma: float) -> np.ndarray:
    """A night frame: light scaled by ``gain`` (< 1), then sensor noise of ``noise_sigma``
    grey levels, stronger in the colour channels than in brightness as on real sensors."""
    x = img.astype(np.float32) * gain
    noise = rng.normal(0.0, noise_sigma, img.shape[:2] + (1,) if img.ndim == 3 else img.shape)
    x = x + noise.astype(np.float32)
    if img.ndim == 3:
        x += rng.normal(0.0, noise_sigma * 0.5, img.shape).astype(np.float32)
    return x.clip(0, 255).astype(np.uint8)


def infrared_grey(img: np.ndarray, contrast: float, bloom: float) -> np.ndarray:
    """A grey infrared-like frame: one channel, retro-reflective plates bright, contrast
    scaled by ``contrast``, highlights spread by ``bloom`` pixels."""
    gray = img if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    x = gray.astype(np.float32)
    x = (x - 128.0) * contrast + 128.0
    if bloom > 0:
        glow = cv2.GaussianBlur(np.maximum(x - 180.0, 0.0), (0, 0), bloom)
        x = x + glow
    return x.clip(0, 255).astype(np.uint8)


def shrink_to_width(img: np.ndarray, width: int) -> np.ndarray:
    """The image resized (area-averaged) so it is ``width`` pixels wide, aspect kept."""
    h, w = img.shape[:2]
    if width >= w:
        return img
    height = max(1, int(round(h * width / w)))
    return cv2.resize(img, (width, height), interpolation=cv2.INTER_AREA)


Condition = Callable[[np.ndarray, np.random.Generator], np.ndarray]


def _random_blur(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return motion_blur(img, rng.uniform(3, max(4.0, img.shape[1] / 25)), rng.uniform(0, 180))


def _random_jpeg(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return jpeg(img, int(rng.integers(MIN_JPEG_QUALITY, 30)))


def _random_night(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return low_light(img, rng, rng.uniform(0.15, 0.5), rng.uniform(4, 14))


def _random_grey(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return infrared_grey(img, rng.uniform(1.0, 1.6), rng.uniform(0, 2))


def _random_small(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return shrink_to_width(img, int(rng.integers(MIN_PLATE_WIDTH, 2 * MIN_PLATE_WIDTH)))


CONDITIONS: dict[str, Condition] = {
    "motion_blur": _random_blur, "jpeg": _random_jpeg, "night": _random_night,
    "grey": _random_grey, "low_resolution": _random_small}


def random_condition(img: np.ndarray, rng: np.random.Generator) -> tuple[str, np.ndarray]:
    """One camera condition, chosen and set at random; its name and the image under it."""
    name = str(rng.choice(list(CONDITIONS)))
    return name, CONDITIONS[name](img, rng)
