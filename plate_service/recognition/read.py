"""Stage 3, read: the injected reader reads each find in its framings, or the image whole.

The framings of every find go to the reader in one batched call (a faint find's other
framings, when they are worth reading, in a second). A find shaped like a two-line plate
(``rectify.shape_lines``) is read as one, its lines side by side, when the reader's card
lists a two-line type; when it lists none, the find is read as a one-line cut, but its
reading never counts as a plate (``unread_shape``). A faint find's reading counts as a
plate only when it names a row of ``find.FAINT_FIELDS`` (``off_field``). Finds can also
be read cleaned of thin scratches and specks (``rectify.cleaned``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np

from plate_service.recognition.find import FAINT_FIELDS
from plate_service.recognition.plate_format import PlateFormats
from plate_service.recognition.plate_types import plate_types
from plate_service.recognition.rectify import (
    CORNER_PADDING,
    cleaned,
    plate_framings,
    shape_lines,
    shrunk_whole,
    whole_shape_lines,
    whole_two_lines,
)
from plate_service.recognition.types import Detection, OcrReading, PlateFormat

# A find with corners is read three times, cut with each of these margins (fractions of
# the plate height, see ``rectify.CORNER_PADDING``), and the framings vote
# (``choose.best_reading``). Corners a few pixels off clip the small region digits in one
# framing and not in another, and a clipped digit is often read with confidence: the
# readings of two framings that agree outweigh it. Three margins, tight to wide, cover
# corners that fall inside the plate as well as outside; a tight crop is read once.
CORNER_PADDINGS = (0.05, CORNER_PADDING, 0.25)
# The most raw confidence a reading that cannot be the find's plate keeps: of a
# two-line-shaped find that the reader cannot read as one, or of a faint find as a plate
# of another field than FAINT_FIELDS. A two-line plate squashed into one line reads as
# nonsense, or worse as a sure plate of some one-line format it is not; with no format it
# is never reported (``choose``), and below SCENE_MIN_CONFIDENCE and the raw confidence
# the calibration maps to 0.5 it cannot pass for a plate wherever it is shown. Its
# characters' confidences are left as read: they say what the model saw, not whether it
# is a plate.
UNREAD_SHAPE_MAX_CONFIDENCE = 0.3
# The formats a faint find may be read as.
FAINT_FORMATS = frozenset(PlateFormat(row.name) for row in plate_types()
                          if row.background in FAINT_FIELDS)


class PlateReaderLike(Protocol):
    """What the read stage needs from the OCR model: its formats, and readings of crops
    (``lines`` per crop, one each when not given; a crop that cannot read as a plate
    with ``min_confidence`` may come back unfitted to any format)."""

    formats: PlateFormats

    def read(self, crops: Sequence[np.ndarray], lines: Sequence[int] | None = None,
             *, min_confidence: float = 0.0) -> list[OcrReading]: ...


@dataclass(frozen=True)
class FindReadings:
    """A find and what each of its framings read, in the order they were read."""

    find: Detection
    readings: tuple[OcrReading, ...]


def read_whole(reader: PlateReaderLike, image: np.ndarray, min_confidence: float = 0.0
               ) -> tuple[OcrReading, ...]:
    """The image read whole: a crop's readings, or a photo's fallback when none of its
    finds gives a plate (read only then: most photos never need it). One reading, or two
    for an image that may hold either shape (``_whole``), from one call. A reading that
    cannot be a plate with ``min_confidence`` may come back unfitted (a fallback under
    it is dropped anyway)."""
    groups = _read_grouped(reader, _whole(reader, image), min_confidence)
    return tuple(reading for group in groups for reading in group)


def read_finds(reader: PlateReaderLike, image: np.ndarray, finds: Sequence[Detection],
               paddings: Sequence[float], *, clean: bool = False, min_confidence: float = 0.0
               ) -> list[tuple[OcrReading, ...]]:
    """Each find read in its framings, in one batched call (and one more for faint finds,
    below); no call without finds. With ``clean``, each framing is read cleaned
    (``rectify.cleaned``). A framing that cannot read as a plate with ``min_confidence``
    may come back unfitted.

    A faint find is read first in the middle framing alone, and in the others (one more
    call) only when that reading is a plate of FAINT_FIELDS (``off_field``): a bluish
    dashcam frame holds many faint blue finds, and most of them read as no plate.
    """
    middle = len(paddings) // 2
    first = [(paddings[middle],) if find.faint else paddings for find in finds]
    readings = _read_framed(reader, image, finds, first, clean, min_confidence)
    promising = [k for k, find in enumerate(finds) if find.faint and readings[k][0].valid]
    others = (*paddings[:middle], *paddings[middle + 1:])
    if promising and others:
        more = _read_framed(reader, image, [finds[k] for k in promising],
                            [others] * len(promising), clean, min_confidence)
        for k, framings in zip(promising, more):
            readings[k] += framings
    return readings


def unread_shape(reading: OcrReading) -> OcrReading:
    """A reading of a two-line-shaped find that was read as one line: no plate, two lines,
    and at most UNREAD_SHAPE_MAX_CONFIDENCE sure."""
    return replace(_no_plate(reading), lines=2)


def off_field(reading: OcrReading) -> OcrReading:
    """A faint find's reading: as read when it names a row of FAINT_FORMATS; a series
    (a plate's text short of its region) as read but of no row, for the second look it
    asks for (``choose.deserves_second_look``): a faint find's corners often stop short
    of the region; anything else no plate, at most UNREAD_SHAPE_MAX_CONFIDENCE sure."""
    if reading.plate_format in FAINT_FORMATS:
        return reading
    if reading.series:
        return replace(reading, plate_format=None, region=None)
    return _no_plate(reading)


def _no_plate(reading: OcrReading) -> OcrReading:
    return replace(reading, plate_format=None, region=None, series=False,
                   confidence=min(reading.confidence, UNREAD_SHAPE_MAX_CONFIDENCE))


@dataclass(frozen=True)
class _Cuts:
    """One find's framings, their number of lines, and whether its shape is one the
    reader cannot read (so that its readings are ``unread_shape``)."""

    crops: list[np.ndarray]
    lines: int
    unreadable: bool


def _whole(reader: PlateReaderLike, image: np.ndarray) -> list[_Cuts]:
    """The image read whole, as a crop is: as one line and, when it is shaped like a
    two-line plate (narrower than TWO_LINE_MAX_ASPECT, as a find's corners are judged) and
    the reader reads two-line types, also as two (``rectify.whole_two_lines``). A crop
    that narrow is as often a one-line plate with the car around it (a loose crop) as a
    two-line plate, and only the readings tell which. A photo-sized image is shrunk first
    (``rectify.shrunk_whole``)."""
    image = shrunk_whole(image)
    cuts = [_Cuts([image], 1, False)]
    if whole_shape_lines(image) > 1 and reader.formats.reads_two_lines:
        cuts.append(_Cuts([whole_two_lines(image)], 2, False))
    return cuts


def _cut(reader: PlateReaderLike, image: np.ndarray, find: Detection,
         paddings: Sequence[float]) -> _Cuts:
    lines = shape_lines(find)
    if lines > 1 and not reader.formats.only(lines).types:
        return _Cuts(plate_framings(image, find, paddings), 1, True)
    return _Cuts(plate_framings(image, find, paddings, lines), lines, False)


def _read_framed(reader: PlateReaderLike, image: np.ndarray, finds: Sequence[Detection],
                 paddings: Sequence[Sequence[float]], clean: bool, min_confidence: float
                 ) -> list[tuple[OcrReading, ...]]:
    """Each find read in its own framings (``paddings``, one sequence per find), in one
    call; a faint find's readings kept to FAINT_FIELDS (``off_field``)."""
    cuts = [_cut(reader, image, find, pads) for find, pads in zip(finds, paddings)]
    if clean:
        cuts = [_Cuts([cleaned(crop) for crop in cut.crops], cut.lines, cut.unreadable)
                for cut in cuts]
    readings = _read_grouped(reader, cuts, min_confidence) if cuts else []
    return [tuple(map(off_field, read)) if find.faint else read
            for find, read in zip(finds, readings)]


def _read_grouped(reader: PlateReaderLike, groups: Sequence[_Cuts], min_confidence: float = 0.0
                  ) -> list[tuple[OcrReading, ...]]:
    """Every crop of every group read in one call; the readings grouped alike. One-line
    crops alone are read as the reader reads by default."""
    crops = [crop for group in groups for crop in group.crops]
    lines = [group.lines for group in groups for _ in group.crops]
    readings = iter(reader.read(crops, lines if any(n != 1 for n in lines) else None,
                                min_confidence=min_confidence))
    out = []
    for group in groups:
        read = tuple(next(readings) for _ in group.crops)
        out.append(tuple(map(unread_shape, read)) if group.unreadable else read)
    return out
