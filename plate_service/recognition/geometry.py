"""Plate geometry: corner order, quads, boxes, rolls and the warps between photo and plate.

Pure numpy and OpenCV on points and pixels; no model, no reading. The detector orders its
corners here, and every stage that moves a find between a photo and a view of it (a cut
plate, a level window) maps it with these functions.
"""

from __future__ import annotations

import cv2
import numpy as np

from plate_service.recognition.types import Box, Corners, Detection


def order_corners(points: np.ndarray) -> np.ndarray:
    """Four plate corners as TL, TR, BR, BL of the plate itself, whatever their order.

    The corners are sorted clockwise on screen about their centre, which makes the quad
    convex; the first is the one whose edge to the next runs furthest rightwards, the top
    edge of a plate wider than tall rolled by up to about 75 degrees either way (a plate's
    bottom edge runs leftwards in that order, its short sides mostly up or down).
    """
    quad = np.asarray(points, dtype=np.float32).reshape(4, 2)
    centre = quad.mean(axis=0)
    clockwise = quad[np.argsort(np.arctan2(quad[:, 1] - centre[1], quad[:, 0] - centre[0]))]
    rightwards = np.roll(clockwise[:, 0], -1) - clockwise[:, 0]
    return np.roll(clockwise, -int(np.argmax(rightwards)), axis=0)


def pad_quad(quad: np.ndarray, padding: float) -> np.ndarray:
    """Grow a TL, TR, BR, BL quad by ``padding`` x its height on every side, along its axes."""
    across = ((quad[1] - quad[0]) + (quad[2] - quad[3])) / 2
    down = ((quad[3] - quad[0]) + (quad[2] - quad[1])) / 2
    margin = padding * float(np.linalg.norm(down))
    a = across * (margin / max(float(np.linalg.norm(across)), 1e-3))
    b = down * padding
    return np.array([quad[0] - a - b, quad[1] + a - b, quad[2] + a + b, quad[3] - a + b],
                    dtype=np.float32)


def box_corners(box: Box) -> Corners:
    """The corners of an axis-aligned box, TL, TR, BR, BL."""
    x1, y1, x2, y2 = (float(v) for v in box)
    return ((x1, y1), (x2, y1), (x2, y2), (x1, y2))


def has_corners(detection: Detection) -> bool:
    """Whether the detector gave the find's four corners, not only its box."""
    return detection.corners is not None and len(detection.corners) == 4


def detection_corners(detection: Detection) -> Corners:
    """The detector's corners of a plate, or its box's when it gave none."""
    if detection.corners is not None and len(detection.corners) == 4:
        tl, tr, br, bl = detection.corners
        return (tl, tr, br, bl)
    return box_corners(detection.box)


def plate_roll(corners: Corners) -> float:
    """The plate's roll in degrees (counter-clockwise positive), from its top and bottom
    edges."""
    (tl, tr, br, bl) = (np.asarray(c, dtype=np.float64) for c in corners)
    along = (tr - tl) + (br - bl)
    return float(np.degrees(np.arctan2(-along[1], along[0])))


def plate_aspect(corners: Corners) -> float:
    """Width over height of the quad the corners draw: the mean of its top and bottom
    edges over the mean of its sides (0 for a degenerate quad)."""
    (tl, tr, br, bl) = (np.asarray(c, dtype=np.float64) for c in corners)
    width = (np.linalg.norm(tr - tl) + np.linalg.norm(br - bl)) / 2
    height = (np.linalg.norm(bl - tl) + np.linalg.norm(br - tr)) / 2
    return float(width / height) if height > 0 else 0.0


def shear_matrix(shear: float, height: float) -> np.ndarray:
    """The 3x3 shear that moves each row by ``shear`` x its distance below the middle."""
    return np.array([[1.0, shear, -shear * height / 2], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])


def warp_quad(image: np.ndarray, quad: np.ndarray, size: tuple[int, int],
              shear: float = 0.0) -> np.ndarray:
    """The TL, TR, BR, BL ``quad`` of the photo warped onto an upright ``size`` (width,
    height) rectangle, then sheared by ``shear`` (``shear_matrix``) in the same warp."""
    width, height = size
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    matrix = shear_matrix(shear, height) @ cv2.getPerspectiveTransform(quad, target)
    return cv2.warpPerspective(image, matrix, size, flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REPLICATE)


def level_window(image: np.ndarray, corners: Corners, size: tuple[int, int],
                 plate_width: float) -> tuple[np.ndarray, np.ndarray]:
    """A ``size`` (width, height) view of the photo around a plate, turned so the plate
    is level and scaled so it is ``plate_width`` pixels wide; also the 2x3 matrix from
    the window's pixels back to the photo's."""
    quad = np.asarray(corners, dtype=np.float64)
    centre = quad.mean(axis=0)
    width = (np.linalg.norm(quad[1] - quad[0]) + np.linalg.norm(quad[2] - quad[3])) / 2
    scale = plate_width / max(float(width), 1.0)
    window_w, window_h = size
    to_window = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])),
                                        -plate_roll(corners), scale)
    to_window[:, 2] += (window_w / 2 - centre[0], window_h / 2 - centre[1])
    window = cv2.warpAffine(image, to_window, size, flags=cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_REPLICATE)
    return window, cv2.invertAffineTransform(to_window)


def moved_detection(detection: Detection, matrix: np.ndarray, width: int, height: int
                    ) -> Detection | None:
    """A detection with corners, moved by a 2x3 affine ``matrix`` into a width x height
    photo; None without corners or when its centre falls outside the photo."""
    if not has_corners(detection):
        return None
    assert detection.corners is not None
    points = np.asarray(detection.corners, dtype=np.float64) @ matrix[:, :2].T + matrix[:, 2]
    cx, cy = points.mean(axis=0)
    if not (0 <= cx < width and 0 <= cy < height):
        return None
    points[:, 0] = np.clip(points[:, 0], 0, width - 1)
    points[:, 1] = np.clip(points[:, 1], 0, height - 1)
    box = (int(np.floor(points[:, 0].min())), int(np.floor(points[:, 1].min())),
           int(np.ceil(points[:, 0].max())) + 1, int(np.ceil(points[:, 1].max())) + 1)
    return Detection(box=box, score=detection.score,
                     corners=tuple((float(x), float(y)) for x, y in points))
