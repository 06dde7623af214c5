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
                    calibrated: bool = True,
                    allow_no_detector: bool = False) -> PlateRecognizer:
    """Load the OCR model, its confidence calibration and the detector; all are required
    unless told otherwise.

    Refuses to start on a missing or mismatched model or calibration rather than serving
    nonsense: a service without its detector reads every photo as a plate crop and finds
    nothing, so it runs without one only when ``allow_no_detector`` says so.
    ``corner_paddings`` exists for the evals, which compare framings; ``calibrated=False``
    reports raw confidences, for the command that fits the calibration. The service keeps
    the defaults.
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
    elif not allow_no_detector:
        raise ModelLoadError(f"detector model folder {detector_dir} does not exist "
                             "(ALLOW_NO_DETECTOR=true serves tight plate crops only)")
    logger.info("models loaded from %s (detector: %s)", models_dir,
                "yes" if detector else "no")
    return PlateRecognizer(reader, detector, corner_paddings, calibration)
