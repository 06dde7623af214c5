"""load_recognizer: a missing detector stops the start unless running without one is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

from plate_service.errors import ModelLoadError
from plate_service.recognition.loading import DETECTOR_DIR, OCR_DIR, load_recognizer
from tests.conftest import MODELS_DIR


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
