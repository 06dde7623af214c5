"""Test doubles for the models and helpers that make small real images in memory."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import cv2
import numpy as np

from plate_service.recognition.pipeline import PlateRecognizer
from plate_service.recognition.types import Detection, OcrReading, PlateFormat


def reading(text_latin: str = "C181MB190", confidence: float = 0.9,
            valid: bool = True) -> OcrReading:
    cyrillic = text_latin.translate(str.maketrans("ABEKMHOPCTYX", "АВЕКМНОРСТУХ"))
    return OcrReading(
        text=cyrillic, text_latin=text_latin, confidence=confidence,
        char_confidences=tuple(confidence for _ in text_latin),
        plate_format=PlateFormat.PRIVATE if valid else None,
        region=text_latin[6:] if valid else None, raw_text_latin=text_latin,
    )


class FakeReader:
    """Reads every crop as the same plate; records batch sizes; can be made slow."""

    def __init__(self, text_latin: str = "C181MB190", delay_s: float = 0.0) -> None:
        self.text_latin = text_latin
        self.delay_s = delay_s
        self.batches: list[int] = []
        self._lock = threading.Lock()

    def read(self, crops: Sequence[np.ndarray]) -> list[OcrReading]:
        with self._lock:
            self.batches.append(len(crops))
        if self.delay_s:
            time.sleep(self.delay_s)
        return [reading(self.text_latin) for _ in crops]


class FakeDetector:
    """Finds the given boxes on every image."""

    def __init__(self, detections: Sequence[Detection]) -> None:
        self.detections = list(detections)

    def detect(self, image: np.ndarray) -> list[Detection]:
        return list(self.detections)


def fake_recognizer(reader: FakeReader | None = None,
                    detector: FakeDetector | None = None) -> PlateRecognizer:
    return PlateRecognizer(reader or FakeReader(), detector)


def encode(image: np.ndarray, ext: str = ".jpg") -> bytes:
    ok, data = cv2.imencode(ext, image)
    assert ok
    return data.tobytes()


def plate_like_jpeg(width: int = 260, height: int = 56) -> bytes:
    """A grey plate-shaped JPEG (content does not matter to the fakes)."""
    image = np.full((height, width), 200, dtype=np.uint8)
    cv2.putText(image, "A123BC77", (10, height - 15), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 0, 3)
    return encode(image)
