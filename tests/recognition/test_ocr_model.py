"""The shipped ONNX OCR model: loads with its card checks, reads both upstream images exactly."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from plate_service.errors import InferenceError, ModelLoadError
from plate_service.recognition.model_card import CARD_NAME, WEIGHTS_NAME
from plate_service.recognition.ocr import PlateReader
from plate_service.recognition.plate_format import ALPHABET
from tests.conftest import MODELS_DIR

OCR_DIR = MODELS_DIR / "ocr"


@pytest.fixture(scope="module")
def reader() -> PlateReader:
    return PlateReader.load(OCR_DIR, threads=1)


def test_weights_are_small_and_carry_their_alphabet(reader: PlateReader) -> None:
    assert (OCR_DIR / WEIGHTS_NAME).stat().st_size <= 5 * 1024 * 1024
    assert reader.card.alphabet == ALPHABET
    meta = reader._session.get_modelmeta().custom_metadata_map
    assert meta["alphabet"] == ALPHABET
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


def _copy_model(tmp_path: Path) -> Path:
    for name in (WEIGHTS_NAME, CARD_NAME):
        shutil.copy(OCR_DIR / name, tmp_path / name)
    return tmp_path


def test_sha256_mismatch_refuses_to_load(tmp_path: Path) -> None:
    model_dir = _copy_model(tmp_path)
    with (model_dir / WEIGHTS_NAME).open("ab") as fh:
        fh.write(b"\0")
    with pytest.raises(ModelLoadError, match="sha256"):
        PlateReader.load(model_dir)


def test_input_shape_mismatch_refuses_to_load(tmp_path: Path) -> None:
    model_dir = _copy_model(tmp_path)
    card = json.loads((model_dir / CARD_NAME).read_text())
    card["input"]["height"] = 48
    (model_dir / CARD_NAME).write_text(json.dumps(card))
    with pytest.raises(ModelLoadError, match="shape"):
        PlateReader.load(model_dir)


def test_missing_card_refuses_to_load(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError):
        PlateReader.load(tmp_path)
