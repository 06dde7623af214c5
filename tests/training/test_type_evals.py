"""The per-type tables count right, the condition sweep's settings do what they say, and
our labels of the new types' real plates name table rows and real photos."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import pytest

from training.condition_sweep import (
    LOW_RESOLUTION_PLATE_WIDTH,
    PHOTO_CONDITIONS,
    under_condition,
)
from plate_service.recognition.pipeline import PlateRecognizer
from plate_service.recognition.plate_format import PlateFormats
from plate_service.recognition.plate_lines import side_by_side
from plate_service.recognition.plate_types import plate_types
from plate_service.recognition.types import (
    DEFAULT_MODE,
    Detection,
    ImageRecognition,
    OcrReading,
    RecognitionMode,
)
from training.type_evals import (
    add_arguments,
    crop_sections,
    crop_texts,
    first_pass_line,
    found_plates,
    read_extra_type_labels,
    type_glyphs,
)
from training.type_report import format_type_table, score_image, tally_by_type


def test_a_plate_counts_when_its_text_is_read_anywhere_and_other_texts_are_false() -> None:
    assert score_image(["A123BC77", "B456CE99"], ["A123BC77", "X000XX00"]) == (1, 1)
    assert score_image(["A123BC77"], []) == (0, 0)


def test_tallies_per_type_count_images_plates_exact_and_false_readings() -> None:
    tallies = tally_by_type([
        ("1", ["A123BC77"], ["A123BC77"]),
        ("1", ["B123BC77"], ["B123BC71"]),
        ("4", ["1234AB77", "5678CE99"], ["5678CE99", "1234AB7", "A1"]),
    ])
    assert list(tallies) == ["1", "4"]  # the table's order, types with images only
    one, four = tallies["1"], tallies["4"]
    assert (one.images, one.plates, one.exact, one.false_readings) == (2, 2, 1, 1)
    assert (four.images, four.plates, four.exact, four.false_readings) == (1, 2, 1, 2)
    table = format_type_table(tallies, false_readings=True).splitlines()
    assert table[1].split() == ["1", "private", "1/2", "50.0%", "0.500"]
    assert table[2].split() == ["4", "motorcycle", "1/2", "50.0%", "2.000"]
    assert table[-1].split() == ["all", "2/4", "50.0%", "1.000"]
    assert "false" not in format_type_table(tallies, false_readings=False)


def _photo() -> tuple[np.ndarray, list[tuple[int, int, int, int, str]]]:
    image = np.random.default_rng(0).integers(0, 256, (300, 400, 3), dtype=np.uint8)
    return image, [(100, 100, 300, 140, "A123BC77"), (10, 10, 60, 20, "B001BB99")]


@pytest.mark.parametrize("name", PHOTO_CONDITIONS)
def test_every_condition_gives_a_colour_photo_fixed_by_the_seed(name: str) -> None:
    image, labels = _photo()
    out = under_condition(name, image, labels, "scenes/s1.jpg", seed=3)
    assert out.ndim == 3 and out.shape[2] == 3
    assert np.array_equal(out, under_condition(name, image, labels, "scenes/s1.jpg", seed=3))
    assert (name == "clean") == np.array_equal(out, image)


def test_low_resolution_shrinks_the_photo_until_its_widest_plate_is_that_wide() -> None:
    image, labels = _photo()
    out = under_condition("low resolution", image, labels, "s")
    assert out.shape[1] == round(400 * LOW_RESOLUTION_PLATE_WIDTH / 200)


def test_our_labels_of_the_new_types_name_table_rows_and_boxes() -> None:
    labels = read_extra_type_labels()
    assert {label.gost_type for label in labels} >= {"10", "1А"}
    for label in labels:
        x1, y1, x2, y2 = label.box
        assert 0 <= x1 < x2 and 0 <= y1 < y2
        assert not label.file.startswith("/") and label.notes


def test_our_labels_lie_inside_their_shared_photos(shared_data: Path) -> None:
    for label in read_extra_type_labels():
        image = cv2.imread(str(shared_data / label.file))
        assert image is not None, label.file
        x1, y1, x2, y2 = label.box
        assert x2 <= image.shape[1] and y2 <= image.shape[0]


class _ReadsNothing:
    """An OCR of a card listing ``gost_types`` that reads every crop as nothing, and keeps
    the crops it was given and their numbers of lines."""

    def __init__(self, gost_types: Sequence[str] = ("1",)) -> None:
        self.formats = PlateFormats(gost_types)
        self.crops: list[np.ndarray] = []
        self.lines: list[int] = []

    def read(self, crops: Sequence[np.ndarray], lines: Sequence[int] | None = None,
             *, min_confidence: float = 0.0) -> list[OcrReading]:
        self.crops += crops
        self.lines += [1] * len(crops) if lines is None else lines
        return [OcrReading("", "", 0.0, (), None, None, "") for _ in crops]


def test_the_crop_section_reads_every_type_and_scores_a_blind_reader_zero(
        tmp_path: Path) -> None:
    reader = _ReadsNothing()
    section = crop_sections(reader, tmp_path, seed=1, per_type=2)
    assert len(reader.crops) == 2 * len(plate_types())
    assert section.splitlines()[-4].split()[:3] == ["all", f"0/{len(reader.crops)}", "0.0%"]
    assert section.splitlines()[-3] == "  named after their row: 0 of the 0 exact"
    two_line = sum(row.line_count > 1 for row in plate_types())
    assert section.splitlines()[-2] == ("  two-line plates read as a one-line plate of another "
                                        f"text: 0 of {2 * two_line}")
    assert "real plates" not in section  # no shared photos under tmp_path


def test_a_reader_of_two_line_types_gets_two_line_crops_as_the_service_cuts_them(
        tmp_path: Path) -> None:
    one_line_card, all_types_card = _ReadsNothing(), _ReadsNothing(
        [row.gost_type for row in plate_types()])
    crop_sections(one_line_card, tmp_path, seed=1, per_type=1)
    crop_sections(all_types_card, tmp_path, seed=1, per_type=1)
    for row, as_is, cut, lines in zip(plate_types(), one_line_card.crops,
                                      all_types_card.crops, all_types_card.lines):
        assert lines == row.line_count
        expected = side_by_side(as_is, 2) if lines == 2 else as_is
        assert np.array_equal(cut, expected), row.gost_type
    assert set(one_line_card.lines) == {1}


def test_a_recogniser_gets_the_crops_as_they_are_and_lays_them_out_itself(
        tmp_path: Path) -> None:
    reader = _ReadsNothing([row.gost_type for row in plate_types()])
    recognizer = PlateRecognizer(reader)
    square, wide = np.zeros((145, 190, 3), np.uint8), np.zeros((56, 260, 3), np.uint8)
    assert crop_texts(recognizer, [square, wide], [2, 1]) == ["", ""]
    # The square crop as it is and with its lines side by side, in one call.
    assert [crop.shape for crop in reader.crops] == [square.shape, (56, 320, 3), wide.shape]
    assert reader.lines == [1, 2, 1]


def test_a_recogniser_reads_the_crops_in_the_api_s_default_mode() -> None:
    # The per-type figures are what a user gets without choosing a mode.
    modes: list[str] = []

    class _Recorder(PlateRecognizer):
        def recognize(self, image: np.ndarray, mode: RecognitionMode = DEFAULT_MODE
                      ) -> ImageRecognition:
            modes.append(mode)
            return super().recognize(image, mode)

    recognizer = _Recorder(_ReadsNothing([row.gost_type for row in plate_types()]))
    crop_texts(recognizer, [np.zeros((56, 260, 3), np.uint8)])
    assert modes == [DEFAULT_MODE]


def test_the_crops_section_counts_exact_readings_named_after_another_row() -> None:
    from dataclasses import replace

    from plate_service.recognition.types import PlateFormat
    from tests.fakes import reading
    from training.type_evals import _names_line

    tractor = replace(reading("1234AB56"), plate_format=PlateFormat.TRACTOR)
    line = _names_line([("3", tractor), ("7", tractor), ("8", tractor)])
    assert line == ("  named after their row: 1 of the 3 exact; the others: "
                    "7 as tractor 1, 8 as tractor 1")
    assert _names_line([("3", tractor)]) == "  named after their row: 1 of the 1 exact"


def test_a_plate_is_found_when_a_detection_covers_it_well_enough() -> None:
    labels = [(100, 100, 300, 150, "A001AA77"), (400, 300, 500, 330, "B002BB99")]
    on_first = Detection((110, 105, 300, 150), 0.9)  # IoU 0.86 with the first plate
    beside_second = Detection((460, 300, 560, 330), 0.9)  # IoU 0.25 with the second
    assert found_plates([on_first, beside_second], labels) == 1
    assert found_plates([], labels) == 0


def test_the_first_pass_line_gives_found_plates_in_all_and_per_type() -> None:
    line = first_pass_line([("1", 2, 1), ("20", 1, 0), ("1", 1, 1)])
    assert "2/4" in line and "1 2/3" in line and "20 0/1" in line


def test_the_held_out_plates_are_drawn_unless_real_print_is_asked_for(tmp_path: Path) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path)
    add_arguments(parser, conditions=False)
    assert type_glyphs(parser.parse_args(["--data", str(tmp_path)])) is None
    real = parser.parse_args(["--data", str(tmp_path), "--type-print", "real"])
    assert type_glyphs(real) is not None  # drawn glyphs stand in without the data


def test_a_two_line_plate_read_as_one_line_of_another_text_is_counted() -> None:
    from dataclasses import replace

    from tests.fakes import reading
    from training.type_report import one_line_misreads

    one_line = reading("1234AB56")  # a motorcycle's text, read as one line
    two_lines = replace(one_line, lines=2)
    line = one_line_misreads([
        ("4", "1234AB56", replace(reading("1234AB5"), lines=1)),  # counted
        ("4", "1234AB56", two_lines),  # right, as two lines
        ("4", "1234AB56", None),  # not read: no answer, not a wrong one
        ("4", "1234AB56", reading("12", valid=False)),  # no plate's text: no answer either
        ("3", "1234AB56", replace(two_lines, text_latin="1234AB57")),  # wrong, two lines
        ("1", "A001AA77", reading("A001AA78")),  # a one-line plate
    ])
    assert line == "  two-line plates read as a one-line plate of another text: 1 of 5"


def test_a_reading_on_a_scene_s_unscored_plate_is_no_false_reading_on_its_rendered_photos(
        tmp_path: Path) -> None:
    from plate_service.recognition.geometry import box_corners
    from plate_service.recognition.types import PlateResult
    from tests.fakes import reading
    from training.type_evals import photo_sections

    scenes = tmp_path / "real-dev" / "scenes"
    scenes.mkdir(parents=True)
    cv2.imwrite(str(scenes / "s0001.jpg"), np.full((240, 320, 3), 90, np.uint8))
    parked = (10, 200, 70, 215)  # a plate the labels leave out

    class _ReadsTheParkedCar(PlateRecognizer):
        def recognize(self, image: np.ndarray, mode: RecognitionMode = DEFAULT_MODE
                      ) -> ImageRecognition:
            plate = PlateResult(reading("C810BC98"), parked, 0.9, "scene",
                                box_corners(parked), 0.9)
            return ImageRecognition(image.shape[1], image.shape[0], (plate,), "scene")

    labels = {"scenes/s0001.jpg": [(120, 100, 220, 122, "A001AA77")]}
    recognizer = _ReadsTheParkedCar(_ReadsNothing())
    scored = photo_sections(recognizer, tmp_path, labels, seed=1, per_type=1)
    unscored = photo_sections(recognizer, tmp_path, labels, seed=1, per_type=1,
                              unscored={"scenes/s0001.jpg": [parked]})
    all_line = [line for line in scored.splitlines() if line.split()[:1] == ["all"]]
    assert all_line[0].split()[-1] == "1.000"  # one false reading per photo
    all_line = [line for line in unscored.splitlines() if line.split()[:1] == ["all"]]
    assert all_line[0].split()[-1] == "0.000"
