"""Export the trained plate net to ONNX with its card, and check the export against torch."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch

from plate_service.recognition.detector import INPUT_NORMALISATION
from plate_service.recognition.model_card import DetectorDecoding, InputSpec, ModelCard
from training.detector.model import CORNER_SCALE, STRIDE, PlateNet
from training.model_export import stamp_metadata, write_card

logger = logging.getLogger(__name__)

ONNX_NAME = "detector.onnx"
DEFAULT_SCORE_THRESHOLD = 0.3
# Finds from here up to the threshold are faint, kept only on a blue cut (``find``): the
# police plates on blue and grey cars that a detector trained mostly on white plates
# misses leave peaks of 0.13-0.29.
DEFAULT_FAINT_SCORE_THRESHOLD = 0.12
DEFAULT_NMS_IOU = 0.3
DEFAULT_MAX_DETECTIONS = 8


def export_detector(model: PlateNet, out_dir: Path, *, height: int, width: int,
                    training: dict[str, object] | None = None,
                    score_threshold: float = DEFAULT_SCORE_THRESHOLD,
                    faint_score_threshold: float = DEFAULT_FAINT_SCORE_THRESHOLD) -> Path:
    """Write ``detector.onnx`` and its card; return the ONNX path.

    The graph takes any batch, height and width (the serving side picks each photo's
    size, ``height`` x ``width`` at most). The ONNX file is reloaded with onnxruntime
    and compared to torch on random input, at the largest size and a smaller one,
    before the card is written.
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
                          dynamic_axes={name: {0: "batch", 2: "height", 3: "width"}
                                        for name in ("image", "heat", "corners")},
                          dynamo=False)
    card = ModelCard(
        weights=ONNX_NAME, sha256="",
        input=InputSpec(channels=3, height=height, width=width,
                        normalisation=INPUT_NORMALISATION),
        decoding=DetectorDecoding(stride=STRIDE, corner_scale=CORNER_SCALE,
                                  score_threshold=score_threshold, nms_iou=DEFAULT_NMS_IOU,
                                  max_detections=DEFAULT_MAX_DETECTIONS,
                                  faint_score_threshold=min(faint_score_threshold,
                                                            score_threshold)),
        training=dict(training or {}))
    stamp_metadata(onnx_path, card, "plate-service plate detector: heatmap + 4 corners")

    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    with torch.no_grad():
        want = [t.numpy() for t in model(sample)]
        small = sample[:1, :, :height // 2 + 32, :width // 2]
        want_small = [t.numpy() for t in model(small)]
    got = session.run(None, {"image": sample.numpy()})
    got_small = session.run(None, {"image": small.numpy()})
    for name, a, b in zip(("heat", "corners") * 2, want + want_small, got + got_small):
        diff = float(np.abs(a - b).max())
        if diff > 1e-3:
            raise RuntimeError(f"ONNX export differs from torch on {name}: max |diff| {diff}")
        logger.info("export check %s %s: max |torch - onnx| = %.2e", name, a.shape, diff)

    write_card(out_dir, card)
    return onnx_path
