"""The evals' sections on every plate type and camera condition, appended to their output.

``make eval-ocr`` adds the rendered held-out crops per type (``rendered_holdout``) and
the real plates of the new types we labelled (``data/extra_type_labels.csv``);
``make eval-detector`` adds the same as photos, with false readings per photo, and the
condition sweep on the held-out real-dev photos (``condition_sweep``). Each eval's
``--no-types`` / ``--no-conditions`` leaves them out; ``--type-print real`` prints the
held-out plates in real glyphs instead of drawn, worn ones (``rendered_holdout``).
"""

from __future__ import annotations

import argparse
import csv
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from plate_service.recognition.detector import box_iou
from plate_service.recognition.find import PlateFinder
from plate_service.recognition.pipeline import PlateReaderLike, PlateRecognizer
from plate_service.recognition.plate_lines import side_by_side
from plate_service.recognition.plate_types import plate_type
from plate_service.recognition.types import (
    Detection,
    ImageRecognition,
    OcrReading,
    PlateResult,
)
from training.condition_sweep import PHOTO_CONDITIONS, LabelRow, under_condition
from training.rendered_holdout import (
    DEFAULT_PER_TYPE,
    DEFAULT_SEED,
    held_out_crops,
    held_out_glyphs,
    held_out_photos,
)
from training.synth.plate_draw import GlyphPainter
from training.type_report import (
    IOU_MATCH,
    format_type_table,
    match,
    one_line_misreads,
    score_readings,
    tally_by_type,
)
from training.unlabelled_plates import Box, lies_on

EXTRA_TYPE_LABELS = Path(__file__).with_name("data") / "extra_type_labels.csv"
# A crop of a labelled real plate: its box and this share of its height around it.
REAL_CROP_MARGIN = 0.1
OCR_BATCH = 64


@dataclass(frozen=True)
class ExtraTypeLabel:
    """A real plate of a type the real dev sets lack, as we labelled it; ``text_latin``
    is empty where the plate is too small or blurred to read (detection only)."""

    file: str  # under the data root: "real-scenes-extra/scenes/x0162.jpg"
    gost_type: str
    text_latin: str
    box: tuple[int, int, int, int]
    notes: str


def read_extra_type_labels(path: Path = EXTRA_TYPE_LABELS) -> list[ExtraTypeLabel]:
    """Our labels of the new types' real plates (each ``gost_type`` a table row)."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [ExtraTypeLabel(r["file"], r["gost_type"], r["text_latin"],
                               (int(r["x1"]), int(r["y1"]), int(r["x2"]), int(r["y2"])),
                               r["notes"]) for r in csv.DictReader(handle)]
    for row in rows:
        plate_type(row.gost_type)  # KeyError on a type the table lacks
    return rows


def add_arguments(parser: argparse.ArgumentParser, conditions: bool) -> None:
    """The flags that leave this module's sections out of an eval."""
    parser.add_argument("--no-types", action="store_true",
                        help="skip the rendered held-out set per plate type and the real "
                             "plates of the new types")
    parser.add_argument("--type-seed", type=int, default=DEFAULT_SEED,
                        help="seed of the rendered held-out set")
    parser.add_argument("--per-type", type=int, default=DEFAULT_PER_TYPE,
                        help="rendered held-out images per type")
    parser.add_argument("--type-print", choices=("drawn", "real"), default="drawn",
                        help="print the rendered held-out plates in drawn glyphs, worn "
                             "(default), or in real glyphs cut from the held-out half of "
                             "real-dev, not worn")
    if conditions:
        parser.add_argument("--no-conditions", action="store_true",
                            help="skip the condition sweep (" + ", ".join(PHOTO_CONDITIONS)
                                 + ")")


def type_glyphs(args: argparse.Namespace) -> GlyphPainter | None:
    """The glyphs ``--type-print`` asks the held-out plates to be printed in: None for
    drawn ones."""
    return held_out_glyphs(args.data) if args.type_print == "real" else None


def _header(what: str, seed: int, per_type: int, glyphs: GlyphPainter | None) -> str:
    printed = ("real glyphs of the held-out real-dev crops, colours outside the training "
               "ranges, no drawn wear" if glyphs is not None
               else "print, colours and wear outside the training ranges")
    return (f"rendered held-out set, {what} {per_type} per type, seed {seed} ({printed}; "
            "text top line first):")


def crop_sections(reader: PlateReaderLike | PlateRecognizer, data_dir: Path,
                  seed: int = DEFAULT_SEED, per_type: int = DEFAULT_PER_TYPE,
                  glyphs: GlyphPainter | None = None) -> str:
    """Exact readings of the rendered held-out crops per type, then of our real plates
    of the new types cut from their photos; read by one reader, or by a recogniser as the
    API reads an image by default (``DEFAULT_MODE``: a plate-shaped crop is read whole, a
    square or two-line one, too narrow for a one-line plate, is searched as a photo)."""
    start = time.perf_counter()
    crops = list(held_out_crops(seed, per_type, glyphs))
    readings = crop_readings(reader, [crop.image for crop in crops],
                             [plate_type(crop.gost_type).line_count for crop in crops])
    texts = [_text(reading) for reading in readings]
    tallies = tally_by_type((crop.gost_type, [crop.text], [text])
                            for crop, text in zip(crops, texts))
    lines = [_header("crops,", seed, per_type, glyphs), format_type_table(tallies, False),
             _names_line([(crop.gost_type, reading) for crop, reading in zip(crops, readings)
                          if reading is not None and reading.text_latin == crop.text]),
             one_line_misreads((crop.gost_type, crop.text, reading)
                               for crop, reading in zip(crops, readings)),
             f"  ({len(crops)} crops drawn and read in {time.perf_counter() - start:.0f} s)"]
    labels = [label for label in _present(data_dir) if label.text_latin]
    if labels:
        read = crop_texts(reader, [_cut(data_dir, label) for label in labels])
        lines.append("real plates of the new types (training/data/extra_type_labels.csv), "
                     "crops:")
        lines += [f"  {_name(label)}: read {text or '-'}"
                  f" ({'exact' if text == label.text_latin else 'wrong'})"
                  for label, text in zip(labels, read)]
    return "\n".join(lines)


def _names_line(exact: Sequence[tuple[str, OcrReading]]) -> str:
    """How many exact readings name their plate's row (``format``), and what the others
    name: rows that print the same text are told apart by the plate's field only."""
    names = ((gost_type, str(reading.plate_format and reading.plate_format.value))
             for gost_type, reading in exact)
    wrong = Counter(pair for pair in names if pair[1] != plate_type(pair[0]).name)
    others = ", ".join(f"{gost_type} as {named} {count}"
                       for (gost_type, named), count in wrong.items())
    return (f"  named after their row: {len(exact) - sum(wrong.values())} of the "
            f"{len(exact)} exact" + (f"; the others: {others}" if others else ""))


def crop_texts(reader: PlateReaderLike | PlateRecognizer, images: Sequence[np.ndarray],
               lines: Sequence[int] | None = None) -> list[str]:
    """What is read on each crop of ``lines`` lines (as the service cuts it for a reader,
    ``held_out_input``; one-line cuts when not given): a reader's readings, OCR_BATCH
    per call, or the text a recogniser reports in the default mode ('' for no plate)."""
    return [_text(reading) for reading in crop_readings(reader, images, lines)]


def _text(reading: OcrReading | None) -> str:
    return "" if reading is None else reading.text_latin


def crop_readings(reader: PlateReaderLike | PlateRecognizer, images: Sequence[np.ndarray],
                  lines: Sequence[int] | None = None) -> list[OcrReading | None]:
    """The reading behind each of ``crop_texts``: None where a recogniser reports no
    plate."""
    if isinstance(reader, PlateRecognizer):
        return [_reported(reader.recognize(image)) for image in images]
    inputs, counts = list(images), None
    if lines is not None:
        cuts = [held_out_input(reader, image, n) for image, n in zip(images, lines)]
        inputs, counts = [cut for cut, _ in cuts], [n for _, n in cuts]
    readings: list[OcrReading | None] = []
    for s in range(0, len(inputs), OCR_BATCH):
        readings += reader.read(inputs[s:s + OCR_BATCH],
                                None if counts is None else counts[s:s + OCR_BATCH])
    return readings


def _reported(result: ImageRecognition) -> OcrReading | None:
    return None if result.best is None else result.best.reading


def held_out_input(reader: PlateReaderLike, image: np.ndarray, lines: int
                   ) -> tuple[np.ndarray, int]:
    """A held-out crop of a plate of ``lines`` lines as the service hands it to
    ``reader``, and its number of lines: a two-line plate with its lines side by side when
    the reader's card lists a two-line type, else the crop as it is, read as one line."""
    if lines > 1 and reader.formats.only(lines).types:
        return side_by_side(image, lines), lines
    return image, 1


def _present(data_dir: Path) -> list[ExtraTypeLabel]:
    return [label for label in read_extra_type_labels() if (data_dir / label.file).is_file()]


def _name(label: ExtraTypeLabel) -> str:
    text = label.text_latin or "text unreadable"
    return f"{Path(label.file).stem} type {label.gost_type} {text}"


def _cut(data_dir: Path, label: ExtraTypeLabel) -> np.ndarray:
    image = _imread(data_dir / label.file)
    x1, y1, x2, y2 = label.box
    m = round(REAL_CROP_MARGIN * (y2 - y1))
    return image[max(0, y1 - m):y2 + m, max(0, x1 - m):x2 + m]


def _imread(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise FileNotFoundError(path)
    return image


def read_photo(recognizer: PlateRecognizer, image: np.ndarray) -> ImageRecognition:
    """The service's answer on one photo (every section's one call into the pipeline)."""
    return recognizer.recognize(image, mode="scene")


def photo_sections(recognizer: PlateRecognizer, data_dir: Path,
                   scenes: dict[str, list[LabelRow]], seed: int = DEFAULT_SEED,
                   per_type: int = DEFAULT_PER_TYPE,
                   finder: PlateFinder | None = None,
                   glyphs: GlyphPainter | None = None,
                   unscored: Mapping[str, Sequence[Box]] | None = None) -> str:
    """Exact readings and false readings per photo of the rendered held-out photos (the
    held-out real-dev ``scenes`` with held-out plates over theirs) per type, and with a
    ``finder`` how many plates its first pass finds (``first_pass_line``); then the
    pipeline on the photos of our real plates of the new types. The photos keep the
    scenes' ``unscored`` plates (``unlabelled_plates``), and a reading on one is no false
    reading."""
    unscored = unscored or {}
    start = time.perf_counter()
    results, found, on_plates = [], [], []
    for photo in held_out_photos(data_dir / "real-dev", scenes, seed, per_type, glyphs):
        plates = read_photo(recognizer, photo.image).plates
        other = unscored.get(photo.scene, [])
        results.append((photo.gost_type, [row[4] for row in photo.labels],
                        [plate.reading.text_latin for plate in plates
                         if not lies_on(plate.box, other)]))
        on_plates += [(photo.gost_type, row[4], reading)
                      for row, reading in zip(photo.labels, _readings_on(plates, photo.labels))]
        if finder is not None:
            found.append((photo.gost_type, len(photo.labels),
                          found_plates(finder.find(photo.image), photo.labels)))
    lines = [_header(f"photos: {len(scenes)} held-out real-dev photos, their plates "
                     "replaced,", seed, per_type, glyphs),
             format_type_table(tally_by_type(results), True)]
    lines.append(one_line_misreads(on_plates))
    if found:
        lines.append(first_pass_line(found))
    lines.append(f"  ({len(results)} photos made and read in "
                 f"{time.perf_counter() - start:.0f} s)")
    labels = _present(data_dir)
    if labels:
        lines.append("real plates of the new types (training/data/extra_type_labels.csv), "
                     "photos:")
    for label in labels:
        plates = read_photo(recognizer, _imread(data_dir / label.file)).plates
        on_it = [plate.reading.text_latin for plate in plates
                 if box_iou(plate.box, label.box) >= IOU_MATCH]
        verdict = ("not found" if not on_it else
                   "exact" if label.text_latin in on_it else
                   "found" if not label.text_latin else "wrong")
        lines.append(f"  {_name(label)}: {verdict}; read on it {on_it or '-'}")
    return "\n".join(lines)


def _readings_on(plates: Sequence[PlateResult], labels: Sequence[LabelRow]
                 ) -> list[OcrReading | None]:
    """Per labelled plate, the reading of the reported plate that claims it (``match``,
    the rule of the detector eval's recall), or None."""
    readings: list[OcrReading | None] = [None] * len(labels)
    for plate, claim in zip(plates, match([plate.box for plate in plates], labels)):
        if claim is not None:
            readings[claim] = plate.reading
    return readings


def found_plates(detections: Sequence[Detection], labels: Sequence[LabelRow]) -> int:
    """How many labelled plates the detections claim, best first (``match``, the rule
    of the detector eval's recall)."""
    return sum(claim is not None for claim in match([d.box for d in detections], labels))


def first_pass_line(found: Sequence[tuple[str, int, int]]) -> str:
    """The plates the detector's first pass finds, in all and per type, from (type,
    plates, found) per photo: a plate read wrong or not at all was either not found or
    found and misread, and this tells which."""
    plates: Counter[str] = Counter()
    hits: Counter[str] = Counter()
    for gost_type, count, hit in found:
        plates[gost_type] += count
        hits[gost_type] += hit
    per_type = ", ".join(f"{t} {hits[t]}/{plates[t]}" for t in plates)
    return (f"  found by the detector's first pass (IoU {IOU_MATCH}): "
            f"{sum(hits.values())}/{sum(plates.values())}; {per_type}")


def condition_section(recognizer: PlateRecognizer, photos: Path,
                      scenes: dict[str, list[LabelRow]],
                      unscored: Mapping[str, Sequence[Box]], seed: int = 0) -> str:
    """Exact readings and false readings per photo of the upright ``scenes`` under each
    camera condition of ``condition_sweep``; a reading on one of a scene's ``unscored``
    plates (``unlabelled_plates``) is neither."""
    start = time.perf_counter()
    counts = {name: [0, 0, 0] for name in PHOTO_CONDITIONS}  # exact, plates, false
    for scene, labels in scenes.items():
        image = _imread(photos / scene)
        for name, count in counts.items():
            result = read_photo(recognizer, under_condition(name, image, labels, scene, seed))
            false, missed, _ = score_readings(result.plates, labels, unscored.get(scene, []))
            count[0] += len(labels) - len(missed)
            count[1] += len(labels)
            count[2] += len(false)
    lines = [f"condition sweep ({len(scenes)} held-out real-dev photos, upright; "
             "settings in training/condition_sweep.py):"]
    lines += [f"  {name:15s} exact {exact / max(plates, 1):.3f} ({exact}/{plates}), false "
              f"readings per photo {false / max(len(scenes), 1):.3f}"
              for name, (exact, plates, false) in counts.items()]
    lines.append(f"  ({len(scenes) * len(counts)} photos read in "
                 f"{time.perf_counter() - start:.0f} s)")
    return "\n".join(lines)


def detector_sections(args: argparse.Namespace, recognizer: PlateRecognizer | None,
                      data_dir: Path, scenes: dict[str, list[LabelRow]],
                      unscored: Mapping[str, Sequence[Box]],
                      finder: PlateFinder | None = None) -> Iterable[str]:
    """The sections ``eval_detector`` prints after its own, as its flags ask."""
    if recognizer is None:
        return
    if not args.no_types:
        yield photo_sections(recognizer, data_dir, scenes, args.type_seed, args.per_type,
                             finder, type_glyphs(args), unscored)
    if not args.no_conditions:
        yield condition_section(recognizer, data_dir / "real-dev", scenes, unscored)
