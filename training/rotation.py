"""Turning a whole photo about a point, as a rolled camera sees it; shared by training and eval."""

from __future__ import annotations

import cv2
import numpy as np


def rotate_photo(image: np.ndarray, centre: tuple[float, float], degrees: float
                 ) -> tuple[np.ndarray, np.ndarray]:
    """The photo turned ``degrees`` counter-clockwise about ``centre`` on the same canvas,
    borders reflected (no flat corners that would give the angle away); also the 2x3
    matrix that maps its pixels' coordinates (see ``turn_points``)."""
    matrix = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), float(degrees), 1.0)
    height, width = image.shape[:2]
    turned = cv2.warpAffine(image, matrix, (width, height), flags=cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_REFLECT_101)
    return turned, matrix


def turn_points(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """(N, 2) points mapped by a 2x3 affine ``matrix``; order kept, so a TL, TR, BR, BL quad
    stays the plate's own TL, TR, BR, BL after the turn."""
    points = np.asarray(points, dtype=np.float32).reshape(-1, 2)
    return (points @ matrix[:, :2].T + matrix[:, 2]).astype(np.float32)


def box_corners(x1: float, y1: float, x2: float, y2: float) -> np.ndarray:
    """An axis-aligned box as a TL, TR, BR, BL quad."""
    return np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2]], dtype=np.float32)
