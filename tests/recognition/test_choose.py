"""The choose stage: the framings' vote, which readings an answer reports, and when to
look again."""

from __future__ import annotations

from dataclasses import replace

import pytest

from plate_service.recognition.calibration import IDENTITY, ConfidenceCalibration
from plate_service.recognition.choose import (
    best_reading,
    clean_look_finds,
    crop_answer,
    deserves_clean_look,
    deserves_second_look,
    scene_answer,
    second_look_finds,
)
from plate_service.recognition.read import FindReadings
from plate_service.recognition.types import Detection, OcrReading
from tests.fakes import reading
from tests.recognition.stand_ins import CROP, PHOTO, PLATE_QUAD, ROLLED_QUAD, as_detection

FIND = Detection((10, 20, 110, 45), 0.8)


def _found(*readings: OcrReading, find: Detection = FIND) -> FindReadings:
    return FindReadings(find, readings)


def test_framings_that_agree_outvote_one_surer_reading() -> None:
    readings = [reading("A001AA77", 0.6), reading("A001AA777", 0.99, valid=False),
                reading("A001AA71", 0.8), reading("A001AA77", 0.7)]
    best = best_reading(readings)
    assert (best.text_latin, best.confidence) == ("A001AA77", 0.7)
    # Without agreement the surest valid reading wins.
    assert best_reading(readings[:3]).text_latin == "A001AA71"
    invalid = [reading("XX", 0.3, valid=False), reading("YY", 0.9, valid=False)]
    assert best_reading(invalid).text_latin == "XX"


def test_a_region_digit_clipped_by_tight_framings_does_not_outvote_the_full_region() -> None:
    clipped = [reading("K095AE17", 0.9), reading("K095AE17", 0.8)]
    full = reading("K095AE177", 0.6)
    assert best_reading(clipped + [full]) is full
    # A shorter reading that is not the full one cut short keeps its own support.
    assert best_reading([reading("K095AE18", 0.9), reading("K095AE18", 0.8), full]
                        ).text_latin == "K095AE18"
    assert best_reading(clipped).text_latin == "K095AE17"


def test_a_scene_reports_each_finds_winning_reading_best_first_with_box_and_score() -> None:
    other = Detection((300, 200, 420, 230), 0.95)
    answer = scene_answer(PHOTO, lambda: reading(valid=False), [
        _found(reading("A001AA77", 0.7)), _found(reading("B002BB99", 0.9), find=other)],
        IDENTITY)
    assert answer.mode == "scene"
    assert [p.reading.text_latin for p in answer.plates] == ["B002BB99", "A001AA77"]
    assert (answer.plates[0].box, answer.plates[0].detection_score) == (other.box, 0.95)


@pytest.mark.parametrize("dropped", [reading("XX", 0.9, valid=False), reading("T087811", 0.3)],
                         ids=["fits no format", "read unsurely"])
def test_a_scene_drops_readings_that_fit_no_format_or_are_unsure(dropped: OcrReading) -> None:
    answer = scene_answer(PHOTO, lambda: reading(valid=False), [_found(dropped)], IDENTITY)
    assert answer.plates == () and answer.best is None


def test_a_scene_with_no_plate_read_falls_back_to_a_sure_whole_image_reading() -> None:
    answer = scene_answer(PHOTO, lambda: reading("E123KX777", 0.95), [], IDENTITY)
    assert answer.best is not None and answer.best.source == "crop"
    assert answer.best.box == (0, 0, 640, 480)
    assert scene_answer(PHOTO, lambda: reading("E123KX777", 0.4), [], IDENTITY).plates == ()


def test_reported_plates_carry_corners_calibrated_confidence_and_candidates() -> None:
    corners = ((12.5, 20.0), (110.0, 22.0), (108.0, 45.0), (10.0, 43.0))
    find = Detection((10, 20, 111, 46), 0.8, corners)
    calibration = ConfidenceCalibration((0.0, 0.5, 1.0), (0.0, 0.9, 1.0), "x")
    answer = scene_answer(PHOTO, lambda: reading(valid=False), [_found(
        reading("A001AA77", 0.55), reading("A001AA77", 0.6), find=find)], calibration)
    (plate,) = answer.plates
    assert plate.corners == corners
    assert plate.reading.confidence == 0.6
    assert plate.confidence == pytest.approx(0.92)
    assert [c.text for c in plate.candidates] == ["А001АА77"]
    assert plate.reading.ctc is None  # the model output is not kept with the result


def test_keeping_a_plate_goes_by_the_raw_confidence_not_the_calibrated_one() -> None:
    generous = ConfidenceCalibration((0.0, 0.1, 1.0), (0.0, 0.95, 1.0), "x")
    answer = scene_answer(PHOTO, lambda: reading(valid=False), [_found(reading("A001AA77", 0.4))],
                          generous)
    assert answer.plates == ()


def test_a_crop_has_the_whole_image_as_corners_and_an_invalid_one_no_candidates() -> None:
    (plate,) = crop_answer(CROP, reading("XX", 0.3, valid=False), IDENTITY).plates
    assert plate.corners == ((0, 0), (260, 0), (260, 56), (0, 56))
    assert plate.candidates == ()


@pytest.mark.parametrize(("quad", "score", "text", "confidence", "again"), [
    (PLATE_QUAD, 0.8, "A001AA77", 0.6, True),
    (PLATE_QUAD, 0.8, "A001AA77", 0.95, False),
    (PLATE_QUAD, 0.4, "A01", 0.6, False),
    (PLATE_QUAD, 0.4, "5T33001", 0.9, True),
    (PLATE_QUAD, 0.4, "A001AA77", 0.95, False),
    (ROLLED_QUAD, 0.4, "A001AA77", 0.99, True),
    (PLATE_QUAD, 0.3, "A001AA", 0.99, True),
    (PLATE_QUAD, 0.4, "A001AA", 0.4, True),
    (PLATE_QUAD, 0.4, "A001A", 0.4, False),
], ids=["sure find, unsure reading", "sure reading", "weak find, few characters",
        "weak find, as long as a plate, no plate", "weak find, sure plate",
        "rolled plate read surely", "a series without region",
        "an unsure series, as long as the shortest plate", "unsure, shorter than any plate"])
def test_which_finds_deserve_a_second_look(quad: object, score: float, text: str,
                                           confidence: float, again: bool) -> None:
    find = as_detection(quad, score)  # type: ignore[arg-type]
    valid = len(text) > 6 and text[0].isalpha()
    assert deserves_second_look(_found(reading(text, confidence, valid=valid), find=find)) is again


def test_a_faint_find_read_as_long_as_a_police_trailers_series_deserves_a_second_look(
        ) -> None:
    faint = replace(as_detection(PLATE_QUAD, 0.2), faint=True)
    clipped = reading("427O", 0.3, valid=False)  # NNN L RR with its region cut off
    assert deserves_second_look(_found(clipped, find=faint))
    assert not deserves_second_look(_found(reading("427", 0.3, valid=False), find=faint))
    assert not deserves_second_look(_found(clipped, find=replace(faint, faint=False)))


def test_at_most_two_finds_get_a_second_look() -> None:
    unsure = [_found(reading("A001AA77", 0.6)) for _ in range(3)]
    assert second_look_finds([_found(reading("A001AA77", 0.95))] + unsure) == [1, 2]


@pytest.mark.parametrize(("score", "readings", "clean"), [
    (0.8, [reading("A001AA77", 0.6)], True),
    (0.8, [reading("XX", 0.9, valid=False)], True),
    (0.8, [reading("A001AA77", 0.6), reading("A001AA77", 0.95)], False),
    (0.4, [reading("A001AA77", 0.6)], False),
], ids=["sure find, unsure reading", "sure find, no plate", "one framing sure",
        "weak find"])
def test_which_finds_deserve_a_clean_look(score: float, readings: list[OcrReading],
                                          clean: bool) -> None:
    find = as_detection(PLATE_QUAD, score)
    assert deserves_clean_look(_found(*readings, find=find)) is clean


def test_at_most_two_finds_get_a_clean_look() -> None:
    unsure = [_found(reading("A001AA77", 0.6)) for _ in range(3)]
    assert clean_look_finds([_found(reading("A001AA77", 0.95))] + unsure) == [1, 2]


def test_a_photo_is_read_whole_only_when_its_finds_give_no_plate() -> None:
    wholes: list[OcrReading] = []

    def read_whole() -> OcrReading:
        wholes.append(reading("E123KX777", 0.95))
        return wholes[-1]

    answer = scene_answer(PHOTO, read_whole, [_found(reading("A001AA77", 0.9))], IDENTITY)
    assert [p.reading.text_latin for p in answer.plates] == ["A001AA77"] and wholes == []
    answer = scene_answer(PHOTO, read_whole, [_found(reading("XX", 0.9, valid=False))],
                          IDENTITY)
    assert answer.best is not None and answer.best.source == "crop" and len(wholes) == 1
