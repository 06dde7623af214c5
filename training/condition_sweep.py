"""The camera conditions the evals put whole real photos under, one fixed setting each.

They mirror the issue's list of what real users send (clean, low resolution, JPEG 12,
motion blur, night, grey) through the renderer's condition functions, so training and
evaluation degrade images the same way; each setting is stated here once.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

import cv2
import numpy as np

from training.synth.conditions import (
    GREY_BLOOM,
    GREY_CONTRAST,
    MIN_PLATE_WIDTH,
    NIGHT_GAIN,
    NIGHT_NOISE,
    infrared_grey,
    jpeg,
    low_light,
    motion_blur,
    shrink_to_width,
)

LabelRow = tuple[int, int, int, int, str]

# Low resolution: the photo shrunk until its widest labelled plate is this wide (px).
LOW_RESOLUTION_PLATE_WIDTH = MIN_PLATE_WIDTH
JPEG_QUALITY = 12
# Motion blur along the road: its length over the widest plate's width (the training's
# strongest crop blur, w/25) and its direction.
MOTION_BLUR_SHARE = 0.04
MOTION_BLUR_DEGREES = 0.0

PhotoCondition = Callable[[np.ndarray, list[LabelRow], np.random.Generator], np.ndarray]


def _widest(labels: list[LabelRow]) -> int:
    return max(x2 - x1 for x1, _, x2, _, _ in labels)


def _low_resolution(image: np.ndarray, labels: list[LabelRow],
                    rng: np.random.Generator) -> np.ndarray:
    width = image.shape[1] * LOW_RESOLUTION_PLATE_WIDTH / max(_widest(labels), 1)
    return shrink_to_width(image, max(1, round(width)))


def _motion_blur(image: np.ndarray, labels: list[LabelRow],
                 rng: np.random.Generator) -> np.ndarray:
    return motion_blur(image, MOTION_BLUR_SHARE * _widest(labels), MOTION_BLUR_DEGREES)


def _grey(image: np.ndarray, labels: list[LabelRow], rng: np.random.Generator) -> np.ndarray:
    # A grey camera's JPEG decodes to three equal channels, as the service decodes it.
    return cv2.cvtColor(infrared_grey(image, GREY_CONTRAST, GREY_BLOOM), cv2.COLOR_GRAY2BGR)


PHOTO_CONDITIONS: dict[str, PhotoCondition] = {
    "clean": lambda image, labels, rng: image,
    "low resolution": _low_resolution,
    f"JPEG {JPEG_QUALITY}": lambda image, labels, rng: jpeg(image, JPEG_QUALITY),
    "motion blur": _motion_blur,
    "night": lambda image, labels, rng: low_light(image, rng, NIGHT_GAIN, NIGHT_NOISE),
    "grey": _grey,
}


def under_condition(name: str, image: np.ndarray, labels: list[LabelRow], scene: str,
                    seed: int = 0) -> np.ndarray:
    """``image`` (a photo whose plates are ``labels``) under the condition ``name``; the
    noise, where there is any, is fixed by ``seed`` and the scene's name."""
    rng = np.random.default_rng((seed, zlib.crc32(scene.encode())))
    return PHOTO_CONDITIONS[name](image, labels, rng)
