"""Every GOST type the card lists, switched on by the card alone: two-line plates read with
their lines side by side, diplomatic plates with their Latin D, and a two-line plate never
reported as a confident one-line one by a card that reads none."""

from __future__ import annotations

from dataclasses import replace


import numpy as np
import pytest

from plate_service.answers import plate_answer
from plate_service.config import DEFAULT_MODELS_DIR
from plate_service.recognition.calibration import load_calibration
from plate_service.recognition.choose import SCENE_MIN_CONFIDENCE
from plate_service.recognition.loading import OCR_DIR
from plate_service.recognition.model_card import OcrDecoding, read_card
from plate_service.recognition.ocr import PlateReader
from plate_service.recognition.pipeline import PlateRecognizer
from plate_service.recognition.plate_format import PlateFormats
from plate_service.recognition.plate_lines import line_texts, side_by_side, split_lines
from plate_service.recognition.plate_types import plate_type
from plate_service.recognition.read import UNREAD_SHAPE_MAX_CONFIDENCE, unread_shape
from plate_service.recognition.rectify import TWO_LINE_MAX_ASPECT, shape_lines
from plate_service.recognition.types import Detection, ImageRecognition
from tests.fakes import ONE_LINE_READER_TYPES, FakeDetector, reading
from tests.recognition.stand_ins import (
    PHOTO,
    PLATE_QUAD,
    ScriptedDetector,
    ScriptedReader,
    as_detection,
    reader_for,
)

# A two-line plate 100 x 72 px in PHOTO (a motorcycle's 190x145 mm is 1.3:1).
SQUARE_QUAD = np.array([[100, 100], [200, 100], [200, 172], [100, 172]], np.float32)


def scene(reader: PlateReader, quad: np.ndarray) -> ImageRecognition:
    return PlateRecognizer(reader, FakeDetector([as_detection(quad, 0.9)])).recognize(PHOTO)


def test_a_two_line_plate_is_cut_with_its_top_line_left_of_its_bottom_line() -> None:
    plate = np.zeros((112, 160), dtype=np.uint8)
    plate[:56] = 10
    plate[56:] = 200
    joined = side_by_side(plate, 2)
    assert joined.shape == (56, 320)
    assert (joined[:, :160] == 10).all() and (joined[:, 160:] == 200).all()
    assert [band.shape for band in split_lines(plate, 2)] == [(56, 160), (56, 160)]
    assert side_by_side(plate, 1) is plate


@pytest.mark.parametrize(("gost_type", "text", "region_digits", "lines"), [
    ("3", "1234AB77", 2, ("1234", "AB77")),
    ("4А", "AB771234", 2, ("AB77", "1234")),
    ("11", "D1234577", 2, ("D123", "4577")),
    ("1", "A123BC777", 3, ("A123BC777",)),
])
def test_a_reading_is_cut_into_its_lines_as_the_table_lays_them_out(
        gost_type: str, text: str, region_digits: int, lines: tuple[str, ...]) -> None:
    assert line_texts(plate_type(gost_type), text, region_digits) == lines


def test_the_shape_of_a_find_says_how_many_lines_its_plate_has() -> None:
    assert shape_lines(as_detection(PLATE_QUAD, 0.9)) == 1
    assert shape_lines(as_detection(SQUARE_QUAD, 0.9)) == 2
    # One-line plates are 4.6:1, two-line ones at most 1.7:1; the threshold lies between.
    assert 290 / 170 < TWO_LINE_MAX_ASPECT < 520 / 112
    # A box alone says nothing of the plate's shape.
    assert shape_lines(Detection((100, 100, 200, 172), 0.9)) == 1


def test_a_card_with_a_two_line_type_reads_a_two_line_find_side_by_side() -> None:
    reader = reader_for(["1", "3"], "1234AB77")  # type 3, tractor: NNNN over LL RR
    result = scene(reader, SQUARE_QUAD)
    (plate,) = result.plates
    assert (plate.reading.text, plate.reading.plate_format, plate.reading.lines) == (
        "1234АВ77", "tractor", 2)
    answer = plate_answer(plate, top_n=3)
    assert (answer.format, answer.lines, answer.text, answer.region) == (
        "tractor", 2, "1234АВ77", "77")
    assert answer.candidates[0].text == "1234АВ77"


def test_the_cut_the_reader_gets_of_a_two_line_find_is_one_line_wide() -> None:
    reader = ScriptedReader([reading(valid=False)] * 64, PlateFormats(["1", "4"]))
    detector = ScriptedDetector([as_detection(SQUARE_QUAD, 0.9)], [])
    PlateRecognizer(reader, detector).recognize(PHOTO)
    # The find in its three framings, lines side by side (its second look finds nothing),
    # then again cleaned; with no plate read, then the photo whole (4:3, shaped like a
    # two-line plate), as it is and lines side by side.
    assert reader.calls[:2] == [[(56, 320, 3)] * 3] * 2
    assert reader.lines[:3] == [[2, 2, 2], [2, 2, 2], [1, 2]]


# A tight crop of a tractor plate (190x145 mm), as a user may send one.
SQUARE_CROP = np.zeros((145, 190), dtype=np.uint8)


def test_a_square_crop_is_read_as_a_two_line_plate_by_a_card_with_two_line_types() -> None:
    reader = reader_for(["1", "3"], "1234AB77")
    result = PlateRecognizer(reader).recognize(SQUARE_CROP, "crop")
    (plate,) = result.plates
    assert (plate.reading.text, plate.reading.plate_format, plate.reading.lines) == (
        "1234АВ77", "tractor", 2)


def test_the_whole_image_is_also_read_with_its_lines_side_by_side_only_when_shaped_so(
        ) -> None:
    reader = ScriptedReader([reading(valid=False)] * 4, PlateFormats(["1", "3"]))
    PlateRecognizer(reader).recognize(SQUARE_CROP, "crop")
    PlateRecognizer(reader).recognize(np.zeros((56, 260), dtype=np.uint8), "crop")
    # The square crop as it is and cut as a two-line find is; the wide one as it is.
    assert reader.calls == [[(145, 190), (56, 320)], [(56, 260)]]
    assert reader.lines == [[1, 2], None]


def test_a_loose_crop_of_a_one_line_plate_is_read_as_one_line_though_narrow() -> None:
    # A one-line plate with the car around it is as narrow as a two-line plate's crop:
    # read both ways, the sure one-line reading wins over the lines side by side.
    loose = np.zeros((142, 245), dtype=np.uint8)
    reader = ScriptedReader([reading("A258EX19", 0.95),
                             replace(reading("A258EX19", 0.3, valid=False), lines=2)],
                            PlateFormats(["1", "3"]))
    (plate,) = PlateRecognizer(reader).recognize(loose, "crop").plates
    assert (plate.reading.text_latin, plate.reading.lines) == ("A258EX19", 1)


def test_a_card_without_two_line_types_reads_a_square_crop_as_one_line() -> None:
    reader = ScriptedReader([reading(valid=False)], PlateFormats(["1"]))
    PlateRecognizer(reader).recognize(SQUARE_CROP, "crop")
    assert reader.calls == [[(145, 190)]] and reader.lines == [None]


def test_a_one_line_reading_is_never_a_two_line_type() -> None:
    reader = reader_for(["1", "1А"], "A123BC77")  # 1А: L NNN over LL RR, type 1's text
    (one_line,) = scene(reader, PLATE_QUAD).plates
    (two_line,) = scene(reader, SQUARE_QUAD).plates
    assert (one_line.reading.plate_format, one_line.reading.lines) == ("private", 1)
    assert (two_line.reading.plate_format, two_line.reading.lines) == ("type_1a", 2)


@pytest.mark.parametrize("text", ["A123477", "1234AB77"],
                         ids=["reads as a police plate", "reads as nothing"])
def test_a_card_without_two_line_types_never_reports_a_two_line_find(text: str) -> None:
    reader = reader_for(ONE_LINE_READER_TYPES, text)
    assert scene(reader, PLATE_QUAD).plates or text == "1234AB77"
    # The same reading on a two-line-shaped find: no plate, nor the photo read whole.
    result = scene(reader, SQUARE_QUAD)
    assert result.plates == ()


def test_an_unread_two_line_shape_has_no_format_and_no_confidence_to_pass_for_a_plate() -> None:
    demoted = unread_shape(reading("A123477", 0.99))
    assert (demoted.valid, demoted.region, demoted.lines) == (False, None, 2)
    assert demoted.confidence == UNREAD_SHAPE_MAX_CONFIDENCE < SCENE_MIN_CONFIDENCE
    card = read_card(DEFAULT_MODELS_DIR / OCR_DIR, OcrDecoding)
    calibration = load_calibration(DEFAULT_MODELS_DIR / OCR_DIR, card.sha256)
    assert calibration.apply(UNREAD_SHAPE_MAX_CONFIDENCE) < 0.5


def test_a_diplomatic_reading_keeps_its_latin_letters() -> None:
    reader = reader_for(["1", "9", "10"], "123D45677")
    (plate,) = scene(reader, PLATE_QUAD).plates
    answer = plate_answer(plate, top_n=3)
    assert (answer.text, answer.text_latin, answer.format, answer.lines) == (
        "123D45677", "123D45677", "diplomatic_staff", 1)
    assert answer.region_name == "Москва"
    assert answer.candidates[0].text == "123D45677"
    reader = reader_for(["1", "9"], "123CD477")
    (plate,) = scene(reader, PLATE_QUAD).plates
    assert (plate.reading.text, plate.reading.plate_format) == ("123CD477", "diplomatic")


def test_a_military_plate_s_region_cell_names_no_subject() -> None:
    reader = reader_for(["1", "5"], "1234AB50")
    (plate,) = scene(reader, PLATE_QUAD).plates
    answer = plate_answer(plate, top_n=3)
    assert (answer.format, answer.region, answer.region_name) == ("military", "50", None)


def test_a_card_of_one_line_types_reads_a_private_plate_without_the_latin_d() -> None:
    reader = reader_for(ONE_LINE_READER_TYPES, "A123BC77")
    assert "D" not in reader.formats.alphabet
    (plate,) = scene(reader, PLATE_QUAD).plates
    assert (plate.reading.text, plate.reading.plate_format, plate.reading.lines) == (
        "А123ВС77", "private", 1)


def test_a_crop_with_no_blue_is_never_read_as_a_blue_plate() -> None:
    # NNNN L RR is a police motorcycle's text, and a motorcycle's with one of its two
    # letters lost: on a white plate it is no plate, on a blue one it is.
    reader = reader_for(["4", "22"], "9844T17")
    white = np.full((72, 100, 3), (222, 232, 240), np.uint8)
    blue = np.full((72, 100, 3), (160, 70, 20), np.uint8)
    on_white, on_blue = reader.read([white, blue], [2, 2])
    assert on_white.plate_format is None
    assert on_blue.plate_format == "police_motorcycle"


def test_a_reading_of_a_colour_free_format_is_not_judged_by_colour(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # A private plate's text is the private format's only: its crop's colours cannot
    # change the reading, so they are not judged at all (the upstream's crops are).
    judged: list[np.ndarray] = []
    monkeypatch.setattr("plate_service.recognition.ocr.possible_fields",
                        lambda crop: judged.append(crop) or ("white",))
    reader = reader_for(["1", "20"], "A123BC77")
    (reading,) = reader.read([np.full((56, 260, 3), (160, 70, 20), np.uint8)])
    assert (reading.plate_format, judged) == ("private", [])
    (police,) = reader_for(["1", "20"], "A1234777").read([np.zeros((56, 260), np.uint8)])
    assert len(judged) == 1
