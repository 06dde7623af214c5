"""Stage 2, rectify: each find cut out of the photo as an upright plate the reader expects.

A find with corners is warped to RECTIFIED_SIZE, with a margin around the corners and
its glyphs' slant undone (``deskew``); a find with a box only is cut by its box. A find
whose corners draw a two-line plate (``shape_lines``) is warped to RECTIFIED_TWO_LINE_SIZE
and, when read as one, handed over with its lines side by side (``plate_lines``).
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from plate_service.recognition.deskew import upright_shear
from plate_service.recognition.geometry import (
    detection_corners,
    has_corners,
    order_corners,
    pad_quad,
    plate_aspect,
    warp_quad,
)
from plate_service.recognition.plate_lines import side_by_side
from plate_service.recognition.types import Detection

# Width/height of the straightened plate handed to the reader: the proportions of a
# one-line Russian plate (520x112 mm), about twice the reader's input each way (the
# reader resizes it, see the OCR card), so the warp keeps the detail a small digit needs.
RECTIFIED_SIZE = (260, 56)
# The same for a two-line plate (190x145 to 290x170 mm): each line then comes out as high
# as a one-line cut, and side by side (320x56) about as long.
RECTIFIED_TWO_LINE_SIZE = (160, 112)
# Corners whose width over height is below this draw a two-line plate. One-line plates are
# 520x112 mm (4.6), two-line ones 1.1-1.7 (1.4 for tractors, 1.7 for square car plates).
# Nine plates in ten are one-line, and one taken for two-line is lost with a card that reads
# none, so the threshold leans their way: a one-line plate must be seen more than 57
# degrees from the side to fall below it (the flattest of the 325 read in the shared
# photos is 3.0), a two-line one more than 47 degrees from above to rise past it.
TWO_LINE_MAX_ASPECT = 2.5
# Margin added around detected corners, as a fraction of the plate height on each side.
# The detector's corners often fall a few pixels inside the plate and would cut into the
# last region digit; the OCR was trained on crops with a little border, so a margin of
# about a tenth of the height keeps every glyph whole without showing it much more than
# the plate. The middle framing, and the one the slant is measured on.
CORNER_PADDING = 0.12
# The median filter of a cut read again cleaned (``cleaned``), in pixels, on a line
# RECTIFIED_SIZE high (56 px). A glyph's strokes there are 4-5 px wide (about 9 mm of a
# 112 mm plate) and outlast it; scratches and specks up to 2 px across, which wear
# draws brighter than dimmed print, are wiped out.
CLEAN_MEDIAN = 5
# An image read whole is first halved (``cv2.pyrDown``) while the half still holds a
# one-line cut's width and a two-line cut's height: the reader takes 128x32 px, and
# area-resizing a photo in one go costs more than reading it (about 8 ms for 1600x1071
# to a one-line and a two-line cut, against 1.5 ms for two halvings), while Gaussian
# halving keeps it as free of aliasing.
WHOLE_MIN_SIZE = (RECTIFIED_SIZE[0], RECTIFIED_TWO_LINE_SIZE[1])


def shape_lines(detection: Detection) -> int:
    """How many lines a find's corners say its plate has (TWO_LINE_MAX_ASPECT); 1 for a
    find with a box only, whose shape says little of the plate's."""
    if has_corners(detection) and plate_aspect(detection_corners(detection)) < TWO_LINE_MAX_ASPECT:
        return 2
    return 1


def whole_shape_lines(image: np.ndarray) -> int:
    """How many lines an image read whole looks to hold, judged as a find's corners are
    (TWO_LINE_MAX_ASPECT): 2 for one narrower than a one-line plate ever is."""
    height, width = image.shape[:2]
    return 2 if width < TWO_LINE_MAX_ASPECT * height else 1


def cut_plate(image: np.ndarray, detection: Detection, padding: float = CORNER_PADDING,
              shear: float = 0.0, lines: int = 1) -> np.ndarray:
    """Cut a detected plate out of the photo, straightened when corners are known, and
    then sheared by ``shear`` (see ``deskew``) in the same warp; a plate of two ``lines``
    is warped to its own proportions and comes out with its lines side by side."""
    if has_corners(detection):
        size = RECTIFIED_SIZE if lines == 1 else RECTIFIED_TWO_LINE_SIZE
        source = pad_quad(order_corners(np.asarray(detection.corners)), padding)
        return side_by_side(warp_quad(image, source, size, shear), lines)
    x1, y1, x2, y2 = detection.box
    return image[max(y1, 0):max(y2, y1 + 1), max(x1, 0):max(x2, x1 + 1)]


def plate_framings(image: np.ndarray, detection: Detection,
                   paddings: Sequence[float], lines: int = 1) -> list[np.ndarray]:
    """The cuts of one find the reader reads: one per margin in ``paddings``, or the
    box alone when the detector gave no corners; a plate of two ``lines`` with its lines
    side by side.

    Each is cut with its glyphs set upright (``deskew``), by the shear measured once, on
    the cut with the middle margin: loose corners of a plate seen from the side or rolled
    leave it italic, and the reader, trained on upright glyphs, reads a leaning 8 as 9.
    """
    if not has_corners(detection):
        return [cut_plate(image, detection)]
    shear = upright_shear(cut_plate(image, detection, lines=lines))
    return [cut_plate(image, detection, padding, shear, lines) for padding in paddings]


def cleaned(cut: np.ndarray) -> np.ndarray:
    """A cut with its thin scratches and specks wiped out (CLEAN_MEDIAN), at the height of
    a rectified line: a cut of another height (a tight crop, a find with a box only) is
    resized to it first, keeping its proportions, so that one kernel fits every cut."""
    height, width = cut.shape[:2]
    line = RECTIFIED_SIZE[1]
    if height != line:
        size = (max(1, round(width * line / height)), line)
        cut = cv2.resize(cut, size, interpolation=cv2.INTER_AREA if height > line
                         else cv2.INTER_LINEAR)
    return cv2.medianBlur(np.ascontiguousarray(cut), CLEAN_MEDIAN)


def shrunk_whole(image: np.ndarray) -> np.ndarray:
    """An image to read whole, halved while its half is at least WHOLE_MIN_SIZE; a
    plate-sized image comes back as it is."""
    min_width, min_height = WHOLE_MIN_SIZE
    while image.shape[1] // 2 >= min_width and image.shape[0] // 2 >= min_height:
        image = cv2.pyrDown(image)
    return image


def whole_two_lines(image: np.ndarray) -> np.ndarray:
    """A whole image read as a two-line plate, as a two-line find is cut: resized to
    RECTIFIED_TWO_LINE_SIZE, then its lines side by side. Resizing first keeps a large
    photo from being copied whole to lay its halves side by side."""
    plate = cv2.resize(image, RECTIFIED_TWO_LINE_SIZE, interpolation=cv2.INTER_AREA)
    return side_by_side(plate, 2)
