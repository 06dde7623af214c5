"""Test doubles for the models and helpers that make small real images in memory."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import cv2
import numpy as np

from plate_service.recognition.candidate_search import CtcOutput
from plate_service.recognition.ctc_decoding import decode_plates
from plate_service.recognition.pipeline import PlateRecognizer
from plate_service.recognition.plate_format import (
    ALPHABET,
    BLANK_INDEX,
    NUM_CLASSES,
    PlateFormats,
)
from plate_service.recognition.types import Detection, OcrReading, PlateFormat

# The five one-line types a reader of one-line plates lists (the API names of
# tests/recognition/test_plate_types.py): a card without two-line types.
ONE_LINE_READER_TYPES = ("1", "1Б", "2", "20", "15")
ONE_LINE_READER = PlateFormats(ONE_LINE_READER_TYPES)


def ctc_matrix(text_latin: str, doubts: dict[int, tuple[str, float]] | None = None
               ) -> np.ndarray:
    """A (T, C) CTC output spelling ``text_latin`` one frame per character, blanks between;
    ``doubts`` gives character i a rival (character, probability) on its frame."""
    frames = [BLANK_INDEX]
    for char in text_latin:
        frames += [ALPHABET.index(char) + 1, BLANK_INDEX]
    probs = np.zeros((len(frames), NUM_CLASSES), dtype=np.float32)
    probs[np.arange(len(frames)), frames] = 1.0
    for i, (rival, p) in (doubts or {}).items():
        t = 2 * i + 1
        probs[t, frames[t]] = 1.0 - p
        probs[t, ALPHABET.index(rival) + 1] = p
    return probs


def boundary_lattice(rng: np.random.Generator, text_latin: str) -> np.ndarray:
    """A (T, C) CTC output spelling ``text_latin`` in runs of 1-3 frames with blank runs
    between, where frames at a run's edge may also offer the neighbouring class (a blank,
    or the run's character) with probabilities around the candidate search's 1% thresholds."""
    classes: list[int] = []
    for char in text_latin:
        classes += [BLANK_INDEX] * int(rng.integers(1, 3))
        classes += [ALPHABET.index(char) + 1] * int(rng.integers(1, 4))
    classes += [BLANK_INDEX]
    probs = np.full((len(classes), NUM_CLASSES), 1e-4)
    probs[np.arange(len(classes)), classes] = 1.0
    last = -2
    for t in range(1, len(classes) - 1):
        if classes[t - 1] != classes[t + 1] and t > last + 1 and rng.random() < 0.5:
            neighbour = classes[t - 1] if classes[t - 1] != classes[t] else classes[t + 1]
            probs[t, neighbour] = rng.choice([0.003, 0.012, 0.02, 0.05, 0.4, 0.9])
            last = t
    return (probs / probs.sum(axis=1, keepdims=True)).astype(np.float32)


def ctc_output(probs: np.ndarray, found: list[tuple[str, float]] | None = None,
               formats: PlateFormats = ONE_LINE_READER) -> CtcOutput:
    """One crop's CTC output as the reader keeps it: with the decoder's greedy frames."""
    return CtcOutput(probs, decode_plates(probs[None], formats)[0].frames, formats, found)


def reading(text_latin: str = "C181MB190", confidence: float = 0.9,
            valid: bool = True, doubts: dict[int, tuple[str, float]] | None = None
            ) -> OcrReading:
    """A private-plate reading with a CTC output behind it (see ``ctc_matrix``)."""
    cyrillic = text_latin.translate(str.maketrans("ABEKMHOPCTYX", "АВЕКМНОРСТУХ"))
    return OcrReading(
        text=cyrillic, text_latin=text_latin, confidence=confidence,
        char_confidences=tuple(confidence for _ in text_latin),
        plate_format=PlateFormat.PRIVATE if valid else None,
        region=text_latin[6:] if valid else None, raw_text_latin=text_latin,
        series=ONE_LINE_READER.is_series(text_latin),
        ctc=ctc_output(ctc_matrix(text_latin, doubts)),
    )


class FakeReader:
    """Reads every crop as the same plate; records batch sizes; can be made slow."""

    formats = ONE_LINE_READER

    def __init__(self, text_latin: str = "C181MB190", delay_s: float = 0.0,
                 confidence: float = 0.9,
                 doubts: dict[int, tuple[str, float]] | None = None) -> None:
        self.text_latin = text_latin
        self.delay_s = delay_s
        self.confidence = confidence
        self.doubts = doubts
        self.batches: list[int] = []
        self._lock = threading.Lock()

    def read(self, crops: Sequence[np.ndarray], lines: Sequence[int] | None = None,
             *, min_confidence: float = 0.0) -> list[OcrReading]:
        with self._lock:
            self.batches.append(len(crops))
        if self.delay_s:
            time.sleep(self.delay_s)
        return [reading(self.text_latin, self.confidence, doubts=self.doubts) for _ in crops]


class FakeDetector:
    """Finds the given boxes on every image."""

    def __init__(self, detections: Sequence[Detection]) -> None:
        self.detections = list(detections)

    def detect(self, image: np.ndarray, faint: bool = False) -> list[Detection]:
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
