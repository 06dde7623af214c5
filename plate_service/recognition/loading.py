"""Model loading, all of it: a model folder's card and weights become a checked
onnxruntime session, and the shipped folders under ``models/`` become the recogniser.

Every model opens the same way (``open_model``): parse and check the card
(``model_card``), verify the weights' SHA-256, open a CPU session, then check the graph
against the card (input shape, outputs, ONNX metadata) and the card against the code
(the input normalisation the code implements). A mismatch anywhere refuses the start
rather than serving nonsense.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from pathlib import Path

import onnxruntime as ort

from plate_service.errors import ModelLoadError
from plate_service.recognition.calibration import IDENTITY, load_calibration
from plate_service.recognition.detector import INPUT_NORMALISATION as DETECTOR_NORMALISATION
from plate_service.recognition.detector import PlateDetector
from plate_service.recognition.model_card import (
    D,
    DetectorDecoding,
    ModelCard,
    OcrDecoding,
    read_card,
)
from plate_service.recognition.ocr import PlateReader
from plate_service.recognition.find import PlateDetectorLike
from plate_service.recognition.pipeline import PlateRecognizer
from plate_service.recognition.read import CORNER_PADDINGS
from plate_service.recognition.preprocess import OCR_INPUT

logger = logging.getLogger(__name__)

OCR_DIR = "ocr"
DETECTOR_DIR = "detector"


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def open_session(path: Path, *, threads: int) -> ort.InferenceSession:
    """A CPU onnxruntime session with ``threads`` intra-op threads (1 inter-op thread).

    The service runs several recognitions in parallel on its worker threads, so each
    session uses few threads rather than all cores.
    """
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    try:
        return ort.InferenceSession(str(path), sess_options=options,
                                    providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own untyped errors
        raise ModelLoadError(f"onnxruntime cannot load {path}: {exc}") from exc


def open_model(model_dir: Path, decoding: type[D], *, normalisation: str,
               threads: int) -> tuple[ModelCard[D], ort.InferenceSession]:
    """The checked card and a session for the weights in ``model_dir``.

    ``normalisation`` is the input normalisation the calling code implements; a card
    that asks for another one is refused.
    """
    card = read_card(model_dir, decoding)
    if card.input.normalisation != normalisation:
        raise ModelLoadError(f"{model_dir}: the card's input normalisation "
                             f"{card.input.normalisation!r} is not the code's {normalisation!r}")
    weights = model_dir / card.weights
    if not weights.is_file():
        raise ModelLoadError(f"weights {weights} not found")
    actual = sha256_of(weights)
    if actual != card.sha256:
        raise ModelLoadError(f"sha256 of {weights} is {actual}, the card says {card.sha256}")
    session = open_session(weights, threads=threads)
    _check_graph(session, card, weights)
    logger.info("%s model loaded from %s (sha256 %s..., %d threads)", card.kind, weights,
                card.sha256[:12], threads)
    return card, session


def _check_graph(session: ort.InferenceSession, card: ModelCard[D], weights: Path) -> None:
    """The graph's input, outputs and metadata must be the ones the card describes."""
    spec = card.input
    shape = session.get_inputs()[0].shape
    expected = [spec.channels, spec.height, spec.width]
    # A graph may leave height and width open (a detector that takes any photo size up
    # to the card's); the channels are always fixed.
    if len(session.get_inputs()) != 1 or len(shape) != 4 or shape[1] != expected[0] or any(
            isinstance(got, int) and got != want for got, want in zip(shape[2:], expected[1:])):
        raise ModelLoadError(f"{weights}: graph input shape {shape} is not the card's "
                             f"(batch, {expected[0]}, {expected[1]}, {expected[2]})")
    try:
        card.decoding.check_outputs(spec, [list(out.shape) for out in session.get_outputs()])
    except ValueError as exc:
        raise ModelLoadError(f"{weights}: {exc}") from exc
    metadata = session.get_modelmeta().custom_metadata_map
    for key, value in card.metadata().items():
        if key in metadata and metadata[key] != value:
            raise ModelLoadError(f"{weights}: ONNX metadata {key}={metadata[key]!r}, the "
                                 f"card says {value!r}")


def load_reader(model_dir: Path, *, threads: int = 1) -> PlateReader:
    """The OCR model in ``model_dir`` (its card and weights, checked)."""
    card, session = open_model(model_dir, OcrDecoding, normalisation=OCR_INPUT.normalisation,
                               threads=threads)
    return PlateReader(session, card)


def load_detector(model_dir: Path, *, threads: int = 1) -> PlateDetector:
    """The plate detector in ``model_dir`` (its card and weights, checked)."""
    card, session = open_model(model_dir, DetectorDecoding,
                               normalisation=DETECTOR_NORMALISATION, threads=threads)
    return PlateDetector(session, card)


def load_recognizer(models_dir: Path, *, threads: int = 1,
                    corner_paddings: Sequence[float] = CORNER_PADDINGS,
                    calibrated: bool = True,
                    allow_no_detector: bool = False, second_look: bool = True
                    ) -> PlateRecognizer:
    """Load the OCR model, its confidence calibration and the detector; all are required
    unless told otherwise.

    A service without its detector reads every photo as a plate crop and finds nothing,
    so it runs without one only when ``allow_no_detector`` says so.
    ``corner_paddings`` exists for the evals, which compare framings; ``calibrated=False``
    reports raw confidences, for the command that fits the calibration;
    ``second_look`` switches the second look off for the evals (see
    ``PlateRecognizer``). The service keeps the defaults.
    """
    ocr_dir = models_dir / OCR_DIR
    if not ocr_dir.is_dir():
        raise ModelLoadError(f"OCR model folder {ocr_dir} does not exist")
    reader = load_reader(ocr_dir, threads=threads)
    calibration = load_calibration(ocr_dir, reader.card.sha256) if calibrated else IDENTITY
    detector: PlateDetectorLike | None = None
    detector_dir = models_dir / DETECTOR_DIR
    if detector_dir.is_dir():
        detector = load_detector(detector_dir, threads=threads)
    elif not allow_no_detector:
        raise ModelLoadError(f"detector model folder {detector_dir} does not exist "
                             "(ALLOW_NO_DETECTOR=true serves tight plate crops only)")
    logger.info("models loaded from %s (detector: %s)", models_dir,
                "yes" if detector else "no")
    return PlateRecognizer(reader, detector, corner_paddings, calibration,
                           second_look=second_look)
