"""The rectify stage: a find cut out of the photo as an upright plate with a margin."""

from __future__ import annotations

import cv2
import numpy as np

from plate_service.recognition.rectify import (
    RECTIFIED_SIZE,
    cleaned,
    cut_plate,
    plate_framings,
)
from plate_service.recognition.types import Detection
from tests.recognition.stand_ins import PLATE_QUAD, rolled

UPRIGHT = (RECTIFIED_SIZE[1], RECTIFIED_SIZE[0], 3)


def test_cut_plate_straightens_a_rolled_plate() -> None:
    plate = np.zeros((44, 200, 3), np.uint8)
    plate[:, :100] = (0, 0, 255)  # left half red
    plate[:, 100:] = (255, 0, 0)  # right half blue
    plate[:8] = (0, 255, 0)  # a green top band
    source = np.array([[0, 0], [200, 0], [200, 44], [0, 44]], np.float32)
    quad = rolled(PLATE_QUAD, 25, (200.0, 150.0))
    photo = cv2.warpPerspective(plate, cv2.getPerspectiveTransform(source, quad), (400, 300))
    shuffled = tuple((float(x), float(y)) for x, y in quad[[2, 0, 3, 1]])
    box = (int(quad[:, 0].min()), int(quad[:, 1].min()),
           int(quad[:, 0].max()), int(quad[:, 1].max()))
    crop = cut_plate(photo, Detection(box, 0.9, shuffled), padding=0.0)
    assert crop.shape == UPRIGHT
    assert crop[35, 60].tolist() == [0, 0, 255]
    assert crop[35, 200].tolist() == [255, 0, 0]
    assert crop[4, 130].tolist() == [0, 255, 0]


def test_cut_plate_straightens_from_corners() -> None:
    image = np.zeros((200, 400, 3), dtype=np.uint8)
    corners = ((50.0, 60.0), (250.0, 70.0), (248.0, 115.0), (52.0, 104.0))
    assert cut_plate(image, Detection((50, 60, 250, 115), 0.9, corners)).shape == UPRIGHT


def test_cut_plate_without_corners_uses_the_box() -> None:
    image = np.zeros((200, 400, 3), dtype=np.uint8)
    assert cut_plate(image, Detection((50, 60, 250, 115), 0.9)).shape == (55, 200, 3)


def test_cut_plate_keeps_a_margin_around_the_corners() -> None:
    image = np.zeros((200, 400, 3), dtype=np.uint8)
    image[60:104, 50:250] = 255  # the plate exactly fills its corners
    corners = ((50.0, 60.0), (250.0, 60.0), (250.0, 104.0), (50.0, 104.0))
    crop = cut_plate(image, Detection((50, 60, 250, 104), 0.9, corners))
    assert crop[28, 130].min() == 255  # the plate's middle
    assert crop[1, 130].max() == 0 and crop[28, 1].max() == 0  # dark margin on each side


def test_a_wider_margin_shows_more_around_the_plate() -> None:
    image = np.zeros((300, 400, 3), dtype=np.uint8)
    image[100:150, 100:300] = 255  # the plate: white; around it: black
    corners = ((100.0, 100.0), (300.0, 100.0), (300.0, 150.0), (100.0, 150.0))
    detection = Detection((100, 100, 300, 150), 0.9, corners)
    tight, wide = (cut_plate(image, detection, padding) for padding in (0.05, 0.25))
    assert tight.mean() > wide.mean()


def test_a_find_is_cut_once_per_margin_or_once_by_its_box() -> None:
    image = np.zeros((300, 400, 3), dtype=np.uint8)
    corners = ((100.0, 100.0), (300.0, 100.0), (300.0, 150.0), (100.0, 150.0))
    cuts = plate_framings(image, Detection((100, 100, 300, 150), 0.9, corners), (0.0, 0.1, 0.2))
    assert [cut.shape for cut in cuts] == [UPRIGHT] * 3
    assert len(plate_framings(image, Detection((100, 100, 300, 150), 0.9), (0.0, 0.1))) == 1


def _scratched_stroke(height: int, width: int) -> np.ndarray:
    """A dark plate with one light stroke as wide as a glyph's (a twelfth of the height)
    and a bright scratch one pixel wide across it."""
    plate = np.full((height, width), 40, np.uint8)
    stroke = max(1, height // 12)
    plate[:, width // 2:width // 2 + stroke] = 200
    plate[height // 3, :] = 255
    return plate


def test_a_clean_cut_keeps_the_print_and_loses_thin_scratches() -> None:
    line, width = RECTIFIED_SIZE[1], RECTIFIED_SIZE[0]
    clean = cleaned(_scratched_stroke(line, width))
    assert clean.shape == (line, width)
    assert (clean[line // 3, :width // 4] == 40).all()  # the scratch is gone
    assert (clean[:, width // 2 + 2] == 200).all()  # the stroke's middle is not


def test_a_cut_of_another_height_is_cleaned_at_a_line_height() -> None:
    # A find with a box only is cut by its box: here twice a line high.
    clean = cleaned(_scratched_stroke(2 * RECTIFIED_SIZE[1], 400))
    assert clean.shape == (RECTIFIED_SIZE[1], 200)
    assert (clean[RECTIFIED_SIZE[1] // 3, :50] == 40).all()
