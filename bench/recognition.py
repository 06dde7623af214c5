"""Recognition alone, no HTTP: ms per crop, OCR crops/s in batches, ms per scene photo."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np

from bench.images import provider_crops, scene_photo
from plate_service.config import LimitsConfig
from plate_service.recognition.image import decode_image
from plate_service.service import image_limits
from plate_service.recognition.loading import OCR_DIR, load_reader, load_recognizer
from plate_service.recognition.pipeline import PlateRecognizer

LIMITS = image_limits(LimitsConfig())


def _per_call_ms(call: Callable[[], object], repeats: int) -> float:
    for _ in range(min(10, repeats)):
        call()
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def run(models_dir: Path, repeats: int = 300) -> dict[str, float]:
    crops = [cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
             for data in provider_crops()]
    one_thread = load_recognizer(models_dir, threads=1)
    # Batches are the OCR model's own: the recogniser reads one image per call.
    two_threads = load_reader(models_dir / OCR_DIR, threads=2)
    batch64 = [crops[i % len(crops)] for i in range(64)]
    crop_ms = _per_call_ms(lambda: one_thread.recognize(crops[0], "crop"), repeats)
    batch_ms = _per_call_ms(lambda: two_threads.read(batch64), repeats // 10)
    jpeg = provider_crops()[0]
    decode_read_ms = _per_call_ms(
        lambda: one_thread.recognize(decode_image(jpeg, LIMITS), "auto"), repeats)
    photo = scene_photo()
    scene_ms = _per_call_ms(
        lambda: one_thread.recognize(decode_image(photo, LIMITS), "scene"), repeats // 5)
    return {
        "crop_ms_batch1_1thread": crop_ms,
        "crops_per_s_batch64_2threads": 64 / (batch_ms / 1000),
        "decode_and_read_ms_1thread": decode_read_ms,
        "scene_ms_1mp_1thread": scene_ms,
        "images_per_s_2workers": ceiling(one_thread),
    }


def ceiling(recognizer: PlateRecognizer, count: int = 2000) -> float:
    """Images/s the service's 2 worker threads could do at most: decode + read, one image
    per call, on both cores; the ceiling for ``GET /plate/{id}`` throughput."""
    jpeg = provider_crops()[0]
    with ThreadPoolExecutor(2) as pool:
        started = time.perf_counter()
        list(pool.map(lambda _: recognizer.recognize(decode_image(jpeg, LIMITS), "auto"),
                      range(count)))
        return count / (time.perf_counter() - started)
