"""Benchmark inputs: our own rendered plates and scenes, so no third-party data is needed."""

from __future__ import annotations

import cv2
import numpy as np

from demo_provider.images import StoredImage, bundled_plates


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


def large_photo(seed: int, width: int = 4000, height: int = 3000) -> bytes:
    """A 12 MP JPEG 'car photo' of about 1.4 MB: a smooth scene, fine sensor-like grain
    (which is what makes real photos this heavy) and one plate pasted in."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 255, (height // 64, width // 64, 3), dtype=np.uint8)
    scene = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)
    grain = rng.integers(-6, 7, (height, width, 1), dtype=np.int16)
    scene = np.clip(scene.astype(np.int16) + grain, 0, 255).astype(np.uint8)
    plate = cv2.imdecode(np.frombuffer(_demo_plate(seed).data, np.uint8), cv2.IMREAD_COLOR)
    plate = cv2.resize(plate, (520, 112))
    y, x = int(height * rng.uniform(0.4, 0.7)), int(width * rng.uniform(0.2, 0.6))
    scene[y:y + plate.shape[0], x:x + plate.shape[1]] = plate
    ok, data = cv2.imencode(".jpg", scene, [cv2.IMWRITE_JPEG_QUALITY, 80])
    assert ok
    return data.tobytes()


def large_photo_plate(seed: int) -> str:
    """The plate (Latin letters) that ``large_photo(seed)`` shows."""
    text = _demo_plate(seed).text_latin
    assert text is not None
    return text


def _demo_plate(seed: int) -> StoredImage:
    plates = list(bundled_plates().values())
    return plates[seed % len(plates)]
