"""Stand-ins for the detector and the reader that script what each call returns, the
service's own reader over a scripted model, and plate quads to build finds from, shared
by the stage tests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np

from plate_service.recognition.find import REFINE_PLATE_WIDTH, REFINE_WINDOW
from plate_service.recognition.geometry import level_window
from plate_service.recognition.model_card import ModelCard, OcrDecoding
from plate_service.recognition.ocr import PlateReader
from plate_service.recognition.plate_format import BLANK_INDEX, PlateFormats, required_alphabet
from plate_service.recognition.plate_types import plate_type
from plate_service.recognition.preprocess import OCR_INPUT
from plate_service.recognition.types import Detection, OcrReading
from tests.fakes import ONE_LINE_READER

CROP = np.zeros((56, 260, 3), dtype=np.uint8)
PHOTO = np.zeros((480, 640, 3), dtype=np.uint8)
DASHCAM = np.zeros((900, 1600, 3), dtype=np.uint8)  # a dashcam frame, larger than the input
# A level plate 200 x 44 px in PHOTO, and the same plate rolled by 20 degrees.
PLATE_QUAD = np.array([[100, 128], [300, 128], [300, 172], [100, 172]], np.float32)


def rolled(quad: np.ndarray, degrees: float, centre: tuple[float, float]) -> np.ndarray:
    """``quad`` turned by ``degrees`` (counter-clockwise on screen) about ``centre``."""
    matrix = cv2.getRotationMatrix2D(centre, degrees, 1.0)
    return (quad @ matrix[:, :2].T + matrix[:, 2]).astype(np.float32)


ROLLED_QUAD = rolled(PLATE_QUAD, 20, (200, 150))


# The shape of the level window a second look hands the detector.
WINDOW = (REFINE_WINDOW[1], REFINE_WINDOW[0], 3)


def in_window(quad: np.ndarray) -> np.ndarray:
    """Where the second look's window around ROLLED_QUAD puts PHOTO's points."""
    _, back = level_window(PHOTO, tuple(map(tuple, ROLLED_QUAD)), REFINE_WINDOW,
                           REFINE_PLATE_WIDTH)
    forward = cv2.invertAffineTransform(back)
    return quad @ forward[:, :2].T + forward[:, 2]


def as_detection(quad: np.ndarray, score: float) -> Detection:
    """A find with the corners ``quad`` and the box around them."""
    lo, hi = quad.min(axis=0), quad.max(axis=0)
    return Detection((int(lo[0]), int(lo[1]), int(hi[0]) + 1, int(hi[1]) + 1), score,
                     tuple((float(x), float(y)) for x, y in quad))


class ScriptedDetector:
    """Returns one scripted list of detections per call, in order; keeps what it saw."""

    def __init__(self, *calls: list[Detection]) -> None:
        self.calls = iter(calls)
        self.seen: list[tuple[int, ...]] = []

    def detect(self, image: np.ndarray, faint: bool = False) -> list[Detection]:
        self.seen.append(image.shape)
        return next(self.calls)


class ScriptedReader:
    """Returns the given readings in order, one per crop; reads ``formats`` (the one-line reader's
    by default); keeps the crops' shapes, lines and the confidence each call needs."""

    def __init__(self, readings: list[OcrReading], formats: PlateFormats = ONE_LINE_READER) -> None:
        self.readings = readings
        self.formats = formats
        self.calls: list[list[tuple[int, ...]]] = []
        self.lines: list[list[int] | None] = []
        self.min_confidences: list[float] = []

    def read(self, crops: Sequence[np.ndarray], lines: Sequence[int] | None = None,
             *, min_confidence: float = 0.0) -> list[OcrReading]:
        self.calls.append([crop.shape for crop in crops])
        self.lines.append(None if lines is None else list(lines))
        self.min_confidences.append(min_confidence)
        return self.readings[: len(crops)]


class BatchScriptedReader:
    """Returns one scripted list of readings per call, in order."""

    formats = ONE_LINE_READER

    def __init__(self, batches: list[list[OcrReading]]) -> None:
        self.batches = iter(batches)
        self.sizes: list[int] = []

    def read(self, crops: Sequence[np.ndarray], lines: Sequence[int] | None = None,
             *, min_confidence: float = 0.0) -> list[OcrReading]:
        self.sizes.append(len(crops))
        batch = next(self.batches)
        assert len(batch) == len(crops)
        return batch


# Time steps of ScriptedSession's output, enough for the longest plate, blanks between.
FRAMES = 32


class ScriptedSession:
    """An onnxruntime session stand-in whose model reads every crop as ``text_latin``, in
    ``alphabet``; keeps the batch sizes it was run on."""

    def __init__(self, text_latin: str, alphabet: str) -> None:
        self.probs = np.full((FRAMES, len(alphabet) + 1), 1e-6, dtype=np.float32)
        path = [BLANK_INDEX] * FRAMES
        for i, char in enumerate(text_latin):
            path[2 * i + 1] = alphabet.index(char) + 1
        self.probs[np.arange(FRAMES), path] = 1.0
        self.batches: list[int] = []

    def get_inputs(self) -> list[Any]:
        return [_Named("input")]

    def get_outputs(self) -> list[Any]:
        return [_Named("probs")]

    def run(self, names: list[str], feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        batch = len(feeds["input"])
        self.batches.append(batch)
        return [np.repeat(self.probs[None], batch, axis=0)]


class _Named:
    def __init__(self, name: str) -> None:
        self.name = name


def reader_for(gost_types: Sequence[str], text_latin: str) -> PlateReader:
    """The service's own reader, of a card listing ``gost_types`` in the alphabet they
    print, over a model that reads ``text_latin`` on every crop."""
    alphabet = required_alphabet([plate_type(t) for t in gost_types])
    decoding = OcrDecoding(alphabet, BLANK_INDEX, tuple(gost_types))
    decoding.validate()
    card = ModelCard(weights="plate_ocr.onnx", sha256="0" * 64, input=OCR_INPUT,
                     decoding=decoding)
    return PlateReader(ScriptedSession(text_latin, alphabet), card)  # type: ignore[arg-type]
