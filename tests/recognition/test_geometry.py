"""Plate geometry: corner order, rolls, and the warps between photo and views of it."""

from __future__ import annotations

import itertools

import cv2
import numpy as np
import pytest

from plate_service.recognition.find import REFINE_PLATE_WIDTH, REFINE_WINDOW
from plate_service.recognition.geometry import (
    box_corners,
    detection_corners,
    level_window,
    moved_detection,
    order_corners,
    plate_roll,
)
from plate_service.recognition.types import Detection
from tests.recognition.stand_ins import (
    PHOTO,
    PLATE_QUAD,
    ROLLED_QUAD,
    as_detection,
    in_window,
    rolled,
)


@pytest.mark.parametrize("degrees", range(-60, 61, 10))
def test_corners_come_back_in_the_plates_own_order_whatever_the_roll(degrees: int) -> None:
    turned = rolled(PLATE_QUAD, degrees, (200.0, 150.0))
    for order in itertools.permutations(range(4)):
        np.testing.assert_allclose(order_corners(turned[list(order)]), turned)


def test_the_roll_of_a_plate_comes_from_its_edges() -> None:
    assert plate_roll(tuple(map(tuple, ROLLED_QUAD))) == pytest.approx(20, abs=1e-3)
    assert plate_roll(tuple(map(tuple, PLATE_QUAD))) == pytest.approx(0, abs=1e-3)


def test_a_find_without_corners_has_its_boxs() -> None:
    assert box_corners((1, 2, 30, 12)) == ((1, 2), (30, 2), (30, 12), (1, 12))
    assert detection_corners(Detection((1, 2, 30, 12), 0.9)) == box_corners((1, 2, 30, 12))


def test_the_level_window_shows_the_plate_level_centred_and_enlarged() -> None:
    photo = np.zeros((300, 400), np.uint8)
    cv2.fillPoly(photo, [ROLLED_QUAD.astype(np.int32)], 255)
    window, _ = level_window(photo, tuple(map(tuple, ROLLED_QUAD)), (512, 384), 230.0)
    assert window.shape == (384, 512)
    (cx, cy), (w, h), angle = cv2.minAreaRect(cv2.findNonZero((window > 127).astype(np.uint8)))
    width, height = max(w, h), min(w, h)
    assert (cx, cy) == pytest.approx((256, 192), abs=2)
    assert width == pytest.approx(230, abs=3)
    assert height == pytest.approx(230 * 44 / 200, abs=3)
    assert min(angle % 90, 90 - angle % 90) < 1


def test_a_find_in_a_level_window_maps_back_onto_the_plate() -> None:
    _, back = level_window(PHOTO, tuple(map(tuple, ROLLED_QUAD)), REFINE_WINDOW,
                           REFINE_PLATE_WIDTH)
    found = moved_detection(as_detection(in_window(ROLLED_QUAD), 0.7), back, 640, 480)
    assert found is not None and found.score == 0.7
    assert np.asarray(found.corners) == pytest.approx(ROLLED_QUAD, abs=0.01)


def test_a_moved_find_whose_centre_falls_outside_the_photo_is_dropped() -> None:
    shift = np.array([[1.0, 0.0, 2000.0], [0.0, 1.0, 0.0]])
    assert moved_detection(as_detection(PLATE_QUAD, 0.9), shift, 640, 480) is None
    assert moved_detection(Detection((0, 0, 10, 10), 0.9), shift, 640, 480) is None
