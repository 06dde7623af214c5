"""The find stage with a stand-in detector: the whole photo, and a second look at one find."""

from __future__ import annotations

import numpy as np
import pytest

from plate_service.recognition.find import REFINE_PLATE_WIDTH, PlateFinder
from plate_service.recognition.types import Detection
from tests.recognition.stand_ins import (
    PHOTO,
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
