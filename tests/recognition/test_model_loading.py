"""Both shipped models load through one card format and one loader, which refuses any
card field that is missing, unknown, mistyped, out of range or at odds with the weights
or the code; the recogniser needs its detector unless running without one is allowed."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from plate_service.errors import ModelLoadError
from plate_service.recognition.loading import (
    DETECTOR_DIR,
    OCR_DIR,
    load_detector,
    load_reader,
    load_recognizer,
)
from plate_service.recognition.model_card import (
    CARD_NAME,
    DetectorDecoding,
    OcrDecoding,
    read_card,
)
from tests.conftest import MODELS_DIR
from tests.requirements import missing

Loader = Callable[..., object]
KINDS = [pytest.param(OCR_DIR, load_reader, OcrDecoding, id="ocr"),
         pytest.param(DETECTOR_DIR, load_detector, DetectorDecoding, id="detector")]


def _copy(folder: str, tmp_path: Path) -> Path:
    source = MODELS_DIR / folder
    if not (source / CARD_NAME).is_file():
        missing(f"no model card in {source}")
    target = tmp_path / folder
    shutil.copytree(source, target)
    return target


def _edit(model_dir: Path, change: Callable[[dict[str, Any]], None]) -> None:
    path = model_dir / CARD_NAME
    card = json.loads(path.read_text(encoding="utf-8"))
    change(card)
    path.write_text(json.dumps(card), encoding="utf-8")


@pytest.mark.parametrize(("folder", "load", "decoding"), KINDS)
def test_shipped_model_loads_and_its_card_round_trips(
        folder: str, load: Loader, decoding: type, tmp_path: Path) -> None:
    model_dir = _copy(folder, tmp_path)
    card = read_card(model_dir, decoding)
    assert card.kind == folder and card.trained_on
    card.write(model_dir)
    assert read_card(model_dir, decoding) == card
    assert load(model_dir).card == card  # type: ignore[attr-defined]


@pytest.mark.parametrize(("folder", "load", "decoding"), KINDS)
def test_weights_that_are_not_the_cards_are_refused(
        folder: str, load: Loader, decoding: type, tmp_path: Path) -> None:
    model_dir = _copy(folder, tmp_path)
    with (model_dir / read_card(model_dir, decoding).weights).open("ab") as handle:
        handle.write(b"\0")
    with pytest.raises(ModelLoadError, match="sha256"):
        load(model_dir)


BAD_CARDS: list[Any] = [
    # (folder, edit, what the error names)
    (OCR_DIR, lambda c: c.pop("sha256"), "missing .'sha256'"),
    (OCR_DIR, lambda c: c.update(notes="hi"), "unknown .'notes'"),
    (OCR_DIR, lambda c: c.update(format=1), "format 1"),
    (OCR_DIR, lambda c: c.update(kind="detector"), "kind 'detector'"),
    (OCR_DIR, lambda c: c.update(sha256="ABC"), "64 lowercase hex"),
    (OCR_DIR, lambda c: c.update(weights="../detector/detector.onnx"), "file name"),
    (OCR_DIR, lambda c: c["input"].update(height="32"), "input.height"),
    (OCR_DIR, lambda c: c["input"].update(channels=True), "input.channels"),
    (OCR_DIR, lambda c: c["input"].update(height=48), "shape"),
    (OCR_DIR, lambda c: c["input"].update(normalisation="none"), "normalisation"),
    (OCR_DIR, lambda c: c["decoding"].update(alphabet="0123456789"), "alphabet"),
    (OCR_DIR, lambda c: c["decoding"].update(blank_index=22), "blank_index"),
    (OCR_DIR, lambda c: c["training"].update(trained_on="a.png"), "trained_on"),
    # The model reads the types its card lists: one the table lacks, one listed twice, one
    # that prints a letter the alphabet lacks (the D of diplomatic plates), or a missing
    # list refuses the weights.
    (OCR_DIR, lambda c: c["decoding"].update(plate_types=["1", "99"]), "no types of"),
    (OCR_DIR, lambda c: c["decoding"].update(plate_types=["1", "1"]), "each once"),
    (OCR_DIR, lambda c: c["decoding"].update(plate_types=["1", "1Б", "2", "20", "15"]),
     "not the one plate_types .* print"),
    (OCR_DIR, lambda c: c["decoding"].update(plate_types="1"), "decoding.plate_types"),
    (OCR_DIR, lambda c: c["decoding"].pop("plate_types"), "missing .'plate_types'"),
    (DETECTOR_DIR, lambda c: c["decoding"].pop("stride"), "missing .'stride'"),
    # The graph's input is of open size: its metadata records the largest, 576x768.
    (DETECTOR_DIR, lambda c: c["input"].update(width=544), "metadata input_width"),
    (DETECTOR_DIR, lambda c: c["input"].update(normalisation="rgb_0_1"), "normalisation"),
    (DETECTOR_DIR, lambda c: c["decoding"].update(score_threshold=1.5), "score_threshold"),
    (DETECTOR_DIR, lambda c: c["decoding"].update(max_detections=0), "max_detections"),
    (DETECTOR_DIR, lambda c: c["decoding"].update(faint_score_threshold=0.4),
     "faint_score_threshold"),
    # The graph's output grid is of open size like its input; its metadata records the
    # stride, 4, and the NMS overlap, 0.3.
    (DETECTOR_DIR, lambda c: c["decoding"].update(stride=8), "metadata stride"),
    (DETECTOR_DIR, lambda c: c["decoding"].update(nms_iou=0.5), "metadata nms_iou"),
]


@pytest.mark.parametrize(("folder", "edit", "named"), BAD_CARDS)
def test_a_card_field_that_is_wrong_refuses_the_model(
        folder: str, edit: Callable[[dict[str, Any]], None], named: str,
        tmp_path: Path) -> None:
    model_dir = _copy(folder, tmp_path)
    _edit(model_dir, edit)
    load = load_reader if folder == OCR_DIR else load_detector
    with pytest.raises(ModelLoadError, match=named):
        load(model_dir)


@pytest.mark.parametrize("load", [load_reader, load_detector])
def test_a_folder_without_a_card_refuses_to_load(load: Loader, tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="not found"):
        load(tmp_path)


@pytest.fixture
def models_without_detector(tmp_path: Path) -> Path:
    (tmp_path / OCR_DIR).symlink_to(MODELS_DIR / OCR_DIR, target_is_directory=True)
    return tmp_path


def test_a_missing_detector_is_an_error_naming_the_setting(
    models_without_detector: Path
) -> None:
    with pytest.raises(ModelLoadError, match="ALLOW_NO_DETECTOR"):
        load_recognizer(models_without_detector)


def test_a_missing_detector_is_accepted_when_allowed(models_without_detector: Path) -> None:
    assert not load_recognizer(models_without_detector, allow_no_detector=True).has_detector
    assert not (models_without_detector / DETECTOR_DIR).exists()
