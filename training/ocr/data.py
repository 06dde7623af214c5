"""Training sets for the OCR model: synthetic plates of every type plus augmented real crops.

Every image goes through ``plate_service.recognition.preprocess.preprocess_crop``, the
same function the service uses, and two-line plates through ``plate_lines.side_by_side``
(``training.synth.plate``), so there is no train/serve skew. Arrays are kept as float16
to fit tens of thousands of samples in memory.
"""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass
from collections.abc import Callable, Mapping
from multiprocessing import get_context
from pathlib import Path

import cv2
import numpy as np

from plate_service.recognition.detector import box_iou
from plate_service.recognition.loading import load_detector
from plate_service.recognition.rectify import cut_plate
from plate_service.recognition.plate_types import PlateType, by_name
from plate_service.recognition.preprocess import InputSpec, preprocess_crop
from plate_service.recognition.types import PlateFormat
from training.real_dev_split import is_training_scene, read_scene_labels, training_crops
from training.synth.conditions import random_condition
from training.synth.plate import (CLIPPED_SHARE, CONDITION_SHARE, DARK_SHARE, FORMAT_WEIGHTS,
                                  TILTED_SHARE, jpeg, make_sample, provider_style,
                                  rotate_points, weather)
from training.synth.real_plate import RealGlyphPainter

logger = logging.getLogger(__name__)

# A detection counts as a labelled plate's at this box overlap (as in the detector eval).
SCENE_MATCH_IOU = 0.5


@dataclass(frozen=True)
class LabelledImage:
    """A real crop and its Latin text."""

    image: np.ndarray
    text_latin: str
    source: str


@dataclass(frozen=True)
class EncodedSet:
    """Preprocessed inputs (N, 1, H, W) float16 with CTC targets (concatenated + lengths)."""

    inputs: np.ndarray
    texts: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.texts)


def drawn_types(weights: Mapping[PlateFormat, float] = FORMAT_WEIGHTS
                ) -> tuple[PlateType, ...]:
    """The plate types a synthetic mix draws, in the table's order: what the model learns
    to read and its card lists (their alphabet is its classes)."""
    return tuple(by_name(f.value) for f in weights)


def encode_text(text_latin: str, alphabet: str) -> list[int]:
    """Latin text -> class ids (1-based; 0 is the CTC blank)."""
    return [alphabet.index(c) + 1 for c in text_latin]


def load_real(root: Path, kinds: tuple[str, ...] = ("crop", "provider-style"),
              keep: Callable[[dict[str, str]], bool] | None = None) -> list[LabelledImage]:
    """Real labelled crops from a folder with a labels.csv (real-extra, real-dev layout);
    ``keep`` picks rows by their labels.csv fields (a split)."""
    rows: list[LabelledImage] = []
    with (root / "labels.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["kind"] not in kinds or (keep is not None and not keep(row)):
                continue
            image = cv2.imread(str(root / row["file"]), cv2.IMREAD_COLOR)
            if image is None:
                raise FileNotFoundError(root / row["file"])
            rows.append(LabelledImage(image, row["plate_latin"], row["file"]))
    return rows


def load_real_dev_half(root: Path, half: str) -> list[LabelledImage]:
    """The real-dev crops of one half of the shared split (``"train"``: the half the
    detector trains on; ``"held"``: the other, for a cross-validation run).

    A plate whose text also appears in the other half is left out, so the same plate shot
    twice cannot leak from the training half into the eval.
    """
    if half not in ("train", "held"):
        raise ValueError(f"unknown real-dev half {half!r}")
    want = half == "train"
    halves = training_crops(root.parent)
    other = _plates_of_other_half(root.parent, want)
    return load_real(root, keep=lambda r: halves.get(r["file"]) == want
                     and r["plate_latin"] not in other)


def _plates_of_other_half(data_root: Path, want: bool) -> set[str]:
    """Plate texts that the other half holds, in its crops or its scenes."""
    halves = training_crops(data_root)
    with (data_root / "real-dev" / "labels.csv").open(encoding="utf-8") as fh:
        texts = {r["plate_latin"] for r in csv.DictReader(fh)
                 if r["file"] in halves and halves[r["file"]] != want}
    return texts | {row[4] for name, rows in read_scene_labels(data_root).items()
                    if is_training_scene(name) != want for row in rows}


def cut_scene_plates(data_root: Path, half: str, detector_dir: Path) -> list[LabelledImage]:
    """Plates of one half's real-dev scenes, cut out the way the service cuts them.

    The service reads a photo's plates from the detector's corners, padded and
    straightened (``cut_plate``), which frames a plate differently from the tight crops;
    reading those cuts is what the scene eval measures. Each labelled plate that the
    detector finds (IoU >= 0.5) gives one crop; plates whose text the other half also
    holds are left out, as in ``load_real_dev_half``. Sources: ``scenes/sNNNN.jpg#k``.
    """
    want = half == "train"
    scenes = read_scene_labels(data_root)
    other_texts = _plates_of_other_half(data_root, want)
    detector = load_detector(detector_dir, threads=1)
    cuts: list[LabelledImage] = []
    for name, rows in sorted(scenes.items()):
        if is_training_scene(name) != want:
            continue
        image = cv2.imread(str(data_root / "real-dev" / name), cv2.IMREAD_COLOR)
        if image is None:
            raise FileNotFoundError(data_root / "real-dev" / name)
        detections = detector.detect(image)
        for k, (*box, text) in enumerate(rows):
            if text in other_texts or not detections:
                continue
            best = max(detections, key=lambda d: box_iou(d.box, tuple(box)))
            if box_iou(best.box, tuple(box)) >= SCENE_MATCH_IOU:
                cuts.append(LabelledImage(cut_plate(image, best), text, f"{name}#{k}"))
    logger.info("%d plates cut from the %s half's scenes", len(cuts), half)
    return cuts


def augment_real(rng: np.random.Generator, image: np.ndarray) -> np.ndarray:
    """A plausible other shot of the same real plate: border, tilt, light, blur, size, JPEG."""
    h, w = image.shape[:2]
    # Loose or clipped border: pad with replicated edge or cut a little.
    margins = rng.uniform(-0.04, 0.1, 4)
    if rng.random() < CLIPPED_SHARE:
        margins[int(rng.integers(0, 2))] = -rng.uniform(0.1, 0.25)
    pad = [max(0, int(m * h)) for m in margins]
    img = cv2.copyMakeBorder(image, pad[2], pad[3], pad[0], pad[1], cv2.BORDER_REPLICATE)
    cut = [max(0, int(-m * h)) for m in margins]
    img = img[cut[2]:img.shape[0] - cut[3], cut[0]:img.shape[1] - cut[1]]
    h, w = img.shape[:2]
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    jit = np.stack([rng.uniform(-0.03, 0.03, 4) * w, rng.uniform(-0.08, 0.08, 4) * h], axis=1)
    dst = src + jit
    size = (w, h)
    if rng.random() < TILTED_SHARE:
        # Turned about its centre, on a canvas grown to hold the turned corners.
        dst = rotate_points(dst, rng.uniform(-10, 10))
        dst -= dst.min(axis=0)
        size = (int(np.ceil(dst[:, 0].max())), int(np.ceil(dst[:, 1].max())))
    matrix = cv2.getPerspectiveTransform(src, dst.astype(np.float32))
    img = cv2.warpPerspective(img, matrix, size, borderMode=cv2.BORDER_REPLICATE)
    if rng.random() < DARK_SHARE:
        img = 255 - img
    img = weather(rng, img)
    if rng.random() < 0.4:
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.3, 1.5))
    if rng.random() < 0.5:
        target_h = int(np.exp(rng.uniform(np.log(15), np.log(max(16, h)))))
        if target_h < h:
            img = cv2.resize(img, (max(8, int(w * target_h / h)), target_h),
                             interpolation=cv2.INTER_AREA)
    img = jpeg(img, int(rng.integers(40, 96)))
    if rng.random() < CONDITION_SHARE:
        img = random_condition(img, rng)[1]
    if rng.random() < 0.3:
        img = provider_style(img, rng)
    return img


# The glyph bank's painter of the running build, set in each worker as it starts (a
# forked worker inherits it rather than unpickling its glyphs for every chunk).
_painter: RealGlyphPainter | None = None


def _set_painter(painter: RealGlyphPainter | None) -> None:
    global _painter
    _painter = painter


def _synth_chunk(args: tuple[int, int, int, InputSpec, Mapping[PlateFormat, float]]
                 ) -> tuple[np.ndarray, list[str]]:
    seed, start, count, spec, weights = args
    out = np.empty((count, 1, spec.height, spec.width), np.float16)
    texts = []
    for j in range(count):
        sample = make_sample((seed, start + j), _painter, weights)
        out[j] = preprocess_crop(sample.image, spec)
        texts.append(sample.text_latin)
    return out, texts


def build_synthetic(seed: int, count: int, spec: InputSpec, processes: int = 2,
                    painter: RealGlyphPainter | None = None,
                    weights: Mapping[PlateFormat, float] = FORMAT_WEIGHTS) -> EncodedSet:
    """``count`` synthetic samples of the ``weights`` mix of types, generated in chunks
    (deterministic for any process count); with ``painter``, a share of the plates is
    composed from its real glyphs."""
    chunk = 1000
    jobs = [(seed, s, min(chunk, count - s), spec, weights) for s in range(0, count, chunk)]
    if processes > 1 and len(jobs) > 1:
        with get_context("fork").Pool(processes, _set_painter, (painter,)) as pool:
            parts = pool.map(_synth_chunk, jobs)
    else:
        _set_painter(painter)
        try:
            parts = [_synth_chunk(job) for job in jobs]
        finally:
            _set_painter(None)
    inputs = np.concatenate([p[0] for p in parts]) if parts else np.empty(
        (0, 1, spec.height, spec.width), np.float16)
    texts = tuple(t for p in parts for t in p[1])
    return EncodedSet(inputs, texts)


def build_real(images: list[LabelledImage], seed: int, copies: int,
               spec: InputSpec) -> EncodedSet:
    """Each real image once as is and ``copies`` times augmented."""
    rng = np.random.default_rng(seed)
    n = len(images) * (copies + 1)
    out = np.empty((n, 1, spec.height, spec.width), np.float16)
    texts = []
    i = 0
    for item in images:
        for c in range(copies + 1):
            img = item.image if c == 0 else augment_real(rng, item.image)
            out[i] = preprocess_crop(img, spec)
            texts.append(item.text_latin)
            i += 1
    return EncodedSet(out, tuple(texts))
