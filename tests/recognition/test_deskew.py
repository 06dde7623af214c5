"""Deskew: the shear that sets a cut plate's strokes upright, and cuts made with it."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from plate_service.recognition.deskew import MIN_SHEAR, SHEARS, upright_shear
from plate_service.recognition.geometry import shear_matrix
from plate_service.recognition.rectify import RECTIFIED_SIZE, plate_framings
from plate_service.recognition.types import Detection

STEP = SHEARS[1] - SHEARS[0]


def _strokes(width: int = 260, height: int = 56) -> np.ndarray:
    """A plate-like cut: dark upright strokes of uneven widths and gaps on white."""
    cut = np.full((height, width), 255, np.uint8)
    x = 12
    for stroke, gap in [(5, 9), (4, 14), (6, 8), (4, 11), (5, 17), (4, 9), (6, 12), (5, 10),
                        (4, 13), (5, 9), (4, 12), (6, 8)]:
        cut[8:height - 8, x:x + stroke] = 0
        x += stroke + gap
    return cut


def _sheared(cut: np.ndarray, shear: float) -> np.ndarray:
    height, width = cut.shape[:2]
    return cv2.warpAffine(cut, shear_matrix(shear, height)[:2], (width, height),
                          flags=cv2.INTER_LINEAR, borderValue=255)


def test_upright_strokes_need_no_shear() -> None:
    assert upright_shear(_strokes()) == 0.0


@pytest.mark.parametrize("slant", [-0.4, -0.2, 0.1, 0.3])
def test_the_shear_found_undoes_the_slant(slant: float) -> None:
    italic = _sheared(_strokes(), slant)
    correction = upright_shear(cv2.cvtColor(italic, cv2.COLOR_GRAY2BGR))
    assert correction == pytest.approx(-slant, abs=STEP / 2 + 1e-9)
    assert abs(correction) >= MIN_SHEAR


def test_a_slanted_plate_in_a_photo_is_cut_with_upright_strokes() -> None:
    photo = np.full((300, 500, 3), 128, np.uint8)
    italic = cv2.cvtColor(_sheared(_strokes(), 0.3), cv2.COLOR_GRAY2BGR)
    photo[100:156, 120:380] = italic
    corners = ((120.0, 100.0), (380.0, 100.0), (380.0, 156.0), (120.0, 156.0))
    detection = Detection((120, 100, 380, 156), 0.9, corners)
    for cut in plate_framings(photo, detection, (0.0, 0.1)):
        assert cut.shape[:2] == RECTIFIED_SIZE[::-1]
        gray = cv2.cvtColor(cut, cv2.COLOR_BGR2GRAY)
        middle = gray[16:40]
        # Upright strokes: some columns are dark from the top of this band to its bottom.
        assert (middle.max(axis=0) < 100).sum() >= 10
    assert (cv2.cvtColor(photo[100:156, 120:380], cv2.COLOR_BGR2GRAY)[16:40].max(axis=0)
            < 100).sum() == 0  # before: no column is dark all the way down
