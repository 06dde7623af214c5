"""The find stage with a stand-in detector: the whole photo, its faint finds kept only on a
blue cut, and a second look at one find."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from plate_service.recognition.find import FAINT_MAX_FINDS, REFINE_PLATE_WIDTH, PlateFinder
from plate_service.recognition.types import Detection
from tests.recognition.stand_ins import (
    PHOTO,
    PLATE_QUAD,
    ROLLED_QUAD,
    WINDOW,
    ScriptedDetector,
    as_detection,
    in_window,
)


def test_a_second_look_finds_the_plate_again_in_a_level_window() -> None:
    moved = in_window(ROLLED_QUAD) + [3.0, 0.0]  # found 3 window pixels to the right
    detector = ScriptedDetector([as_detection(moved, 0.95)])
    found = PlateFinder(detector).find_again(PHOTO, as_detection(ROLLED_QUAD, 0.8))
    assert detector.seen == [WINDOW]
    assert found is not None and found.score == 0.8  # the first find's score
    # 3 window pixels are 3 x 200 / 230 photo pixels along the plate's rolled axis.
    shift, roll = 3 * 200 / REFINE_PLATE_WIDTH, np.radians(20)
    expected = ROLLED_QUAD + [shift * np.cos(roll), -shift * np.sin(roll)]
    assert np.asarray(found.corners) == pytest.approx(expected, abs=0.05)


def test_a_second_look_that_finds_nothing_at_the_centre_gives_nothing() -> None:
    off_centre = Detection((0, 0, 50, 20), 0.9, ((0, 0), (50, 0), (50, 20), (0, 20)))
    finder = PlateFinder(ScriptedDetector([off_centre]))
    assert finder.find_again(PHOTO, as_detection(ROLLED_QUAD, 0.8)) is None


POLICE_BLUE = (160, 70, 20)  # BGR


def test_faint_finds_are_kept_only_where_their_cut_is_mostly_blue() -> None:
    photo = PHOTO.copy()
    photo[128:172, 100:300] = POLICE_BLUE  # a blue field where PLATE_QUAD lies
    on_blue = replace(as_detection(PLATE_QUAD, 0.2), faint=True)
    elsewhere = replace(as_detection(PLATE_QUAD + [0.0, 250.0], 0.2), faint=True)
    sure_on_black = as_detection(PLATE_QUAD + [300.0, 250.0], 0.8)
    detector = ScriptedDetector([sure_on_black, on_blue, elsewhere])
    assert PlateFinder(detector).find(photo) == [sure_on_black, on_blue]


def test_an_image_keeps_its_likeliest_faint_blue_finds_only() -> None:
    photo = np.full_like(PHOTO, POLICE_BLUE)  # a frame gone all blue
    faint = [replace(as_detection(PLATE_QUAD + [0.0, 60.0 * k], 0.29 - 0.01 * k), faint=True)
             for k in range(FAINT_MAX_FINDS + 2)]
    assert PlateFinder(ScriptedDetector(faint)).find(photo) == faint[:FAINT_MAX_FINDS]


def test_a_second_look_keeps_the_first_finds_faintness() -> None:
    detector = ScriptedDetector([as_detection(in_window(ROLLED_QUAD), 0.95)])
    faint = replace(as_detection(ROLLED_QUAD, 0.2), faint=True)
    found = PlateFinder(detector).find_again(PHOTO, faint)
    assert found is not None and found.faint and found.score == 0.2
