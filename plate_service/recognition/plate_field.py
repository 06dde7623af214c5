"""The field colours a plate crop can have, judged from its pixels.

Plates of the same text pattern can differ only in colour: a motorcycle's NNNN LL RR
(white) and a police motorcycle's NNNN L RR (blue) differ by one letter, and a reader
unsure of a doubled letter (TT, HH) may pick the blue type's pattern for a white plate.
A crop with no blue in it cannot be a blue plate, so its readings are kept to the other
types. Only that one judgement is made: blue film stays blue under dirt, dusk and
sodium light, while white, yellow and faded black shade into each other; and a grey
crop (the upstream's, an infrared camera's) tells nothing.
"""

from __future__ import annotations

import cv2
import numpy as np

from plate_service.recognition.plate_types import COLOURS, Colour

# A crop is grey (no colour to judge) when its channels differ by less than this on
# average (grey levels): JPEG of a grey image leaves a level or two.
GREY_SPREAD = 6.0
# Blue pixels: OpenCV hue (0-180) within this range, at least this saturated and bright.
BLUE_HUE = (95, 130)
BLUE_MIN_SATURATION = 70
BLUE_MIN_VALUE = 35
# A crop whose centre holds less than this share of blue pixels is no blue plate: the
# field covers most of a plate, so a blue plate's cut is mostly blue even with its ink,
# dirt and a loose margin.
BLUE_MIN_SHARE = 0.25
# The centre judged: the cut less this share of its width and height on each side, where
# a loose cut shows the car round the plate.
MARGIN = 0.1

ANY_FIELD: tuple[Colour, ...] = COLOURS
NOT_BLUE: tuple[Colour, ...] = tuple(c for c in COLOURS if c != "blue")


def possible_fields(crop: np.ndarray) -> tuple[Colour, ...]:
    """The field colours the plate of ``crop`` (uint8 gray or BGR) can have.

    Judged on every other pixel of the centre: a share of pixels needs no more, and the
    crop path reads an upstream crop in well under a millisecond.
    """
    if crop.ndim != 3 or crop.shape[2] < 3:
        return ANY_FIELD
    h, w = crop.shape[:2]
    dy, dx = int(h * MARGIN), int(w * MARGIN)
    centre = np.ascontiguousarray(crop[dy:h - dy or h:2, dx:w - dx or w:2, :3])
    if centre.size == 0:
        return ANY_FIELD
    b, g, r = cv2.split(centre)
    spread = sum(cv2.norm(x, y, cv2.NORM_L1) for x, y in ((b, g), (g, r), (r, b))) / 2 / b.size
    if spread < GREY_SPREAD:
        return ANY_FIELD
    blue = cv2.inRange(cv2.cvtColor(centre, cv2.COLOR_BGR2HSV),
                       (BLUE_HUE[0], BLUE_MIN_SATURATION, BLUE_MIN_VALUE),
                       (BLUE_HUE[1], 255, 255))
    return ANY_FIELD if cv2.countNonZero(blue) >= BLUE_MIN_SHARE * b.size else NOT_BLUE
