"""The readers a recogniser reads with: the first reads every plate, an optional second one
(of more plate types) reads again only what the first is unsure of or cannot lay out.

Two OCR models trained apart are good at different plates: a reader of the common
one-line types reads those surely, a model trained on every GOST type reads the others
but may lose a few of those. So the first reader keeps the plates it reads surely, at no
extra model call, and the second reads the rest, each laying out a two-line plate by its
own card (``read``). Once the second's confidence is on the first's raw scale
(``calibration.on_scale_of``), so that everything after this stage (thresholds, votes,
the reported confidence) stays in the first reader's terms, its readings join the first's
vote (``choose.best_reading``) only when they can help: when they are sure, or when the
first read no format at all. Two unsure readings of one plate are about a coin toss apart,
and on real crops the first reader's is right more often than the second's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from plate_service.recognition.calibration import (
    IDENTITY,
    ConfidenceCalibration,
    on_scale_of,
)
from plate_service.recognition.choose import (
    FALLBACK_MIN_CONFIDENCE,
    REFINE_MIN_SCORE,
    SCENE_MIN_CONFIDENCE,
    best_reading,
)
from plate_service.recognition.read import PlateReaderLike, read_finds, read_whole
from plate_service.recognition.rectify import shape_lines, whole_shape_lines
from plate_service.recognition.types import Detection, OcrReading


@dataclass(frozen=True)
class SecondReader:
    """The reader asked again, and the calibration of its own raw confidence."""

    reader: PlateReaderLike
    calibration: ConfidenceCalibration = IDENTITY


class Readers:
    """The read stage over one reader, or two (``second``).

    ``calibration`` is the first reader's, the one the answer's confidences go through.
    A reading is sure when it fits a format at least as surely as the pipeline asks of a
    plate it reports: FALLBACK_MIN_CONFIDENCE for an image read whole, SCENE_MIN_CONFIDENCE
    for a find. The second reader reads an image or a find again when the first's reading
    is not sure, or when its shape is a two-line plate's (narrower than
    ``rectify.TWO_LINE_MAX_ASPECT``): a sure one-line reading of such a shape may be a
    two-line plate squashed. A one-line find is read again only when the detector was sure
    of it (``choose.REFINE_MIN_SCORE``), as for a second look: a weak find read unsurely is
    more often a tail light than a plate, and a second reading would only add a false
    one. The second's readings count only when sure by the same measure, or when the
    first's fit no format or squash the shape (``_helps``). Stateless per call, like the
    readers it holds.
    """

    def __init__(self, first: PlateReaderLike, calibration: ConfidenceCalibration = IDENTITY,
                 second: SecondReader | None = None) -> None:
        self._first = first
        self._calibration = calibration
        self._second = second

    @property
    def has_second(self) -> bool:
        return self._second is not None

    def read_whole(self, image: np.ndarray) -> OcrReading:
        """The image read whole by the first reader (both ways when it is narrow,
        ``read.read_whole``), and by the second when that is not sure or the image is
        shaped like a two-line plate; the better supported reading."""
        first = best_reading(read_whole(self._first, image))
        lines = whole_shape_lines(image)
        if self._second is None or (_sure(first, FALLBACK_MIN_CONFIDENCE) and lines == 1):
            return first
        second = self._on_first_scale(best_reading(read_whole(self._second.reader, image)))
        # A first reader without types of that many lines read the shape squashed into
        # one (``read.unread_shape``): its reading, even with a format, is no yardstick.
        squashed = not self._first.formats.only(lines).types
        if not (squashed or _helps(second, (first,), FALLBACK_MIN_CONFIDENCE)):
            return first
        return best_reading([first, second])

    def read_finds(self, image: np.ndarray, finds: Sequence[Detection],
                   paddings: Sequence[float]) -> list[tuple[OcrReading, ...]]:
        """Each find's framings read by the first reader; those of the finds it is not
        sure of, or shaped like two-line plates, also by the second, all in one more call;
        those of its readings that help (``_helps``) after the first's. Without a second
        reader, ``read.read_finds``."""
        first = read_finds(self._first, image, finds, paddings)
        if self._second is None:
            return first
        again = [k for k, (find, readings) in enumerate(zip(finds, first))
                 if shape_lines(find) > 1
                 or (find.score >= REFINE_MIN_SCORE
                     and not _sure(best_reading(readings), SCENE_MIN_CONFIDENCE))]
        second = read_finds(self._second.reader, image, [finds[k] for k in again], paddings)
        out = list(first)
        for k, readings in zip(again, second):
            out[k] = first[k] + tuple(
                reading for reading in map(self._on_first_scale, readings)
                if _helps(reading, first[k], SCENE_MIN_CONFIDENCE))
        return out

    def _on_first_scale(self, reading: OcrReading) -> OcrReading:
        """A second reader's reading with its confidence as the first reader's raw
        confidence of the same calibrated worth; its characters' confidences stay as read."""
        assert self._second is not None
        return replace(reading, confidence=on_scale_of(self._calibration,
                                                       self._second.calibration,
                                                       reading.confidence))


def _sure(reading: OcrReading, min_confidence: float) -> bool:
    return reading.valid and reading.confidence >= min_confidence


def _helps(second: OcrReading, first: Sequence[OcrReading], min_confidence: float) -> bool:
    """Whether a second reader's reading (on the first's scale) joins the first's: when it
    is sure, or when none of the first's readings fits a format."""
    return _sure(second, min_confidence) or not any(reading.valid for reading in first)
