"""Stage 4, choose: from what was read, the plates an image's answer reports.

The framings of one find vote (``best_reading``); a reading is reported only when it fits
a plate format and the reader was sure enough; the reported plates carry calibrated
confidences and their alternative readings. Also here: the rule, read off the readings,
for when the pipeline looks again at a find (the second look).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Literal

import numpy as np

from plate_service.recognition.calibration import ConfidenceCalibration
from plate_service.recognition.candidate_search import plate_candidates
from plate_service.recognition.geometry import (
    box_corners,
    detection_corners,
    plate_roll,
)
from plate_service.recognition.plate_format import PlateFormats
from plate_service.recognition.find import FAINT_FIELDS
from plate_service.recognition.plate_types import parse_pattern, plate_types
from plate_service.recognition.read import FindReadings
from plate_service.recognition.types import (
    Box,
    Candidate,
    Corners,
    ImageRecognition,
    OcrReading,
    PlateResult,
)

# A whole-image reading is trusted only when valid and this sure: as the fallback on a
# scene, and in auto mode, where a plate-shaped image read with less is also searched
# with the detector. This and SCENE_MIN_CONFIDENCE apply to the reader's raw confidence,
# not the calibrated one the answer reports, so which plates are kept does not depend on
# the calibration.
FALLBACK_MIN_CONFIDENCE = 0.5
# A detected plate's reading is kept only when this sure: tail lights, badges and signs
# that the detector mistakes for plates often read as some valid format, but with low
# confidence, while real plates mostly read well above it (the held-out figures are in
# models/detector/MODEL_CARD.md). The pipeline tells the reader so: a framing that cannot
# read this surely as any plate is left unfitted, spared the format search.
SCENE_MIN_CONFIDENCE = 0.5
# A reading with less raw confidence than this, or no plate, is unsure (``is_unsure``):
# below it a reading is often a clipped glyph that tighter corners fix, or a glyph that
# a scratch or a speck crosses. Its find gets a second look
# (``find.PlateFinder.find_again``) and, still unsure after it, a clean look
# (``rectify.cleaned``).
UNSURE_BELOW_CONFIDENCE = 0.9
# A find read unsurely gets a second look, but only one the detector was this sure of:
# tail lights and badges score lower, and each second look costs one more detector pass.
# A clean look, too, is only for a find this sure: a cleaned tail light reads as some
# plate as surely as a plate does.
REFINE_MIN_SCORE = 0.5
# ... or one that some framing reads with as many characters as the table's shortest
# plate: the detector scores a big plate whose corners it places badly low, and its
# clipped reading (5T33001 of 825T33001) is no plate, while a tail light or a badge reads
# a few characters or none.
REFINE_MIN_CHARACTERS = PlateFormats([row.gost_type for row in plate_types()]).shortest
# ... and a faint find (``find``) that some framing reads with as many characters as the
# shortest text before the region of a row it may be (the police trailer's NNN L): the
# detector places a faint find's corners loosely, and they often clip the region, or a
# character at the left, which the second look's tighter corners read.
FAINT_REFINE_MIN_CHARACTERS = min(
    sum(slot.length for slot in parse_pattern(row.pattern))
    for row in plate_types() if row.background in FAINT_FIELDS)
# A plate read and reported, however surely, also gets a second look when rolled by
# this many degrees or more: the detector's corners of rolled plates are loose and clip
# the last region digit in every framing alike (177 read as 17 three times), which no
# vote can undo. Upright plates, whose corners are tight, are left alone.
REFINE_MIN_ROLL = 10.0
# At most this many second looks per image, and as many clean looks: each costs a read,
# and a second look a detector pass too.
REFINE_MAX_PLATES = 2


def best_reading(readings: Sequence[OcrReading]) -> OcrReading:
    """The reading of one plate that its framings support most; the first if none is valid.

    Each valid text scores the sum of its readings' confidences, so two framings that
    agree outvote one that is a little surer of something else (a clipped digit is often
    read with confidence). The winner keeps its most confident reading.

    A cut that clips the last digit of a 3-digit region reads a valid 2-digit one (177 as
    17), and rolled plates' corners clip it in most framings; so a reading with a 3-digit
    region also gets the support of the same text without its last digit.
    """
    valid = [reading for reading in readings if reading.valid]
    if not valid:
        return readings[0]
    support: dict[str, float] = {}
    for reading in valid:
        support[reading.text_latin] = support.get(reading.text_latin, 0.0) + reading.confidence
    for reading in valid:
        clipped = reading.text_latin[:-1]
        if len(reading.region or "") == 3 and support.get(clipped):
            support[reading.text_latin] += support[clipped]
            support[clipped] = 0.0
    winner = max(support, key=lambda text: support[text])
    return max((r for r in valid if r.text_latin == winner), key=lambda r: r.confidence)


def is_unsure(readings: Sequence[OcrReading]) -> bool:
    """Whether the readings of one plate leave it in doubt: their vote
    (``best_reading``) is no plate, or one read less surely than UNSURE_BELOW_CONFIDENCE."""
    best = best_reading(readings)
    return not (best.valid and best.confidence >= UNSURE_BELOW_CONFIDENCE)


def deserves_second_look(found: FindReadings) -> bool:
    """Whether a find's corners are worth finding again (``PlateFinder.find_again``).

    A find read unsurely that the detector was sure of, or that reads as long as a plate
    (REFINE_MIN_CHARACTERS; a faint one FAINT_REFINE_MIN_CHARACTERS); a plate that will be
    reported but is rolled
    (REFINE_MIN_ROLL); or, whatever the detector's score, a find that some framing surely
    reads as a plate's series with no region after it: its corners stopped short of the
    region.
    """
    best = best_reading(found.readings)
    long_enough = FAINT_REFINE_MIN_CHARACTERS if found.find.faint else REFINE_MIN_CHARACTERS
    plate_long = any(len(reading.raw_text_latin) >= long_enough
                     for reading in found.readings)
    if (found.find.score >= REFINE_MIN_SCORE or plate_long) and is_unsure(found.readings):
        return True
    if (best.valid and best.confidence >= SCENE_MIN_CONFIDENCE
            and abs(plate_roll(detection_corners(found.find))) >= REFINE_MIN_ROLL):
        return True
    return any(reading.confidence >= SCENE_MIN_CONFIDENCE and reading.series
               for reading in found.readings)


def second_look_finds(found: Sequence[FindReadings]) -> list[int]:
    """The indexes of the finds to look at again, at most REFINE_MAX_PLATES, first first."""
    return [k for k, one in enumerate(found) if deserves_second_look(one)][:REFINE_MAX_PLATES]


def deserves_clean_look(found: FindReadings) -> bool:
    """Whether a find is worth reading again cleaned: the detector was sure of it
    (REFINE_MIN_SCORE) and its readings so far are unsure (``is_unsure``)."""
    return found.find.score >= REFINE_MIN_SCORE and is_unsure(found.readings)


def clean_look_finds(found: Sequence[FindReadings]) -> list[int]:
    """The indexes of the finds to read again cleaned, at most REFINE_MAX_PLATES, first
    first."""
    return [k for k, one in enumerate(found) if deserves_clean_look(one)][:REFINE_MAX_PLATES]


def is_sure(result: ImageRecognition) -> bool:
    """True when an image read whole gave a valid plate at least FALLBACK_MIN_CONFIDENCE sure."""
    best = result.best
    return (best is not None and best.reading.valid
            and best.reading.confidence >= FALLBACK_MIN_CONFIDENCE)


def crop_answer(image: np.ndarray, whole: OcrReading,
                calibration: ConfidenceCalibration) -> ImageRecognition:
    """An image read as one tight plate: its reading whenever it read any text."""
    height, width = image.shape[:2]
    plates = [_whole_plate(whole, width, height, calibration)] if whole.text else []
    return ImageRecognition(width=width, height=height, plates=tuple(plates), mode="crop")


def scene_answer(image: np.ndarray, whole: Callable[[], OcrReading],
                 found: Sequence[FindReadings], calibration: ConfidenceCalibration
                 ) -> ImageRecognition:
    """A photo's plates: each find's winning reading that is valid and sure enough
    (SCENE_MIN_CONFIDENCE), best first; with none, the whole image's reading (``whole``
    reads it, called only then) when it is a sure plate (a loose crop the detector found
    nothing in), unless a find is a two-line plate the reader cannot read
    (``read.unread_shape``): the whole image of such a plate, read as one line, is that
    plate squashed."""
    height, width = image.shape[:2]
    plates = [_report(reading, one.find.box, detection_corners(one.find), one.find.score,
                      "scene", calibration)
              for one in found
              for reading in [best_reading(one.readings)]
              if reading.valid and reading.confidence >= SCENE_MIN_CONFIDENCE]
    unread_two_lines = any(not reading.valid and reading.lines > 1
                           for one in found for reading in one.readings)
    if not plates and not unread_two_lines:
        fallback = whole()
        if fallback.valid and fallback.confidence >= FALLBACK_MIN_CONFIDENCE:
            plates.append(_whole_plate(fallback, width, height, calibration))
    return ImageRecognition(width=width, height=height, plates=best_first(plates),
                            mode="scene")


def best_first(plates: Sequence[PlateResult]) -> tuple[PlateResult, ...]:
    """Valid readings first, then by confidence: the order of every answer's plates."""
    return tuple(sorted(plates, key=lambda plate: (plate.reading.valid, plate.reading.confidence),
                        reverse=True))


def _whole_plate(whole: OcrReading, width: int, height: int,
                 calibration: ConfidenceCalibration) -> PlateResult:
    full_box = (0, 0, width, height)
    return _report(whole, full_box, box_corners(full_box), None, "crop", calibration)


def _report(reading: OcrReading, box: Box, corners: Corners, detection_score: float | None,
            source: Literal["crop", "scene"], calibration: ConfidenceCalibration
            ) -> PlateResult:
    """A plate the answer reports: calibrated confidence and candidates, listed here
    and not for every framing read, since the search costs as much as a tenth of
    reading a crop. The CTC output is dropped so that results stay small in the cache.
    """
    candidates: tuple[Candidate, ...] = ()
    if reading.ctc is not None:
        if reading.valid:
            formats = reading.ctc.formats
            candidates = tuple(
                Candidate(formats.printed(text, formats.match(text)), text, probability)
                for text, probability in plate_candidates(reading.ctc, reading.text_latin))
        reading = replace(reading, ctc=None)
    return PlateResult(reading, box, detection_score, source, corners,
                       calibration.apply(reading.confidence), candidates)
