"""Export the trained recogniser to ONNX with its card, and prove the export matches torch."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import torch

from plate_service.recognition.model_card import InputSpec, ModelCard, OcrDecoding
from plate_service.recognition.plate_format import BLANK_INDEX, required_alphabet
from plate_service.recognition.plate_types import PlateType
from training.model_export import stamp_metadata, write_card
from training.ocr.model import PlateOcrNet

logger = logging.getLogger(__name__)

INPUT_NAME = "input"
OUTPUT_NAME = "probs"
WEIGHTS_NAME = "plate_ocr.onnx"
OPSET = 17
# ONNX and torch run the same float32 maths in a different order; this much is rounding.
MAX_ABS_DIFF = 1e-4


def export_onnx(model: PlateOcrNet, spec: InputSpec, out_dir: Path,
                plate_types: Sequence[PlateType],
                metrics: dict[str, Any] | None = None,
                training: dict[str, Any] | None = None) -> ModelCard[OcrDecoding]:
    """Write ``plate_ocr.onnx`` (dynamic batch, the card's facts in metadata) and its card.

    The card lists ``plate_types``, the types the data taught the model (in the order the
    reader tries their formats in), and their alphabet, which must be the model's classes.

    The file is reloaded with onnxruntime and compared with the torch model on a random
    batch; a mismatch raises instead of shipping wrong weights.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / WEIGHTS_NAME
    model = model.eval()
    dummy = torch.zeros(1, spec.channels, spec.height, spec.width)
    with warnings.catch_warnings():
        # The TorchScript exporter is deprecated but needs no onnxscript and gives a
        # plain static graph for this all-conv model; its deprecation notice is noise.
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(model, (dummy,), str(path), input_names=[INPUT_NAME],
                          output_names=[OUTPUT_NAME], opset_version=OPSET,
                          dynamic_axes={INPUT_NAME: {0: "batch"}, OUTPUT_NAME: {0: "batch"}},
                          dynamo=False)
    alphabet = required_alphabet(plate_types)
    if model.head.out_channels != len(alphabet) + 1:
        raise ValueError(f"the model has {model.head.out_channels} classes; the blank and "
                         f"the alphabet {alphabet!r} of its types are {len(alphabet) + 1}")
    card = ModelCard(weights=WEIGHTS_NAME, sha256="", input=spec,
                     decoding=OcrDecoding(
                         alphabet=alphabet, blank_index=BLANK_INDEX,
                         plate_types=tuple(row.gost_type for row in plate_types)),
                     metrics=metrics or {}, training=training or {})
    stamp_metadata(path, card, "plate-service OCR: CNN + CTC over GOST R 50577 plate "
                   "characters")
    check_export(model, path, spec)
    card = write_card(out_dir, card)
    logger.info("exported %s (%.2f MB)", path, path.stat().st_size / 1e6)
    return card


def check_export(model: PlateOcrNet, path: Path, spec: InputSpec) -> float:
    """Max |torch - onnxruntime| on a random batch of 5; raises when above tolerance."""
    x = np.random.default_rng(0).normal(size=(5, spec.channels, spec.height, spec.width))
    x = x.astype(np.float32)
    with torch.no_grad():
        expected = model(torch.from_numpy(x)).numpy()
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {INPUT_NAME: x})[0]
    diff = float(np.abs(expected - got).max())
    if got.shape != expected.shape or diff > MAX_ABS_DIFF:
        raise RuntimeError(f"ONNX export differs from torch: shape {got.shape} vs "
                           f"{expected.shape}, max abs diff {diff}")
    return diff
