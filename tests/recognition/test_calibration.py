"""Confidence calibration: a monotone map, checked against the OCR weights it was fitted for."""

from __future__ import annotations

from pathlib import Path

import pytest

from plate_service.errors import ModelLoadError
from plate_service.recognition.calibration import (
    CALIBRATION_NAME,
    TARGETS,
    ConfidenceCalibration,
    describe_targets,
    load_calibration,
)
from plate_service.recognition.model_card import OcrDecoding, read_card
from tests.conftest import REPO_ROOT

OCR_DIR = REPO_ROOT / "models" / "ocr"


def test_the_map_interpolates_between_knots_and_clamps_outside() -> None:
    calibration = ConfidenceCalibration((0.0, 0.4, 0.8, 1.0), (0.0, 0.5, 0.9, 1.0), "x")
    assert calibration.apply(0.2) == pytest.approx(0.25)
    assert calibration.apply(0.8) == pytest.approx(0.9)
    assert calibration.apply(0.9) == pytest.approx(0.95)
    assert calibration.apply(-1.0) == 0.0 and calibration.apply(2.0) == 1.0


def test_knots_must_increase() -> None:
    with pytest.raises(ValueError):
        ConfidenceCalibration((0.0, 0.5, 0.5, 1.0), (0.0, 0.5, 0.9, 1.0), "x")


def test_the_shipped_calibration_fits_the_shipped_ocr_weights() -> None:
    card = read_card(OCR_DIR, OcrDecoding)
    calibration = load_calibration(OCR_DIR, card.sha256)
    assert calibration.reported[1:-1] == tuple(level for level, _ in TARGETS)


def test_the_targets_in_words_name_each_level_and_share() -> None:
    words = describe_targets()
    for level, share in TARGETS:
        assert f">= {level:g}" in words and f">= {share:.0%}" in words


def test_a_calibration_for_other_weights_is_refused(tmp_path: Path) -> None:
    calibration = ConfidenceCalibration((0.0, 1.0), (0.0, 1.0), "a" * 64)
    (tmp_path / CALIBRATION_NAME).write_text(calibration.to_json(), encoding="utf-8")
    with pytest.raises(ModelLoadError, match="training.calibrate"):
        load_calibration(tmp_path, "b" * 64)
    with pytest.raises(ModelLoadError, match="not found"):
        load_calibration(tmp_path / "elsewhere", "a" * 64)
