"""Benchmark inputs: our own rendered plates and scenes, so no third-party data is needed."""

from __future__ import annotations

import cv2
import numpy as np

from demo_provider.images import bundled_plates


def provider_crops() -> list[bytes]:
    """Upstream-style JPEG crops (grayscale 260x56), as the provider serves them."""
    return [stored.data for stored in bundled_plates().values()]


def scene_photo(width: int = 1280, height: int = 800, seed: int = 3) -> bytes:
    """A ~1 MP JPEG 'photo': textured background with one plate pasted in."""
    rng = np.random.default_rng(seed)
    noise = rng.integers(0, 255, (height // 16, width // 16, 3), dtype=np.uint8)
    background = cv2.resize(noise, (width, height), interpolation=cv2.INTER_CUBIC)
    plate = cv2.imdecode(np.frombuffer(provider_crops()[0], np.uint8), cv2.IMREAD_COLOR)
    plate = cv2.resize(plate, (208, 45))
    y, x = height // 2, width // 3
    background[y:y + plate.shape[0], x:x + plate.shape[1]] = plate
    ok, data = cv2.imencode(".jpg", background, [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert ok
    return data.tobytes()
