"""Exact readings counted per plate type, the table the evals print of them, the rule
that matches found boxes to labelled plates, and the scoring of a photo's readings."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from plate_service.recognition.detector import box_iou
from plate_service.recognition.plate_types import plate_type, plate_types
from plate_service.recognition.types import OcrReading, PlateResult
from training.condition_sweep import LabelRow
from training.unlabelled_plates import lies_on

# A box lies on a labelled plate when their intersection over union is at least this.
IOU_MATCH = 0.5


def match(boxes: Sequence[tuple[float, ...]], labels: Sequence[LabelRow]
          ) -> list[int | None]:
    """Greedy, in the given (score) order: the label each box claims at IoU >= IOU_MATCH,
    or None."""
    free = set(range(len(labels)))
    claims: list[int | None] = []
    for box in boxes:
        best, best_iou = None, IOU_MATCH
        for j in free:
            value = box_iou(box, labels[j][:4])
            if value >= best_iou:
                best, best_iou = j, value
        if best is not None:
            free.discard(best)
        claims.append(best)
    return claims


@dataclass
class TypeTally:
    """What one type's images gave: plates shown, plates read exactly, and texts read
    that no plate of the image shows."""

    images: int = 0
    plates: int = 0
    exact: int = 0
    false_readings: int = 0

    @property
    def accuracy(self) -> float:
        return self.exact / self.plates if self.plates else 0.0

    @property
    def false_per_image(self) -> float:
        return self.false_readings / self.images if self.images else 0.0


def score_image(truths: Sequence[str], read: Iterable[str]) -> tuple[int, int]:
    """(plates of ``truths`` read exactly, texts read that are none of them): a plate
    counts when its text is among the texts read anywhere in the image."""
    texts = set(read)
    return sum(truth in texts for truth in truths), len(texts - set(truths))


def tally_by_type(results: Iterable[tuple[str, Sequence[str], Iterable[str]]]
                  ) -> dict[str, TypeTally]:
    """Per GOST type, in the table's order, from (type, the image's plate texts, the
    texts read on it); a crop is an image with one plate."""
    tallies = {row.gost_type: TypeTally() for row in plate_types()}
    for gost_type, truths, read in results:
        tally = tallies[gost_type]
        exact, false = score_image(truths, read)
        tally.images += 1
        tally.plates += len(truths)
        tally.exact += exact
        tally.false_readings += false
    return {key: tally for key, tally in tallies.items() if tally.images}


def format_type_table(tallies: dict[str, TypeTally], false_readings: bool) -> str:
    """One line per type: exact readings, and for photos false readings per photo; then
    every type together."""
    total = TypeTally()
    lines = [f"  {'type':4s} {'name':22s} {'exact':>14s}"
             + (f" {'false/photo':>12s}" if false_readings else "")]
    for gost_type, tally in tallies.items():
        for key in ("images", "plates", "exact", "false_readings"):
            setattr(total, key, getattr(total, key) + getattr(tally, key))
        lines.append(_line(gost_type, plate_type(gost_type).name, tally, false_readings))
    lines.append(_line("all", "", total, false_readings))
    return "\n".join(lines)


def _line(gost_type: str, name: str, tally: TypeTally, false_readings: bool) -> str:
    exact = f"{tally.exact}/{tally.plates} {tally.accuracy:6.1%}"
    line = f"  {gost_type:4s} {name:22s} {exact:>14s}"
    return line + (f" {tally.false_per_image:12.3f}" if false_readings else "")


def score_readings(plates: Sequence[PlateResult], labels: Sequence[LabelRow],
                   unscored: Sequence[Sequence[float]]
                   ) -> tuple[list[str], list[LabelRow], list[str]]:
    """(texts read that no labelled plate bears, labelled plates not read exactly, texts
    read on one of the ``unscored`` plates, which have no text in the labels: neither
    exact nor false)."""
    truth = {row[4] for row in labels}
    read_texts = {p.reading.text_latin for p in plates}
    off = [p for p in plates if p.reading.text_latin not in truth]
    on_unscored = {p.reading.text_latin for p in off if lies_on(p.box, unscored)}
    false = {p.reading.text_latin for p in off} - on_unscored
    return (sorted(false), [row for row in labels if row[4] not in read_texts],
            sorted(on_unscored))


def one_line_misreads(plates: Iterable[tuple[str, str, OcrReading | None]]) -> str:
    """The line the per-type sections end with, from (type, text, reading or None) per
    plate: how many two-line plates were read as a one-line plate (a reading that fits a
    one-line row) of another text. Such a reading is a sure wrong answer where the
    plate's own reading would be unsure, so it must not happen at all."""
    two_line = [(text, reading) for gost_type, text, reading in plates
                if plate_type(gost_type).line_count > 1]
    wrong = sum(reading is not None and reading.valid and reading.lines == 1
                and reading.text_latin != text for text, reading in two_line)
    return f"  two-line plates read as a one-line plate of another text: {wrong} of {len(two_line)}"
