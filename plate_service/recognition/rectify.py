"""Stage 2, rectify: each find cut out of the photo as an upright plate the reader expects.

A find with corners is warped to RECTIFIED_SIZE, with a margin around the corners and
its glyphs' slant undone (``deskew``); a find with a box only is cut by its box.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from plate_service.recognition.deskew import upright_shear
from plate_service.recognition.geometry import has_corners, order_corners, pad_quad, warp_quad
from plate_service.recognition.types import Detection

# Width/height of the straightened plate handed to the reader: the proportions of a
# one-line Russian plate (520x112 mm), about twice the reader's input each way (the
# reader resizes it, see the OCR card), so the warp keeps the detail a small digit needs.
RECTIFIED_SIZE = (260, 56)
# Margin added around detected corners, as a fraction of the plate height on each side.
# The detector's corners often fall a few pixels inside the plate and would cut into the
# last region digit; the OCR was trained on crops with a little border, so a margin of
# about a tenth of the height keeps every glyph whole without showing it much more than
# the plate. The middle framing, and the one the slant is measured on.
CORNER_PADDING = 0.12


def cut_plate(image: np.ndarray, detection: Detection, padding: float = CORNER_PADDING,
              shear: float = 0.0) -> np.ndarray:
    """Cut a detected plate out of the photo, straightened when corners are known, and
    then sheared by ``shear`` (see ``deskew``) in the same warp."""
    if has_corners(detection):
        source = pad_quad(order_corners(np.asarray(detection.corners)), padding)
        return warp_quad(image, source, RECTIFIED_SIZE, shear)
    x1, y1, x2, y2 = detection.box
    return image[max(y1, 0):max(y2, y1 + 1), max(x1, 0):max(x2, x1 + 1)]


def plate_framings(image: np.ndarray, detection: Detection,
                   paddings: Sequence[float]) -> list[np.ndarray]:
    """The cuts of one find the reader reads: one per margin in ``paddings``, or the
    box alone when the detector gave no corners.

    Each is cut with its glyphs set upright (``deskew``), by the shear measured once, on
    the cut with the middle margin: loose corners of a plate seen from the side or rolled
    leave it italic, and the reader, trained on upright glyphs, reads a leaning 8 as 9.
    """
    if not has_corners(detection):
        return [cut_plate(image, detection)]
    shear = upright_shear(cut_plate(image, detection))
    return [cut_plate(image, detection, padding, shear) for padding in paddings]
