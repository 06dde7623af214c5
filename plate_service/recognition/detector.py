"""The plate detector: a tiny CenterNet-style ONNX model that finds plates and their corners."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import onnxruntime as ort

from plate_service.errors import InferenceError
from plate_service.recognition.geometry import order_corners
from plate_service.recognition.model_card import DetectorDecoding, ModelCard
from plate_service.recognition.types import Detection

# Grey of the letterbox bars; the training scenes use the same value.
PAD_VALUE = 114
# The input ``detect`` feeds the model, as a detector card names it.
INPUT_NORMALISATION = f"bgr_0_255_letterbox_{PAD_VALUE}"
# A detector whose graph takes any input size gets each photo at a size that is a
# multiple of this (the net halves its input five times).
SIZE_MULTIPLE = 32


@dataclass(frozen=True)
class Letterbox:
    """How an image was fitted into the model input: scale, then pad left/top."""

    scale: float
    pad_x: int
    pad_y: int


def input_size(src_h: int, src_w: int, max_h: int, max_w: int) -> tuple[int, int]:
    """The input (height, width) for a photo of (src_h, src_w) on a detector that takes
    any size up to (max_h, max_w): the photo shrunk to fit, never enlarged, rounded up
    to SIZE_MULTIPLE. Small photos thus cost less and keep their pixel scale."""
    scale = min(1.0, max_h / src_h, max_w / src_w)

    def fit(side: int, limit: int) -> int:
        return min(limit, -(-max(1, round(side * scale)) // SIZE_MULTIPLE) * SIZE_MULTIPLE)

    return fit(src_h, max_h), fit(src_w, max_w)


def letterbox(image: np.ndarray, height: int, width: int, max_scale: float = float("inf")
              ) -> tuple[np.ndarray, Letterbox]:
    """Resize keeping the aspect ratio, by at most ``max_scale``, and pad to (height,
    width); BGR uint8 in and out.

    Shared by training and serving so both see the same pixels.
    """
    src_h, src_w = image.shape[:2]
    scale = min(width / src_w, height / src_h, max_scale)
    new_w = max(1, min(width, int(round(src_w * scale))))
    new_h = max(1, min(height, int(round(src_h * scale))))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    resized = cv2.resize(image, (new_w, new_h), interpolation=interpolation)
    canvas = np.full((height, width, 3), PAD_VALUE, dtype=np.uint8)
    pad_x, pad_y = (width - new_w) // 2, (height - new_h) // 2
    canvas[pad_y:pad_y + new_h, pad_x:pad_x + new_w] = resized
    return canvas, Letterbox(scale, pad_x, pad_y)


def decode_outputs(heat: np.ndarray, corners: np.ndarray, *, stride: int, corner_scale: float,
                   score_threshold: float, max_candidates: int = 50
                   ) -> list[tuple[float, np.ndarray]]:
    """Peaks of one heatmap (h, w) and their 4 corners (8, h, w) in model-input pixels.

    A peak is a local 3x3 maximum above the threshold; corner channels hold
    (x, y) offsets from the peak cell's centre divided by ``corner_scale``.
    """
    peaks = heat == cv2.dilate(heat, np.ones((3, 3), np.uint8))
    ys, xs = np.nonzero(peaks & (heat >= score_threshold))
    order = np.argsort(-heat[ys, xs])[:max_candidates]
    found = []
    for y, x in zip(ys[order], xs[order]):
        centre = np.array([(x + 0.5) * stride, (y + 0.5) * stride], dtype=np.float32)
        offsets = corners[:, y, x].reshape(4, 2) * corner_scale
        found.append((float(heat[y, x]), centre + offsets))
    return found


def box_iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """Intersection over union of two (x1, y1, x2, y2) boxes; NMS and the eval share it."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


class PlateDetector:
    """Finds plates in a BGR photo; boxes and corners come back in original pixels.

    A graph with a fixed input size sees every photo letterboxed to the card's size; a
    graph that takes any height and width sees each photo at ``input_size``, the card's
    size being the largest. Holds only the onnxruntime session and the immutable card,
    so one instance is shared safely by the worker threads (``InferenceSession.run`` is
    thread-safe).
    """

    def __init__(self, session: ort.InferenceSession, card: ModelCard[DetectorDecoding]) -> None:
        self._session = session
        self._card = card
        graph_input = session.get_inputs()[0]
        self._input_name = graph_input.name
        self._any_size = not all(isinstance(dim, int) for dim in graph_input.shape[2:])

    @property
    def card(self) -> ModelCard[DetectorDecoding]:
        return self._card

    def detect(self, image: np.ndarray, faint: bool = False) -> list[Detection]:
        """Plates on one BGR uint8 image (HxWx3), best score first, after NMS; with
        ``faint``, also the finds scoring from the card's ``faint_score_threshold`` up,
        marked ``faint``, for the find stage to judge."""
        spec, card = self._card.input, self._card.decoding
        if image.ndim == 2:
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        if self._any_size:
            size = input_size(image.shape[0], image.shape[1], spec.height, spec.width)
            canvas, fit = letterbox(image, *size, max_scale=1.0)
        else:
            canvas, fit = letterbox(image, spec.height, spec.width)
        batch = np.ascontiguousarray(canvas.transpose(2, 0, 1)[None], dtype=np.float32)
        try:
            heat, corners = self._session.run(None, {self._input_name: batch})
        except Exception as exc:  # onnxruntime raises its own untyped errors
            raise InferenceError(f"plate detector failed: {exc}") from exc
        found = decode_outputs(heat[0, 0], corners[0], stride=card.stride,
                               corner_scale=card.corner_scale,
                               score_threshold=card.faint_score_threshold if faint
                               else card.score_threshold)
        height, width = image.shape[:2]
        detections: list[Detection] = []
        kept_boxes: list[tuple[float, ...]] = []
        for score, points in found:
            points = (points - np.array([fit.pad_x, fit.pad_y], np.float32)) / fit.scale
            points[:, 0] = np.clip(points[:, 0], 0, width - 1)
            points[:, 1] = np.clip(points[:, 1], 0, height - 1)
            box_f = (float(points[:, 0].min()), float(points[:, 1].min()),
                     float(points[:, 0].max()) + 1, float(points[:, 1].max()) + 1)
            if box_f[2] - box_f[0] < 4 or box_f[3] - box_f[1] < 2:
                continue
            if any(box_iou(box_f, kept) > card.nms_iou for kept in kept_boxes):
                continue
            kept_boxes.append(box_f)
            box = (int(np.floor(box_f[0])), int(np.floor(box_f[1])),
                   int(np.ceil(box_f[2])), int(np.ceil(box_f[3])))
            corner_tuple = tuple((float(x), float(y)) for x, y in order_corners(points))
            detections.append(Detection(box=box, score=score, corners=corner_tuple,
                                        faint=score < card.score_threshold))
            if len(detections) >= card.max_detections:
                break
        return detections
