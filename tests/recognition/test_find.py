"""The find stage with a stand-in detector: the whole photo, turned, in tiles, and a
second look at one find."""

from __future__ import annotations

import numpy as np
import pytest

from plate_service.recognition.find import (
    REFINE_PLATE_WIDTH,
    RESCAN_ANGLES,
    TILE_MIN_SIDE,
    PlateFinder,
)
from plate_service.recognition.types import Detection
from tests.recognition.stand_ins import (
    DASHCAM,
    PHOTO,
    PLATE_QUAD,
    ROLLED_QUAD,
    WINDOW,
    ScriptedDetector,
    as_detection,
    in_window,
    turned,
)


def test_the_turned_search_maps_finds_back_and_keeps_one_per_plate() -> None:
    # A plate rolled by -20 degrees: level in the photo turned by +20, at -40 in the
    # photo turned by -20, where it is found again.
    plate = turned(PLATE_QUAD, -20)
    detector = ScriptedDetector([as_detection(turned(plate, RESCAN_ANGLES[0]), 0.9)],
                                [as_detection(turned(plate, RESCAN_ANGLES[1]), 0.6)])
    (found,) = PlateFinder(detector).find_turned(PHOTO)
    assert detector.seen == [PHOTO.shape] * len(RESCAN_ANGLES)
    assert found.score == 0.9
    assert np.asarray(found.corners) == pytest.approx(plate, abs=0.01)


def test_the_turned_search_drops_finds_that_fall_outside_the_photo() -> None:
    outside = as_detection(PLATE_QUAD + [2000, 0], 0.9)
    assert PlateFinder(ScriptedDetector([outside], [])).find_turned(PHOTO) == []


def test_the_tiled_search_finds_in_overlapping_tiles_in_the_photos_pixels() -> None:
    assert max(DASHCAM.shape[:2]) >= TILE_MIN_SIDE
    # Tiles of 920x518 px, at x 0 and 680, y 0 and 382; the plate is found in the last.
    detector = ScriptedDetector([], [], [], [as_detection(PLATE_QUAD + [100, 50], 0.9)])
    (found,) = PlateFinder(detector).find_in_tiles(DASHCAM)
    assert detector.seen == [(518, 920, 3)] * 4
    assert np.asarray(found.corners) == pytest.approx(PLATE_QUAD + [780, 432])


def test_a_small_photo_is_not_searched_in_tiles() -> None:
    detector = ScriptedDetector()
    assert PlateFinder(detector).find_in_tiles(PHOTO) == [] and detector.seen == []


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
