"""Drawing: outlines land on the plates, labels stay legible, crops get a grown canvas."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np

from plate_service.annotate import (
    INVALID_COLOUR,
    MIN_TEXT_PX,
    VALID_COLOUR,
    annotate,
    encode_jpeg,
    label_text,
)
from plate_service.recognition.geometry import box_corners
from plate_service.recognition.types import Box, ImageRecognition, PlateFormat, PlateResult
from tests.fakes import reading

BLACK = (0, 0, 0)


def _scene(width: int, height: int, *plates: PlateResult) -> ImageRecognition:
    return ImageRecognition(width=width, height=height, plates=plates, mode="scene")


def _plate(box: Box, corners: tuple[tuple[float, float], ...] | None = None,
           valid: bool = True) -> PlateResult:
    return PlateResult(reading("C181MB190", 0.97, valid=valid), box, 0.9, "scene",
                       corners or box_corners(box), 0.97)


def _is(image: np.ndarray, x: int, y: int, colour: tuple[int, int, int]) -> bool:
    return bool(np.abs(image[y, x].astype(int) - colour).max() <= 40)


def _rows_with(image: np.ndarray, colour: tuple[int, int, int]) -> np.ndarray:
    close = np.abs(image.astype(int) - np.array(colour)).max(axis=2) <= 10
    return np.flatnonzero(close.any(axis=1))


def test_a_box_is_outlined_where_the_plate_is() -> None:
    image = np.zeros((300, 400, 3), np.uint8)
    drawn = annotate(image, _scene(400, 300, _plate((100, 150, 200, 180))))
    assert drawn.shape == image.shape  # room above the plate: the canvas keeps its size
    for x, y in ((150, 150), (150, 179), (100, 165), (199, 165)):  # the four edges
        assert _is(drawn, x, y, VALID_COLOUR), (x, y)
    assert _is(drawn, 150, 165, BLACK)  # the plate itself is not painted over
    assert _is(drawn, 350, 280, BLACK) and _is(drawn, 20, 20, BLACK)
    label_rows = _rows_with(drawn[:, :, :], VALID_COLOUR)
    assert label_rows.min() < 150 - MIN_TEXT_PX  # the reading sits above the plate
    assert image.max() == 0  # the input is left as it was


def test_detected_corners_are_drawn_as_a_polygon_not_as_the_box() -> None:
    image = np.zeros((300, 400, 3), np.uint8)
    corners = ((100.0, 120.0), (220.0, 100.0), (225.0, 140.0), (105.0, 160.0))
    drawn = annotate(image, _scene(400, 300, _plate((100, 100, 226, 161), corners)))
    for (x1, y1), (x2, y2) in zip(corners, corners[1:] + corners[:1]):
        assert _is(drawn, round((x1 + x2) / 2), round((y1 + y2) / 2), VALID_COLOUR)
    # Box corners away from the tilted plate stay untouched.
    assert _is(drawn, 225, 160, BLACK) and _is(drawn, 100, 100, BLACK)


def test_a_reading_that_fits_no_format_is_drawn_in_another_colour() -> None:
    image = np.zeros((300, 400, 3), np.uint8)
    drawn = annotate(image, _scene(400, 300, _plate((100, 150, 200, 180), valid=False)))
    assert _is(drawn, 150, 150, INVALID_COLOUR)
    assert not _rows_with(drawn, VALID_COLOUR).size


def test_a_plate_at_the_top_edge_gets_its_label_below() -> None:
    image = np.zeros((300, 400, 3), np.uint8)
    drawn = annotate(image, _scene(400, 300, _plate((100, 0, 200, 30))))
    assert drawn.shape[0] < 300 + MIN_TEXT_PX  # only the outline's edge may spill over
    label_rows = _rows_with(drawn[:, 100:], VALID_COLOUR)
    assert label_rows.max() > 30 + MIN_TEXT_PX


def _find(inner: np.ndarray, drawn: np.ndarray) -> tuple[int, int]:
    """Where ``inner`` sits in ``drawn``, pixel for pixel (x, y)."""
    scores = cv2.matchTemplate(drawn, inner, cv2.TM_SQDIFF)
    _, _, (x, y), _ = cv2.minMaxLoc(scores)
    height, width = inner.shape[:2]
    assert np.array_equal(drawn[y:y + height, x:x + width], inner), "the image was changed"
    return x, y


def test_a_crop_gets_its_reading_on_a_band_the_canvas_grows() -> None:
    crop = np.random.default_rng(0).integers(100, 220, (56, 260, 3), dtype=np.uint8)
    plate = PlateResult(reading("C181MB190", 0.99), (0, 0, 260, 56), None, "crop",
                        box_corners((0, 0, 260, 56)), 0.99)
    drawn = annotate(crop, ImageRecognition(260, 56, (plate,), "crop"))
    assert drawn.shape[0] > 56 + MIN_TEXT_PX and drawn.shape[1] >= 260
    # The crop's characters are untouched (only its outermost pixels carry the outline)
    # and the reading sits above it, on the grown band.
    x, y = _find(crop[4:-4, 4:-4], drawn)
    top = y - 4
    assert top > MIN_TEXT_PX
    assert len(_rows_with(drawn[:top - 3], VALID_COLOUR)) >= MIN_TEXT_PX  # the label
    ink_rows = _rows_with(drawn, BLACK)  # the text on it
    assert ink_rows.size and ink_rows.max() < top


def test_the_label_stays_legible_on_a_tiny_crop_and_scales_with_a_large_photo() -> None:
    tiny = np.full((13, 60, 3), 128, np.uint8)
    plate = PlateResult(reading(), (0, 0, 60, 13), None, "crop", box_corners((0, 0, 60, 13)),
                        0.9)
    drawn = annotate(tiny, ImageRecognition(60, 13, (plate,), "crop"))
    assert drawn.shape[1] > 60  # the label is wider than the crop: the canvas widens too
    assert len(_rows_with(drawn, VALID_COLOUR)) >= MIN_TEXT_PX

    big = np.zeros((3000, 4000, 3), np.uint8)
    drawn = annotate(big, _scene(4000, 3000, _plate((1000, 1500, 1600, 1630))))
    label_rows = _rows_with(drawn[:1500], VALID_COLOUR)
    assert len(label_rows) > 0.02 * 4000


def test_grey_input_comes_back_as_colour_and_no_plates_leave_it_unchanged() -> None:
    grey = np.full((56, 260), 90, np.uint8)
    drawn = annotate(grey, ImageRecognition(260, 56, (), "crop"))
    assert drawn.shape == (56, 260, 3) and (drawn == 90).all()


def test_jpeg_round_trip() -> None:
    image = np.zeros((300, 400, 3), np.uint8)
    data = encode_jpeg(annotate(image, _scene(400, 300, _plate((100, 150, 200, 180)))))
    assert data.startswith(b"\xff\xd8")
    decoded = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert decoded.shape == (300, 400, 3)


def test_a_two_line_plate_is_labelled_in_its_two_lines() -> None:
    tractor = replace(reading("1234AB77", 0.97), plate_format=PlateFormat.TRACTOR, region="77",
                      lines=2)
    plate = PlateResult(tractor, (300, 200, 400, 272), 0.9, "scene",
                        box_corners((300, 200, 400, 272)), 0.97)
    assert label_text(plate) == ("1234", "AB77  0.97")
    one_line = _plate((300, 200, 400, 222))
    assert label_text(one_line) == ("C181MB190  0.97",)
    photo = np.zeros((480, 640, 3), np.uint8)
    two_rows = _rows_with(annotate(photo, _scene(640, 480, plate))[:200], VALID_COLOUR)
    one_row = _rows_with(annotate(photo, _scene(640, 480, one_line))[:200], VALID_COLOUR)
    assert len(two_rows) > 1.8 * len(one_row)
