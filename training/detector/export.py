"""Export the trained plate net to ONNX with its card, and check the export against torch."""

from __future__ import annotations

import hashlib
import json
import logging
import warnings
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch

from plate_service.recognition.detector import CARD_NAME
from training.detector.model import CORNER_SCALE, STRIDE, PlateNet

logger = logging.getLogger(__name__)

ONNX_NAME = "detector.onnx"
DEFAULT_SCORE_THRESHOLD = 0.3
DEFAULT_NMS_IOU = 0.3
DEFAULT_MAX_DETECTIONS = 8


def export_detector(model: PlateNet, out_dir: Path, *, height: int, width: int,
                    extra: dict[str, object] | None = None,
                    score_threshold: float = DEFAULT_SCORE_THRESHOLD) -> Path:
    """Write ``detector.onnx`` (dynamic batch) and ``detector.json``; return the ONNX path.

    The ONNX file carries the card's decoding facts in its metadata too, and is reloaded
    with onnxruntime and compared to torch on random input before the card is written.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    onnx_path = out_dir / ONNX_NAME
    model = model.eval()
    sample = torch.rand(2, 3, height, width) * 255
    with warnings.catch_warnings():
        # The TorchScript exporter is deprecated but needs no onnxscript and suits this
        # plain convolutional graph.
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(model, (sample,), str(onnx_path), input_names=["image"],
                          output_names=["heat", "corners"], opset_version=17,
                          dynamic_axes={"image": {0: "batch"}, "heat": {0: "batch"},
                                        "corners": {0: "batch"}}, dynamo=False)
    facts = {"input_height": height, "input_width": width, "stride": STRIDE,
             "corner_scale": CORNER_SCALE, "score_threshold": score_threshold,
             "nms_iou": DEFAULT_NMS_IOU, "max_detections": DEFAULT_MAX_DETECTIONS,
             "input": "float32 BGR 0..255, NCHW, letterboxed with grey 114"}
    graph = onnx.load(str(onnx_path))
    for key, value in facts.items():
        entry = graph.metadata_props.add()
        entry.key, entry.value = key, str(value)
    onnx.save(graph, str(onnx_path))

    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    with torch.no_grad():
        want = [t.numpy() for t in model(sample)]
    got = session.run(None, {"image": sample.numpy()})
    for name, a, b in zip(("heat", "corners"), want, got):
        diff = float(np.abs(a - b).max())
        if diff > 1e-3:
            raise RuntimeError(f"ONNX export differs from torch on {name}: max |diff| {diff}")
        logger.info("export check %s: max |torch - onnx| = %.2e", name, diff)

    digest = hashlib.sha256(onnx_path.read_bytes()).hexdigest()
    card = {"onnx_file": ONNX_NAME, "sha256": digest, **facts, **(extra or {})}
    (out_dir / CARD_NAME).write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    return onnx_path
