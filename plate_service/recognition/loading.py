"""Build the recogniser from the model folders shipped under ``models/``."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from plate_service.errors import ModelLoadError
from plate_service.recognition.calibration import IDENTITY, load_calibration
from plate_service.recognition.pipeline import (
    CORNER_PADDINGS,
    PlateDetectorLike,
    PlateRecognizer,
)

logger = logging.getLogger(__name__)

OCR_DIR = "ocr"
DETECTOR_DIR = "detector"


def load_recognizer(models_dir: Path, *, threads: int = 1,
                    corner_paddings: Sequence[float] = CORNER_PADDINGS,
                    calibrated: bool = True) -> PlateRecognizer:
    """Load the OCR model (required), its confidence calibration, and the detector (when
    its folder exists).

    Refuses to start on a missing or mismatched OCR model or calibration rather than
    serving nonsense. ``corner_paddings`` exists for the evals, which compare framings;
    ``calibrated=False`` reports raw confidences, for the command that fits the
    calibration. The service keeps the defaults.
    """
    from plate_service.recognition.ocr import PlateReader

    ocr_dir = models_dir / OCR_DIR
    if not ocr_dir.is_dir():
        raise ModelLoadError(f"OCR model folder {ocr_dir} does not exist")
    reader = PlateReader.load(ocr_dir, threads=threads)
    calibration = load_calibration(ocr_dir, reader.card.sha256) if calibrated else IDENTITY
    detector: PlateDetectorLike | None = None
    detector_dir = models_dir / DETECTOR_DIR
    if detector_dir.is_dir():
        from plate_service.recognition.detector import PlateDetector

        detector = PlateDetector.load(detector_dir, threads=threads)
    logger.info("models loaded from %s (detector: %s)", models_dir,
                "yes" if detector else "no")
    return PlateRecognizer(reader, detector, corner_paddings, calibration)
