"""Fit the map from raw to reported plate confidence on held-out real images, and print how
often plates are read right per confidence band.

Runs with the service's dependencies only::

    python -m training.calibrate [--data ../shared/data] [--models models] [--check]

Reads every held-out crop and provider-style image (the rows ``training.eval_ocr``
scores) and every held-out scene (the ones ``training.eval_detector`` scores), upright and
turned by each angle of its rotation sweep as rolled cameras see them, through the
service's own pipeline in ``auto`` mode, and pairs each plate it reports with whether its
text is right. The map is piecewise linear through (0, 0), one knot per target in
``TARGETS`` and (1, 1): each target's knot sits at the lowest raw confidence at and above
which the held-out plates, and the least sure of them, meet the target's share of right
readings (``lowest_threshold``). Rendered crops of every type of the plate-type table
(``training.rendered_holdout``, print outside the training ranges, a seed of their own)
join them, so that the map holds for the types no real photo here shows. Writes it beside the
OCR weights (``confidence_calibration.json``, keyed by their sha256) unless ``--check``.
The table printed for a stored map (``calibration_report``) reads as the service does,
so it checks the targets on what the service reports.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2

from plate_service.errors import ModelLoadError
from plate_service.recognition.calibration import (
    CALIBRATION_NAME,
    TARGETS,
    ConfidenceCalibration,
    load_calibration,
)
from plate_service.recognition.loading import OCR_DIR, load_recognizer
from plate_service.recognition.model_card import OcrDecoding, read_card
from plate_service.recognition.pipeline import PlateRecognizer
from training.eval_detector import SWEEP_ANGLES, held_out_scenes, turned_with_unscored
from training.eval_ocr import load_rows
from training.rendered_holdout import DEFAULT_SEED, held_out_crops
from training.unlabelled_plates import lies_on, unscored_plates

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO_ROOT.parent / "shared" / "data"
DEFAULT_MODELS = REPO_ROOT / "models"
# Bands of reported confidence the table lists (lower bounds; the last band includes 1):
# the targets' levels among them, so that each target keeps whole bands.
BANDS = tuple(sorted({0.0, 0.7, 0.99, *(level for level, _ in TARGETS)}))
# A threshold must also hold for this many of the least sure plates it admits.
EDGE_PLATES = 10
# The rendered crops that join the real images: a seed other than the evals' (their set
# stays unseen by the fit), and 12 per type (228 plates), about half as many as the
# real images give, so that real plates still set the map where they have it.
RENDERED_SEED = DEFAULT_SEED + 1
RENDERED_PER_TYPE = 12
# Raw knots closer than this are pulled apart, so that the map stays strictly increasing.
KNOT_GAP = 1e-6


@dataclass(frozen=True)
class Sample:
    """One plate the pipeline reported on a held-out image: raw confidence, right or not."""

    raw: float
    right: bool
    # "crop" (crops and provider-style images), "scene", "rotated" (a turned scene) or
    # "rendered" (a rendered crop of some plate type)
    kind: str


def collect_samples(recognizer: PlateRecognizer, data_dir: Path, models_dir: Path
                    ) -> list[Sample]:
    """Every plate the uncalibrated pipeline reports on the held-out images."""
    rows = load_rows(data_dir, read_card(models_dir / OCR_DIR, OcrDecoding).trained_on)
    samples: list[Sample] = []
    for row in rows:
        result = recognizer.recognize(_read(row.path))
        samples += [Sample(p.reading.confidence, p.reading.text_latin == row.truth, "crop")
                    for p in result.plates]
    if (data_dir / "real-dev" / "labels.csv").is_file():
        unscored = unscored_plates(data_dir, "real-dev")
        for name, labels in held_out_scenes(data_dir, models_dir).items():
            truth = {label[4] for label in labels}
            image = _read(data_dir / "real-dev" / name)
            for angle in SWEEP_ANGLES:
                turned, _, off = turned_with_unscored(image, labels, unscored.get(name, []),
                                                      angle)
                result = recognizer.recognize(turned)
                # A plate the labels give no text for is neither right nor wrong.
                samples += [Sample(p.reading.confidence, p.reading.text_latin in truth,
                                   "scene" if angle == 0 else "rotated")
                            for p in result.plates
                            if p.reading.text_latin in truth or not lies_on(p.box, off)]
    for crop in held_out_crops(RENDERED_SEED, RENDERED_PER_TYPE):
        result = recognizer.recognize(crop.image)
        samples += [Sample(p.reading.confidence, p.reading.text_latin == crop.text, "rendered")
                    for p in result.plates]
    return samples


def _read(path: Path) -> Any:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise FileNotFoundError(path)
    return image


def lowest_threshold(samples: Sequence[Sample], share: float) -> float | None:
    """The lowest raw confidence r of a sample such that the samples at or above r are
    right at least ``share`` of the time, and so are the ``EDGE_PLATES`` least sure of
    them; None when no r qualifies.

    The second condition keeps a known-wrong reading from being reported as sure just
    because many right ones above it outvote it.
    """
    found = None
    ordered = sorted(samples, key=lambda s: s.raw, reverse=True)
    right = 0
    for i, sample in enumerate(ordered):
        right += sample.right
        if i + 1 < len(ordered) and ordered[i + 1].raw == sample.raw:
            continue  # a threshold takes every sample of equal confidence or none
        edge = ordered[max(0, i + 1 - EDGE_PLATES):i + 1]
        if right >= share * (i + 1) and sum(s.right for s in edge) >= share * len(edge):
            found = sample.raw
    return found


def fit(samples: Sequence[Sample], ocr_sha256: str) -> ConfidenceCalibration:
    """The map through (0, 0), a knot per target and (1, 1); see the module docstring. A
    target no threshold meets gets its knot at raw 1, so that no plate reaches it."""
    knots = [1.0 if (t := lowest_threshold(samples, share)) is None else t
             for _, share in TARGETS]
    # Equal thresholds: the higher target keeps its knot, the lower one moves just below.
    for i in range(len(knots) - 2, -1, -1):
        knots[i] = min(knots[i], knots[i + 1] - KNOT_GAP)
    raw = [min(0.0, knots[0] - KNOT_GAP), *knots, max(1.0, knots[-1] + KNOT_GAP)]
    reported = [0.0, *(level for level, _ in TARGETS), 1.0]
    calibration = ConfidenceCalibration(tuple(raw), tuple(reported), ocr_sha256)
    return ConfidenceCalibration(calibration.raw, calibration.reported, ocr_sha256,
                                 table=table_data(samples, calibration.apply))


def table_data(samples: Sequence[Sample], mapping: Callable[[float], float]
               ) -> dict[str, Any]:
    """Plates and right readings per band of reported confidence and per target."""
    reported = [(mapping(s.raw), s) for s in samples]
    bands = []
    for low, high in zip(BANDS, BANDS[1:] + (1.0,)):
        last = high == 1.0
        inside = [s for r, s in reported if low <= r and (r < high or (last and r <= high))]
        bands.append({"reported": [low, high], "plates": len(inside),
                      "right": sum(s.right for s in inside),
                      "raw": [min((s.raw for s in inside), default=None),
                              max((s.raw for s in inside), default=None)]})
    targets = []
    for level, share in TARGETS:
        kept = [s for r, s in reported if r >= level]
        targets.append({"min_confidence": level, "target": share, "plates": len(kept),
                        "right": sum(s.right for s in kept)})
    return {"plates": len(samples), "crops": sum(s.kind == "crop" for s in samples),
            "scene_plates": sum(s.kind == "scene" for s in samples),
            "rotated_plates": sum(s.kind == "rotated" for s in samples),
            "rendered_plates": sum(s.kind == "rendered" for s in samples),
            "right": sum(s.right for s in samples), "bands": bands, "targets": targets}


def format_table(table: dict[str, Any]) -> str:
    """The table ``make eval-ocr`` prints and the model card (models/README.md) quotes."""
    lines = [f"confidence calibration on {table['plates']} plates reported on held-out "
             f"images ({table['crops']} from crops, {table['scene_plates']} from scenes, "
             f"{table.get('rotated_plates', 0)} from rotated scenes, "
             f"{table.get('rendered_plates', 0)} from rendered crops of every type), "
             f"{table['right']} read right",
             f"{'reported confidence':22s} {'raw confidence':16s} {'plates':>6s} "
             f"{'right':>6s} {'share':>7s}"]
    for band in table["bands"]:
        low, high = band["reported"]
        closing = "]" if high == 1.0 else ")"
        raw = ("-" if band["plates"] == 0
               else f"{band['raw'][0]:.4f}-{band['raw'][1]:.4f}")
        lines.append(f"[{low:.2f}, {high:.2f}{closing:1s}{'':10s} {raw:16s} "
                     f"{band['plates']:6d} {band['right']:6d} "
                     f"{_share(band['right'], band['plates']):>7s}")
    for target in table["targets"]:
        share = target["right"] / target["plates"] if target["plates"] else 1.0
        verdict = "ok" if share >= target["target"] else "MISSED"
        lines.append(f"min_confidence {target['min_confidence']}: keeps {target['plates']} of "
                     f"{table['plates']} plates, {_share(target['right'], target['plates'])} "
                     f"right (target {target['target']:.0%}: {verdict})")
    return "\n".join(lines)


def _share(right: int, total: int) -> str:
    return f"{right / total:.2%}" if total else "-"


def calibration_report(data_dir: Path, models_dir: Path) -> str:
    """The table for the calibration stored beside the OCR weights (or why there is none),
    on the plates the service reports."""
    recognizer = load_recognizer(models_dir, threads=1, calibrated=False)
    ocr_dir = models_dir / OCR_DIR
    try:
        calibration = load_calibration(ocr_dir, read_card(ocr_dir, OcrDecoding).sha256)
    except ModelLoadError as exc:
        return f"no usable confidence calibration: {exc}"
    return format_table(table_data(collect_samples(recognizer, data_dir, models_dir),
                                   calibration.apply))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA,
                        help="folder with provider/ and real-dev/ (labels.csv layout)")
    parser.add_argument("--models", type=Path, default=DEFAULT_MODELS)
    parser.add_argument("--check", action="store_true",
                        help="print the fitted table without writing the calibration")
    args = parser.parse_args(argv)
    cv2.setNumThreads(1)
    if not args.data.is_dir() or not load_rows(args.data):
        print(f"no labelled real images under {args.data}: nothing to calibrate on")
        return 1
    recognizer = load_recognizer(args.models, threads=1, calibrated=False)
    samples = collect_samples(recognizer, args.data, args.models)
    calibration = fit(samples, read_card(args.models / OCR_DIR, OcrDecoding).sha256)
    print(format_table(calibration.table))
    print("wrong readings at raw confidence: " + ", ".join(
        f"{s.raw:.4f} ({s.kind})" for s in sorted(samples, key=lambda s: -s.raw)
        if not s.right))
    print("map (raw -> reported): " + ", ".join(
        f"{r:.4f} -> {c:.2f}" for r, c in zip(calibration.raw, calibration.reported)))
    if not args.check:
        path = args.models / OCR_DIR / CALIBRATION_NAME
        path.write_text(calibration.to_json(), encoding="utf-8")
        print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
