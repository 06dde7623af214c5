"""The second reader: asked only where the first reader is unsure or the shape is a two-line
plate's, laying two-line plates out by its own card, weighed on the first reader's scale,
and the better reading kept when the second's is sure or the first's fits no format."""

from __future__ import annotations

import numpy as np
import pytest

from plate_service.recognition.calibration import IDENTITY, ConfidenceCalibration
from plate_service.recognition.pipeline import PlateRecognizer
from plate_service.recognition.plate_format import PlateFormats
from plate_service.recognition.readers import SecondReader
from plate_service.recognition.read import PlateReaderLike
from plate_service.recognition.types import OcrReading, PlateFormat
from tests.fakes import FakeDetector, reading
from tests.recognition.stand_ins import (
    CROP,
    PHOTO,
    PLATE_QUAD,
    BatchScriptedReader,
    ScriptedReader,
    as_detection,
)

# The second reader's card: one-line private plates and two-line tractor plates.
EVERY = PlateFormats(["1", "3"])
# A two-line plate 100 x 72 px in PHOTO, and a tight crop of one (190x145 mm).
SQUARE_QUAD = np.array([[100, 100], [200, 100], [200, 172], [100, 172]], np.float32)
SQUARE_CROP = np.zeros((145, 190, 3), dtype=np.uint8)
# The cut of a two-line find or crop, its lines side by side (rectify).
SIDE_BY_SIDE = (56, 320, 3)


def tractor(confidence: float = 0.9) -> OcrReading:
    """A second reader's reading of a two-line tractor plate."""
    return OcrReading("1234АВ77", "1234AB77", confidence, (confidence,) * 8,
                      PlateFormat.TRACTOR, "77", "1234AB77", lines=2)


def recognizer(first: PlateReaderLike, second: PlateReaderLike, *,
               finds: list[np.ndarray] | None = None,
               calibration: ConfidenceCalibration = IDENTITY,
               second_calibration: ConfidenceCalibration = IDENTITY) -> PlateRecognizer:
    """Two readers over finds with the corners ``finds``, no extra pass."""
    detector = None if finds is None else FakeDetector([as_detection(q, 0.9) for q in finds])
    return PlateRecognizer(first, detector, calibration=calibration,
                           second_reader=SecondReader(second, second_calibration),
                           second_look=False)


def test_a_crop_the_first_reader_reads_surely_costs_no_second_call() -> None:
    first = ScriptedReader([reading("A001AA77", 0.9)])
    second = ScriptedReader([reading("B002BB99", 0.99)], EVERY)
    best = recognizer(first, second).recognize(CROP, "crop").best
    assert best is not None and best.reading.text_latin == "A001AA77"
    assert len(first.calls) == 1 and second.calls == []


@pytest.mark.parametrize("unsure", [reading("A001AA77", 0.3),
                                    reading("A001AA7", 0.9, valid=False)],
                         ids=["not sure enough", "no format"])
def test_an_unsure_crop_is_read_again_and_the_better_reading_kept(unsure: OcrReading) -> None:
    second = ScriptedReader([reading("A001AA777", 0.8)], EVERY)
    best = recognizer(ScriptedReader([unsure]), second).recognize(CROP, "crop").best
    assert best is not None and best.reading.text_latin == "A001AA777"
    assert second.calls == [[CROP.shape]]


def test_the_first_reading_stays_when_the_second_is_worse() -> None:
    second = ScriptedReader([reading("A001AA7", 0.95, valid=False)], EVERY)
    best = recognizer(ScriptedReader([reading("A001AA77", 0.4)]), second).recognize(
        CROP, "crop").best
    assert best is not None and best.reading.text_latin == "A001AA77"
    assert len(second.calls) == 1


def test_an_unsure_second_reading_does_not_replace_an_unsure_first_one() -> None:
    # Read right by the first reader at 0.21, wrong by the second at 0.31 (c0042.jpg).
    second = ScriptedReader([reading("E672AY777", 0.31)], EVERY)
    best = recognizer(ScriptedReader([reading("P672AY777", 0.21)]), second).recognize(
        CROP, "crop").best
    assert best is not None and best.reading.text_latin == "P672AY777"


def test_a_crop_shaped_like_a_two_line_plate_is_read_again_side_by_side() -> None:
    first = ScriptedReader([reading("A001AA77", 0.9)])  # sure, but of a squashed shape
    # The second reads it as it is and with its lines side by side, in one call.
    second = ScriptedReader([reading("XX", 0.1, valid=False), tractor(0.95)], EVERY)
    best = recognizer(first, second).recognize(SQUARE_CROP, "crop").best
    assert second.calls == [[SQUARE_CROP.shape, SIDE_BY_SIDE]] and second.lines == [[1, 2]]
    assert best is not None and (best.reading.plate_format, best.reading.lines) == (
        "tractor", 2)


def test_an_unsure_two_line_reading_may_beat_a_squashed_one_line_reading() -> None:
    first = ScriptedReader([reading("A001AA77", 0.3)])
    second = ScriptedReader([reading("XX", 0.1, valid=False), tractor(0.4)], EVERY)
    best = recognizer(first, second).recognize(SQUARE_CROP, "crop").best
    assert best is not None and best.reading.text_latin == "1234AB77"


def test_a_two_line_find_is_read_by_the_second_reader_side_by_side() -> None:
    first = ScriptedReader([reading("A001AA77", 0.95)] * 3)  # no two-line type: a one-line cut
    second = ScriptedReader([tractor()] * 3, EVERY)
    result = recognizer(first, second, finds=[SQUARE_QUAD]).recognize(PHOTO, "scene")
    assert first.lines == [None]
    assert second.calls == [[SIDE_BY_SIDE] * 3] and second.lines == [[2, 2, 2]]
    (plate,) = result.plates
    assert (plate.reading.text_latin, plate.reading.lines) == ("1234AB77", 2)


def test_only_the_finds_the_first_reader_is_unsure_of_are_read_again_in_one_call() -> None:
    sure, unsure = reading("A001AA77", 0.95), reading("B002BB99", 0.35)
    first = BatchScriptedReader([[sure] * 3 + [unsure] * 3])
    second = ScriptedReader([reading("B002BB99", 0.9)] * 3, EVERY)
    other_quad = PLATE_QUAD + np.float32([0, 200])
    result = recognizer(first, second, finds=[PLATE_QUAD, other_quad]).recognize(
        PHOTO, "scene")
    assert second.calls == [[(56, 260, 3)] * 3]
    assert sorted(plate.reading.text_latin for plate in result.plates) == [
        "A001AA77", "B002BB99"]


def test_a_weak_one_line_find_read_unsurely_is_left_to_the_other_searches() -> None:
    first = ScriptedReader([reading("A003TY71", 0.2)] * 3)
    second = ScriptedReader([reading("A003TY71", 0.99)] * 3 + [tractor(0.2)], EVERY)
    weak = PlateRecognizer(first, FakeDetector([as_detection(PLATE_QUAD, 0.3)]),
                           second_reader=SecondReader(second),
                           second_look=False)
    weak.recognize(PHOTO, "scene")
    # The find is not read again; the photo whole, the fallback, is (its shape is 4:3:
    # as it is and with its lines side by side).
    assert second.calls == [[PHOTO.shape, SIDE_BY_SIDE]]


def test_no_second_call_when_every_find_is_read_surely() -> None:
    first = ScriptedReader([reading("A001AA77", 0.95)] * 3)
    second = ScriptedReader([reading("B002BB99", 0.99)] * 3, EVERY)
    recognizer(first, second, finds=[PLATE_QUAD]).recognize(PHOTO, "scene")
    assert second.calls == []


def test_the_readers_are_compared_by_calibrated_confidence_not_raw() -> None:
    # The first reader's raw 0.45 is right 28 % of the time, the second's raw 0.4 33 %:
    # the second's reading wins, though its raw confidence is lower.
    first_map = ConfidenceCalibration((0.0, 0.8, 1.0), (0.0, 0.5, 1.0), "first")
    second_map = ConfidenceCalibration((0.0, 0.6, 1.0), (0.0, 0.5, 1.0), "second")
    first = ScriptedReader([reading("A001AA77", 0.45)])
    second = ScriptedReader([reading("A001AA777", 0.4)], EVERY)
    best = recognizer(first, second, calibration=first_map,
                      second_calibration=second_map).recognize(CROP, "crop").best
    assert best is not None and best.reading.text_latin == "A001AA777"
    # Its raw 0.4 is reported 1/3, as the first reader's raw 0.533 is; so it is reported.
    assert best.reading.confidence == pytest.approx(0.8 * 2 / 3)
    assert best.confidence == pytest.approx(1 / 3)
