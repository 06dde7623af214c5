"""The detector eval's rotation sweep: scenes turned about their first plate, labels with them."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pytest

from plate_service.recognition.geometry import box_corners
from plate_service.recognition.types import PlateResult
from tests.fakes import reading
from training.eval_detector import SCENE_SETS, _angles, extra_scenes, turned_scene
from training.type_report import score_readings
from training.unlabelled_plates import (lies_on, noted_plates, read_unlabelled_plates,
                                        unscored_plates)


def test_a_turned_scene_keeps_its_first_plate_in_place_and_boxes_the_turned_labels() -> None:
    image = np.zeros((300, 400, 3), np.uint8)
    image[140:160, 150:250] = 255  # the first plate, 100x20, centred on (200, 150)
    image[40:60, 20:60] = 128  # a second plate near the corner
    labels = [(150, 140, 250, 160, "A001AA77"), (20, 40, 60, 60, "B002BB99")]
    turned, rows = turned_scene(image, labels, 90)
    assert turned.shape == image.shape
    # Turned a quarter about its own centre, the first plate stands upright where it was.
    assert rows[0][:4] == (190, 100, 210, 200) and rows[0][4] == "A001AA77"
    assert turned[150, 200].min() == 255 and turned[150, 230].max() < 255
    assert rows[1][4] == "B002BB99" and rows[1][2] - rows[1][0] == 20


def test_a_zero_turn_changes_nothing() -> None:
    image = np.random.default_rng(0).integers(0, 256, (120, 160, 3), dtype=np.uint8)
    labels = [(10, 20, 90, 40, "A001AA77")]
    turned, rows = turned_scene(image, labels, 0)
    assert np.array_equal(turned, image)
    assert rows == labels


def _extra_labels(data_dir: Path, rows: str) -> None:
    """A real-scenes-extra labels.csv under ``data_dir`` with ``rows`` after its header."""
    folder = data_dir / SCENE_SETS["extra"][0]
    folder.mkdir()
    (folder / "labels.csv").write_text("file,kind,plate_latin,x1,y1,x2,y2,notes\n" + rows,
                                       encoding="utf-8")


def test_the_extra_scenes_are_every_labelled_plate_of_the_extra_photos(tmp_path: Path) -> None:
    assert extra_scenes(tmp_path, tmp_path) == {}  # no folder: nothing to score
    _extra_labels(
        tmp_path,
        "scenes/x0001.jpg,scene,T963KY178,564,641.6,715,680,\n"
        "scenes/x0001.jpg,scene,X448PE47,10,20,30,40,unreadable_plates_present\n"
        "crops/c0001.png,crop,A001AA77,0,0,0,0,\n")
    assert extra_scenes(tmp_path, tmp_path) == {
        "scenes/x0001.jpg": [(564, 642, 715, 680, "T963KY178"), (10, 20, 30, 40, "X448PE47")]}


def _plate(text: str, box: tuple[int, int, int, int]) -> PlateResult:
    return PlateResult(reading(text, 0.95), box, 0.9, "scene", box_corners(box), 0.95)


def test_a_reading_on_a_plate_the_labels_leave_out_is_neither_exact_nor_false() -> None:
    labels = [(100, 100, 200, 130, "A001AA77")]
    plates = [_plate("A001AA77", (101, 99, 199, 131)),
              _plate("C810BC98", (20, 300, 80, 320)),  # on the unlabelled plate
              _plate("B002BB99", (400, 300, 460, 320))]  # on no plate at all
    false, missed, unlabelled = score_readings(plates, labels, [(10, 290, 90, 330)])
    assert (false, missed, unlabelled) == (["B002BB99"], [], ["C810BC98"])


def test_every_unlabelled_plate_lies_in_a_real_scene_set_and_is_boxed() -> None:
    plates = read_unlabelled_plates()
    assert plates and all(name.startswith(("real-dev/scenes/s", "real-scenes-extra/scenes/x"))
                          for name in plates)
    assert all(x1 < x2 and y1 < y2 for boxes in plates.values() for x1, y1, x2, y2 in boxes)
    assert lies_on((20, 300, 80, 320), [(10, 290, 90, 330)])
    assert not lies_on((100, 300, 180, 320), [(10, 290, 90, 330)])


def test_the_notes_box_unread_plates_apart_from_non_standard_ones() -> None:
    noted = noted_plates("night; unreadable_plates_present; also: 1 2 3 4; 50 60 70 80; "
                         "same plate also in x0003.jpg; skipped non-standard plate "
                         "(foreign (German) plate) at 145 345 250 392")
    assert noted.unread == ((1, 2, 3, 4), (50, 60, 70, 80))
    assert noted.non_standard == ((145, 345, 250, 392),)
    assert noted_plates("box drawn by hand") == noted_plates("")


def test_a_set_s_unscored_plates_are_the_ones_left_out_and_the_ones_left_unread(
        tmp_path: Path) -> None:
    _extra_labels(
        tmp_path,
        "scenes/x0058.jpg,scene,T963KY178,5,6,70,30,\"unreadable_plates_present; "
        "also: 1155 651 1255 680\"\n"
        "scenes/x0161.jpg,scene,Y798KH98,705,336,769,351,\"skipped non-standard plate "
        "(foreign (German) plate) at 145 345 250 392\"\n")
    unscored = unscored_plates(tmp_path, SCENE_SETS["extra"][0])
    assert unscored["scenes/x0058.jpg"] == [(1155, 651, 1255, 680)]
    # Left out by the labels (data/unlabelled_plates.csv); the German plate is scored:
    # a reading on it is false.
    assert unscored["scenes/x0161.jpg"] == [(510, 334, 569, 349)]
    assert unscored_plates(tmp_path, "real-dev") == {
        "scenes/s0100.jpg": [(45, 413, 124, 441)], "scenes/s0161.jpg": [(0, 291, 54, 321)]}


def test_the_sweep_s_angles_come_from_the_command_line() -> None:
    assert _angles("-35,35") == (-35.0, 35.0)
    for bad in ("", "ten", "-35,200"):
        with pytest.raises(argparse.ArgumentTypeError):
            _angles(bad)
