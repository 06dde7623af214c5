"""The shipped ONNX OCR model: loads with its card checks, reads both upstream images exactly."""

from __future__ import annotations

import csv
from pathlib import Path

import cv2
import numpy as np
import pytest

from plate_service.errors import InferenceError
from demo_provider.images import bundled_plates
from plate_service.recognition.candidate_search import plate_candidates
from plate_service.recognition.loading import load_reader
from plate_service.recognition.ocr import ONLY_READINGS_MIN_BATCH, PlateReader
from plate_service.recognition.plate_format import ALPHABET, required_alphabet
from plate_service.recognition.plate_types import plate_types
from tests.conftest import MODELS_DIR

OCR_DIR = MODELS_DIR / "ocr"


@pytest.fixture(scope="module")
def reader() -> PlateReader:
    return load_reader(OCR_DIR, threads=1)


def test_weights_are_small_and_carry_their_alphabet(reader: PlateReader) -> None:
    assert (OCR_DIR / reader.card.weights).stat().st_size <= 5 * 1024 * 1024
    # Every type of the table, the Latin D of diplomatic plates after the plate letters.
    alphabet = required_alphabet(plate_types())
    assert reader.card.decoding.alphabet == alphabet == ALPHABET + "D"
    meta = reader._session.get_modelmeta().custom_metadata_map
    assert meta["alphabet"] == alphabet
    # A symbolic (dynamic) batch axis, so one run can read any number of crops.
    assert isinstance(reader._session.get_inputs()[0].shape[0], str)


def test_reads_both_provider_images_exactly(reader: PlateReader, shared_data: Path) -> None:
    with (shared_data / "provider" / "labels.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    crops = [cv2.imread(str(shared_data / "provider" / r["file"]), cv2.IMREAD_GRAYSCALE)
             for r in rows]
    readings = reader.read(crops)
    assert [r.text for r in readings] == [r["plate_cyrillic"] for r in rows]
    for r in readings:
        assert r.valid and r.confidence > 0.5
        assert len(r.char_confidences) == len(r.text)


def test_batch_equals_single_reads(reader: PlateReader) -> None:
    rng = np.random.default_rng(0)
    crops = [rng.integers(0, 256, (h, 4 * h, 3), dtype=np.uint8) for h in (17, 40, 56)]
    one_by_one = [reader.read([c])[0] for c in crops]
    batched = reader.read(crops)
    assert [r.raw_text_latin for r in one_by_one] == [r.raw_text_latin for r in batched]
    assert reader.read([]) == []


def test_bad_crop_is_an_inference_error_or_value_error(reader: PlateReader) -> None:
    with pytest.raises((InferenceError, ValueError)):
        reader.read([np.zeros((0, 10), np.uint8)])


def test_a_batch_read_gives_the_candidates_a_crop_read_alone_gives(reader: PlateReader) -> None:
    # From ONLY_READINGS_MIN_BATCH crops on, simple lattices skip the candidate search.
    crops = [cv2.imdecode(np.frombuffer(stored.data, np.uint8), cv2.IMREAD_COLOR)
             for stored in bundled_plates().values()] * 2
    assert len(crops) >= ONLY_READINGS_MIN_BATCH
    batched = reader.read(crops)
    assert any(r.ctc is not None and r.ctc.found is not None for r in batched)
    for crop, reading in zip(crops, batched):
        (alone,) = reader.read([crop])
        assert alone.ctc is not None and alone.ctc.found is None
        assert reading.ctc is not None
        got = plate_candidates(reading.ctc, reading.text_latin)
        want = plate_candidates(alone.ctc, alone.text_latin)
        assert [text for text, _ in got] == [text for text, _ in want]
        assert [p for _, p in got] == pytest.approx([p for _, p in want], rel=1e-6)
