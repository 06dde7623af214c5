"""Plate detector and full scene pipeline on the held-out real-dev photos: recall, precision, speed.

Entry point of ``make eval-detector``: ``python -m training.eval_detector [--data DIR]``.
Imports no torch: it measures exactly what the service runs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from plate_service.recognition.find import PlateFinder
from plate_service.recognition.loading import load_detector
from plate_service.recognition.model_card import (
    CARD_NAME,
    D,
    DetectorDecoding,
    OcrDecoding,
    read_card,
)
from plate_service.recognition.pipeline import PlateRecognizer
from plate_service.recognition.read import CORNER_PADDINGS
from plate_service.recognition.types import Detection
from training.real_dev_split import (
    EXTRA_SCENES,
    crop_scenes,
    is_training_scene,
    read_scene_labels,
)
from training.rotation import box_corners, rotate_photo, turn_points
from training.type_evals import add_arguments, detector_sections
from training.type_report import match, score_readings
from training.unlabelled_plates import UNLABELLED_PLATES, Box, unscored_plates

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO_ROOT.parent / "shared" / "data"
DEFAULT_MODELS = REPO_ROOT / "models"
ONE_MEGAPIXEL = 1_000_000
# The rotation sweep: each scene turned about its first plate's centre by these degrees
# (counter-clockwise positive), as a rolled camera would see it.
SWEEP_ANGLES = (-25.0, -15.0, 0.0, 15.0, 25.0)

LabelRow = tuple[int, int, int, int, str]


@dataclass
class Tally:
    """Counts over the evaluated scenes."""

    scenes: int = 0
    plates: int = 0
    detections: int = 0
    matched: int = 0
    read_detections: int = 0
    read_matched: int = 0
    exact: int = 0
    false_readings: int = 0
    unlabelled_readings: int = 0
    ms_detect: list[float] = field(default_factory=list)
    ms_end_to_end: list[float] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)
    missed_widths: list[int] = field(default_factory=list)


@dataclass
class SweepTally:
    """Exact readings of the scenes turned by one angle."""

    plates: int = 0
    exact: int = 0
    false_readings: int = 0
    unlabelled_readings: int = 0
    missed_widths: list[int] = field(default_factory=list)


def held_out_scenes(data_dir: Path, models_dir: Path) -> dict[str, list[LabelRow]]:
    """Scenes neither model saw: not in the split's training half, not in the detector
    card's training scenes, and no plate of theirs in the OCR card's training files."""
    trained = {f.removeprefix("real-dev/")
               for f in _trained_on(models_dir / "detector", DetectorDecoding)}
    return {name: rows for name, rows in _scenes_unseen_by_ocr(data_dir, models_dir).items()
            if not is_training_scene(name) and name not in trained}


def training_half_scenes(data_dir: Path, models_dir: Path) -> dict[str, list[LabelRow]]:
    """The split's training half, minus scenes with a plate the OCR trained on.

    The detector trained on these scenes, so detection figures here are optimistic; with
    an OCR trained on the other half (``--real-dev-half held``) they are a development
    set for reading policies that leaves the held-out scenes untouched.
    """
    return {name: rows for name, rows in _scenes_unseen_by_ocr(data_dir, models_dir).items()
            if is_training_scene(name)}


def extra_scenes(data_dir: Path, models_dir: Path) -> dict[str, list[LabelRow]]:
    """The real-scenes-extra photos and every plate their labels give a text for.

    The detector trained on them, so detection figures here are optimistic; the readings
    show whether a pipeline choice made looking at real-dev carries over to photos no
    such choice looked at. ``models_dir`` goes unused: every ``SCENE_SETS`` entry is
    called alike, and no model's card lists these photos as held out.
    """
    if not (data_dir / EXTRA_SCENES / "labels.csv").is_file():
        return {}
    return read_scene_labels(data_dir, EXTRA_SCENES)


def _scenes_unseen_by_ocr(data_dir: Path, models_dir: Path) -> dict[str, list[LabelRow]]:
    labels = read_scene_labels(data_dir)
    # "real-dev/scenes/s0003.jpg#0" (a plate cut from a scene) -> "scenes/s0003.jpg";
    # "real-dev/crops/c0004.png" -> the scene that crop was cut from, if any.
    seen = {f.removeprefix("real-dev/").split("#")[0]
            for f in _trained_on(models_dir / "ocr", OcrDecoding)}
    trained = seen | {f"scenes/{scene}" for file, scene in crop_scenes(data_dir).items()
                      if file in seen and scene is not None}
    return {name: rows for name, rows in sorted(labels.items()) if name not in trained}


def _trained_on(model_dir: Path, decoding: type[D]) -> frozenset[str]:
    """The files the model's card says it trained on (none when there is no model)."""
    if not (model_dir / CARD_NAME).is_file():
        return frozenset()
    return read_card(model_dir, decoding).trained_on


def _draw(image: np.ndarray, detections: list[Detection], labels: list[LabelRow],
          texts: list[str], path: Path) -> None:
    out = image.copy()
    for x1, y1, x2, y2, _ in labels:
        cv2.rectangle(out, (x1, y1), (x2, y2), (0, 255, 0), 2)
    for det in detections:
        if det.corners is not None:
            cv2.polylines(out, [np.array(det.corners, np.int32)], True, (0, 0, 255), 2)
        cv2.putText(out, f"{det.score:.2f}", (det.box[0], det.box[1] - 4),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.8, (0, 0, 255), 2)
    for i, text in enumerate(texts):
        cv2.putText(out, text, (10, 40 + 40 * i), cv2.FONT_HERSHEY_SIMPLEX, 1.2, (255, 0, 255), 3)
    scale = min(1.0, 1000 / max(out.shape[:2]))
    cv2.imwrite(str(path), cv2.resize(out, None, fx=scale, fy=scale))


@dataclass(frozen=True)
class PipelineOptions:
    """How the evaluated pipeline is set up: the framings' margins and which passes run."""

    paddings: tuple[float, ...] = CORNER_PADDINGS
    second_look: bool = True


def _load_pipeline(models_dir: Path, options: PipelineOptions) -> PlateRecognizer | None:
    if not (models_dir / "ocr").is_dir():
        return None
    from plate_service.recognition.loading import load_recognizer

    return load_recognizer(models_dir, threads=1, corner_paddings=options.paddings,
                           second_look=options.second_look)


def evaluate(photos: Path, models_dir: Path, scenes: dict[str, list[LabelRow]],
             draw_dir: Path | None = None,
             options: PipelineOptions = PipelineOptions(),
             unscored: Mapping[str, Sequence[Box]] | None = None) -> Tally:
    """Run the detector, and the full pipeline when the OCR model exists, on ``scenes``
    (names relative to the folder ``photos``); a reading on one of a scene's
    ``unscored`` plates (``unscored_plates``) is neither exact nor false."""
    unscored = unscored or {}
    finder = PlateFinder(load_detector(models_dir / "detector", threads=1))
    recognizer = _load_pipeline(models_dir, options)
    if recognizer is None:
        print(f"no OCR model in {models_dir / 'ocr'}: detection figures only")
    tally = Tally()
    for name, labels in scenes.items():
        data = (photos / name).read_bytes()
        start = time.perf_counter()
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        decoded = time.perf_counter()
        detections = finder.find(image)
        tally.ms_detect.append((time.perf_counter() - decoded) * 1000)
        tally.scenes += 1
        tally.plates += len(labels)
        tally.detections += len(detections)
        claims = match([d.box for d in detections], labels)
        tally.matched += sum(c is not None for c in claims)
        for j, row in enumerate(labels):
            if j not in claims:
                tally.misses.append(f"{name} {row[4]} {row[:4]}")
        texts: list[str] = []
        if recognizer is not None:
            start = time.perf_counter()
            image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
            result = recognizer.recognize(image, mode="scene")
            tally.ms_end_to_end.append((time.perf_counter() - start) * 1000)
            read_claims = match([p.box for p in result.plates], labels)
            tally.read_detections += len(result.plates)
            tally.read_matched += sum(c is not None for c in read_claims)
            read_texts = {p.reading.text_latin for p in result.plates}
            false, missed, unlabelled = score_readings(result.plates, labels,
                                                       unscored.get(name, []))
            tally.exact += len(labels) - len(missed)
            tally.false_readings += len(false)
            tally.unlabelled_readings += len(unlabelled)
            tally.missed_widths += [row[2] - row[0] for row in missed]
            truth = sorted(row[4] for row in labels)
            tally.wrong += [f"{name} read {text}, labelled {truth}" for text in false]
            tally.wrong += [f"{name} missed {row[4]} {row[2] - row[0]} px wide "
                            f"(read {sorted(read_texts)})" for row in missed]
            texts = sorted(read_texts)
        else:
            tally.ms_end_to_end.append((time.perf_counter() - start) * 1000)
        if draw_dir is not None:
            draw_dir.mkdir(parents=True, exist_ok=True)
            _draw(image, detections, labels, texts, draw_dir / f"{Path(name).stem}.png")
    return tally


def turned_scene(image: np.ndarray, labels: list[LabelRow], degrees: float
                 ) -> tuple[np.ndarray, list[LabelRow]]:
    """The photo turned ``degrees`` about its first labelled plate's centre (borders
    reflected, same canvas) and its labels: each box's turned corners -> their box."""
    x1, y1, x2, y2, _ = labels[0]
    turned, matrix = rotate_photo(image, ((x1 + x2) / 2, (y1 + y2) / 2), degrees)
    rows: list[LabelRow] = []
    for row in labels:
        corners = turn_points(box_corners(*row[:4]), matrix)
        lo, hi = corners.min(axis=0), corners.max(axis=0)
        rows.append((int(lo[0]), int(lo[1]), int(np.ceil(hi[0])), int(np.ceil(hi[1])), row[4]))
    return turned, rows


def turned_with_unscored(image: np.ndarray, labels: list[LabelRow], unscored: Sequence[Box],
                         degrees: float) -> tuple[np.ndarray, list[LabelRow], list[Box]]:
    """``turned_scene`` with the scene's ``unscored`` plates (``unscored_plates``) turned
    along: the turned photo, its labels and the unscored plates' boxes."""
    turned, rows = turned_scene(image, labels + [(*box, "") for box in unscored], degrees)
    return turned, rows[:len(labels)], [(x1, y1, x2, y2) for x1, y1, x2, y2, _ in
                                        rows[len(labels):]]


def rotation_sweep(photos: Path, models_dir: Path, scenes: dict[str, list[LabelRow]],
                   angles: Sequence[float] = SWEEP_ANGLES,
                   options: PipelineOptions = PipelineOptions(),
                   unscored: Mapping[str, Sequence[Box]] | None = None
                   ) -> dict[float, SweepTally]:
    """Exact readings of the full pipeline on every scene turned by each angle; missed
    plates are sized by their labelled (upright) width, and ``unscored`` plates turn with
    the scene (``evaluate``)."""
    unscored = unscored or {}
    recognizer = _load_pipeline(models_dir, options)
    if recognizer is None:
        return {}
    sweep = {angle: SweepTally() for angle in angles}
    for name, labels in scenes.items():
        image = cv2.imread(str(photos / name), cv2.IMREAD_COLOR)
        for angle in angles:
            turned, rows, others = turned_with_unscored(image, labels, unscored.get(name, []),
                                                        angle)
            result = recognizer.recognize(turned, mode="scene")
            false, missed, unlabelled = score_readings(result.plates, rows, others)
            tally = sweep[angle]
            tally.plates += len(rows)
            tally.exact += len(rows) - len(missed)
            tally.false_readings += len(false)
            tally.unlabelled_readings += len(unlabelled)
            tally.missed_widths += [upright[2] - upright[0]
                                    for upright, row in zip(labels, rows) if row in missed]
    return sweep


def time_one_megapixel(photos: Path, models_dir: Path, names: list[str],
                       options: PipelineOptions = PipelineOptions()) -> float:
    """Median ms for decode + detect (+ read) of the scenes re-encoded at ~1 MP, JPEG q90."""
    finder = PlateFinder(load_detector(models_dir / "detector", threads=1))
    recognizer = _load_pipeline(models_dir, options)
    times = []
    for name in names:
        image = cv2.imread(str(photos / name), cv2.IMREAD_COLOR)
        scale = (ONE_MEGAPIXEL / (image.shape[0] * image.shape[1])) ** 0.5
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 90])
        start = time.perf_counter()
        decoded = cv2.imdecode(buf, cv2.IMREAD_COLOR)
        if recognizer is not None:
            recognizer.recognize(decoded, mode="scene")
        else:
            finder.find(decoded)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _unlabelled_note(count: int) -> str:
    """What a figure leaves out: readings on plates with no text in the labels
    (``unscored_plates``)."""
    if not count:
        return ""
    return (f"; {count} more on plates the labels give no text for (left out: "
            f"{UNLABELLED_PLATES.parent.name}/{UNLABELLED_PLATES.name}; unread: the notes)")


def _widths(widths: list[int], verbose: bool = True) -> str:
    """Labelled widths in px of the plates missed: each, smallest first, or counted by size."""
    if not widths:
        return "none"
    if verbose:
        return " ".join(str(w) for w in sorted(widths)) + " px"
    edges = (0, 60, 100, 200)
    counts = [sum(lo <= w < hi for w in widths) for lo, hi in zip(edges, edges[1:] + (10**9,))]
    return ", ".join(f"{n} {label}" for n, label in zip(
        counts, ("<60 px", "60-99 px", "100-199 px", ">=200 px")))


# --scenes: the folder under the data root the photos are in, and how to pick them.
SCENE_SETS = {"held-out": ("real-dev", held_out_scenes),
              "training-half": ("real-dev", training_half_scenes),
              "extra": (EXTRA_SCENES, extra_scenes)}


def _angles(text: str) -> tuple[float, ...]:
    try:
        values = tuple(float(part) for part in text.split(","))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not comma-separated degrees") from exc
    if not values or any(abs(v) > 180 for v in values):
        raise argparse.ArgumentTypeError(f"{text!r}: angles must lie in -180..180")
    return values


def _paddings(text: str) -> tuple[float, ...]:
    try:
        values = tuple(float(part) for part in text.split(","))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not comma-separated numbers") from exc
    if not values or any(v < 0 or v > 1 for v in values):
        raise argparse.ArgumentTypeError(f"{text!r}: margins must lie in 0..1")
    return values


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA,
                        help="data root with real-dev/labels.csv and real-dev/scenes/")
    parser.add_argument("--models", type=Path, default=DEFAULT_MODELS)
    parser.add_argument("--draw", type=Path, default=None,
                        help="write each scene with labels and detections drawn here")
    parser.add_argument("--verbose", action="store_true", help="list misses and wrong reads")
    parser.add_argument("--scenes", choices=tuple(SCENE_SETS), default="held-out",
                        help="held-out (default): scenes neither model saw; training-half: "
                             "the detector's training scenes whose plates the OCR did not "
                             "see (a development set for an OCR trained on the other half); "
                             f"extra: the {EXTRA_SCENES} photos, which the detector trained "
                             "on and no pipeline choice looked at")
    parser.add_argument("--paddings", type=_paddings, default=CORNER_PADDINGS,
                        help="margins of the framings each detected plate is read in, "
                             "comma-separated (default: the service's "
                             f"{','.join(map(str, CORNER_PADDINGS))})")
    parser.add_argument("--no-sweep", action="store_true",
                        help="skip the rotation sweep (" + ", ".join(
                            f"{a:+.0f}" for a in SWEEP_ANGLES) + " degrees)")
    parser.add_argument("--angles", type=_angles, default=SWEEP_ANGLES,
                        help="the sweep's angles in degrees, comma-separated; after an = "
                             "when the first is negative: --angles=-35,35 (default: "
                             f"{','.join(f'{a:.0f}' for a in SWEEP_ANGLES)})")
    parser.add_argument("--no-second-look", action="store_true",
                        help="skip the pipeline's second and clean looks at unsure finds")
    add_arguments(parser, conditions=True)
    args = parser.parse_args(argv)
    options = PipelineOptions(tuple(args.paddings), not args.no_second_look)
    cv2.setNumThreads(1)
    if not (args.data / "real-dev" / "labels.csv").is_file():
        print(f"skipped: no real data at {args.data} (pass --data DIR)")
        return 0
    if not (args.models / "detector").is_dir():
        print(f"skipped: no detector model in {args.models / 'detector'}")
        return 0
    folder, select = SCENE_SETS[args.scenes]
    scenes = select(args.data, args.models)
    if not scenes:
        print(f"skipped: no {args.scenes} scenes under {args.data}")
        return 0
    photos = args.data / folder
    unscored = unscored_plates(args.data, folder)
    tally = evaluate(photos, args.models, scenes, args.draw, options, unscored)
    ms_1mp = time_one_megapixel(photos, args.models, list(scenes), options)
    n = max(tally.scenes, 1)
    if args.scenes == "training-half":
        print("training-half scenes: the detector trained on them, so detection figures "
              "are optimistic; readings count only with an OCR that did not")
    if args.scenes == "extra":
        print(f"{EXTRA_SCENES}: the detector trained on them, so detection figures are "
              "optimistic; the plates their notes box as unreadable are not scored")
    if args.no_second_look:
        print("pass skipped: the second look")
    if tuple(args.paddings) != tuple(CORNER_PADDINGS):
        print(f"plates read in framings with margins {args.paddings}, not the service's "
              f"{CORNER_PADDINGS}")
    print(f"{args.scenes} {folder} scenes: {tally.scenes}, labelled plates: {tally.plates}")
    print(f"detection recall@IoU0.5:  {tally.matched / max(tally.plates, 1):.3f} "
          f"({tally.matched}/{tally.plates})")
    print(f"detection precision:      {tally.matched / max(tally.detections, 1):.3f} "
          f"({tally.matched}/{tally.detections}; unlabelled far plates count as false)")
    if tally.ms_end_to_end and tally.read_detections + tally.exact + tally.false_readings:
        print(f"returned on a plate:      {tally.read_matched / max(tally.read_detections, 1):.3f}"
              f" ({tally.read_matched}/{tally.read_detections} plates the pipeline returned "
              "lie on a labelled plate, read right or wrong)")
    if (args.models / "ocr").is_dir():
        print(f"exact readings recall:    {tally.exact / max(tally.plates, 1):.3f} "
              f"({tally.exact}/{tally.plates})")
        print(f"false readings per image: {tally.false_readings / n:.3f} "
              f"({tally.false_readings} in {tally.scenes})"
              + _unlabelled_note(tally.unlabelled_readings))
        print(f"missed plates' widths:    {_widths(tally.missed_widths, args.verbose)}")
    print(f"detect ms/image (median): {statistics.median(tally.ms_detect):.1f}")
    print(f"end-to-end ms/image:      {statistics.median(tally.ms_end_to_end):.1f} median, "
          f"{statistics.mean(tally.ms_end_to_end):.1f} mean (decode + detect + read, 1 thread)")
    print(f"end-to-end ms per ~1 MP:  {ms_1mp:.1f} median")
    if (args.models / "ocr").is_dir() and not args.no_sweep:
        print("rotation sweep (each scene turned about its first plate's centre, "
              "borders reflected; + is counter-clockwise):")
        for angle, turned in rotation_sweep(photos, args.models, scenes, args.angles, options,
                                            unscored=unscored).items():
            print(f"  {angle:+4.0f} deg: exact {turned.exact / max(turned.plates, 1):.3f} "
                  f"({turned.exact}/{turned.plates}), false readings per image "
                  f"{turned.false_readings / n:.3f}; missed widths "
                  f"{_widths(turned.missed_widths, args.verbose)}"
                  + _unlabelled_note(turned.unlabelled_readings))
    if args.verbose:
        for line in tally.misses:
            print("miss:", line)
        for line in tally.wrong:
            print("reading:", line)
    if args.scenes == "held-out":  # per plate type and camera condition (type_evals)
        for section in detector_sections(args, _load_pipeline(args.models, options),
                                         args.data, scenes, unscored,
                                         None if args.no_types else
                                         PlateFinder(load_detector(args.models / "detector"))):
            print(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
