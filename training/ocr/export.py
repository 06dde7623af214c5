"""Export the trained recogniser to ONNX with its card, and prove the export matches torch."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
import torch

from plate_service.recognition.model_card import CARD_NAME, WEIGHTS_NAME, ModelCard
from plate_service.recognition.onnx_models import sha256_of
from plate_service.recognition.plate_format import ALPHABET, BLANK_INDEX
from plate_service.recognition.preprocess import InputSpec
from training.ocr.model import PlateOcrNet

logger = logging.getLogger(__name__)

INPUT_NAME = "input"
OUTPUT_NAME = "probs"
OPSET = 17
# ONNX and torch run the same float32 maths in a different order; this much is rounding.
MAX_ABS_DIFF = 1e-4


def export_onnx(model: PlateOcrNet, spec: InputSpec, out_dir: Path,
                metrics: dict[str, Any] | None = None,
                training: dict[str, Any] | None = None) -> ModelCard:
    """Write ``plate_ocr.onnx`` (dynamic batch, alphabet in metadata) and ``plate_ocr.json``.

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
    proto = onnx.load(str(path))
    meta = {"alphabet": ALPHABET, "blank_index": str(BLANK_INDEX),
            "input_height": str(spec.height), "input_width": str(spec.width),
            "input_channels": str(spec.channels), "normalisation": spec.normalisation}
    for key, value in meta.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    proto.doc_string = "plate-service OCR: CNN + CTC over GOST R 50577 plate characters"
    onnx.checker.check_model(proto)
    onnx.save(proto, str(path))
    check_export(model, path, spec)
    card = ModelCard(alphabet=ALPHABET, input=spec, sha256=sha256_of(path),
                     metrics=metrics or {}, training=training or {})
    (out_dir / CARD_NAME).write_text(card.to_json(), encoding="utf-8")
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
