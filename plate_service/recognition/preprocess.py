"""Turn a plate crop into the OCR model's input; the one function training and serving share."""

from __future__ import annotations

import cv2
import numpy as np

from plate_service.recognition.model_card import InputSpec

# Per-image standardisation floor: a flat (blank) crop must not be blown up into noise.
MIN_STD = 8.0

# The OCR input this module produces: the training recipe exports it in the card, and
# loading refuses an OCR card that asks for another normalisation.
OCR_INPUT = InputSpec(channels=1, height=32, width=128, normalisation="per_image_standardise")


def to_gray(crop: np.ndarray) -> np.ndarray:
    """uint8 gray HxW from gray HxW, HxWx1, BGR HxWx3 or BGRA HxWx4."""
    if crop.ndim == 2:
        return crop
    if crop.ndim == 3 and crop.shape[2] == 1:
        return crop[:, :, 0]
    if crop.ndim == 3 and crop.shape[2] == 3:
        return cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    if crop.ndim == 3 and crop.shape[2] == 4:
        return cv2.cvtColor(crop, cv2.COLOR_BGRA2GRAY)
    raise ValueError(f"unsupported crop shape {crop.shape}")


def preprocess_crop(crop: np.ndarray, spec: InputSpec = OCR_INPUT) -> np.ndarray:
    """One crop -> float32 (1, H, W): gray, resized (area when shrinking), standardised.

    Grayscale because half the inputs (the upstream's) carry no colour anyway; per-image
    standardisation because real crops range from dark and dim to washed-out and glary.
    """
    if crop.dtype != np.uint8:
        raise ValueError(f"crop must be uint8, got {crop.dtype}")
    if crop.size == 0:
        raise ValueError("empty crop")
    gray = to_gray(crop)
    h, w = gray.shape
    shrinking = h > spec.height or w > spec.width
    resized = cv2.resize(gray, (spec.width, spec.height),
                         interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)
    # cv2.meanStdDev gives numpy's mean/std (ddof 0) in a third of the time: this runs
    # once per crop on the serving hot path.
    mean, std = cv2.meanStdDev(resized)
    x = (resized.astype(np.float32) - float(mean[0, 0])) * (1.0 / max(float(std[0, 0]), MIN_STD))
    return x[None]


def preprocess_batch(crops: list[np.ndarray] | tuple[np.ndarray, ...],
                     spec: InputSpec = OCR_INPUT) -> np.ndarray:
    """Crops -> float32 (N, 1, H, W) batch."""
    out = np.empty((len(crops), 1, spec.height, spec.width), dtype=np.float32)
    for i, crop in enumerate(crops):
        out[i] = preprocess_crop(crop, spec)
    return out
