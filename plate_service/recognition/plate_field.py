"""The field colours a plate crop can have, likeliest first, judged from its pixels.

Plates of the same text pattern can differ only in colour. A motorcycle's NNNN LL RR
(white) and a police motorcycle's NNNN L RR (blue) differ by one letter, and a reader
unsure of a doubled letter (TT, HH) may pick the blue type's pattern for a white plate:
a crop with no blue in it cannot be a blue plate, so its readings are kept to the other
types. A tractor's plate and a military tractor's (white and black) print the very same
text: which of them a reading names follows the crop's field, light or dark (grey crops
too), and a text that only a row of the other kind prints is still read as that row.
The colour itself is judged for blue alone: blue film stays blue under dirt, dusk and
sodium light, while white, yellow and faded black shade into each other; a grey crop
(the upstream's, an infrared camera's) may be blue. A cut mostly blue (``mostly_blue``)
may be a police plate where the detector is unsure of one (``find``).
"""

from __future__ import annotations

import cv2
import numpy as np

from plate_service.recognition.plate_types import COLOURS, Colour, light_fields

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
# A cut is mostly blue from this share on: a police plate's field fills its centre, less
# the white print and a loose margin (the faint finds on police plates in the rendered
# held-out photos measure 0.57 and up), while a dashcam frame's bluish tint or a blue
# car's panel behind a light seldom fills half of a plate-shaped cut.
MOSTLY_BLUE_SHARE = 0.5
# The centre judged: the cut less this share of its width and height on each side, where
# a loose cut shows the car round the plate.
MARGIN = 0.1

ANY_FIELD: tuple[Colour, ...] = COLOURS
NOT_BLUE: tuple[Colour, ...] = tuple(c for c in COLOURS if c != "blue")
LIGHT_FIELDS = light_fields()
# The brightness percentiles that stand for the darkest print or field, the middle and
# the brightest: past the few pixels that noise, glare and mud make extreme.
EXTREMES = (5, 50, 95)
_EXTREME_SHARES = np.array(EXTREMES) / 100
# A field is judged dark only when the median lies this many times nearer the dark end:
# a white plate named as a military one is as wrong as the reverse, and the table's
# order names the commoner light rows.
POLARITY_MARGIN = 3.0


def possible_fields(crop: np.ndarray) -> tuple[Colour, ...]:
    """The field colours the plate of ``crop`` (uint8 gray or BGR) can have, likeliest
    first.

    Judged on every other pixel of the centre: a share of pixels needs no more, and the
    crop path reads an upstream crop in well under a millisecond.
    """
    centre = _centre(crop)
    if centre is None:
        return ANY_FIELD
    coloured = centre.ndim == 3 and centre.shape[2] >= 3
    fields = _blue_or_not(centre[..., :3]) if coloured else ANY_FIELD
    light = _light_field(cv2.cvtColor(centre[..., :3], cv2.COLOR_BGR2GRAY) if coloured
                         else centre.reshape(centre.shape[:2]))
    # Light fields first on a light plate, dark ones first on a dark plate; stable.
    return tuple(sorted(fields, key=lambda colour: (colour in LIGHT_FIELDS) != light))


def mostly_blue(crop: np.ndarray) -> bool:
    """Whether MOSTLY_BLUE_SHARE of the centre of ``crop`` (uint8 BGR; a grey crop never
    is) is blue, judged as ``possible_fields`` judges it."""
    centre = _centre(crop)
    if centre is None or centre.ndim != 3 or centre.shape[2] < 3:
        return False
    return _blue_share(centre[..., :3]) >= MOSTLY_BLUE_SHARE


def _centre(crop: np.ndarray) -> np.ndarray | None:
    """Every other pixel of the crop less MARGIN on each side; None when too small."""
    h, w = crop.shape[:2]
    dy, dx = int(h * MARGIN), int(w * MARGIN)
    view = crop[dy:h - dy or h, dx:w - dx or w]
    if view.shape[0] < 2 or view.shape[1] < 2:
        return None
    # Nearest-neighbour halving: a copy of a strided view costs more.
    return cv2.resize(view, (view.shape[1] // 2, view.shape[0] // 2),
                      interpolation=cv2.INTER_NEAREST)


def _blue_share(centre: np.ndarray) -> float:
    """The share of the BGR ``centre``'s pixels that are blue (BLUE_HUE, saturated and
    bright enough)."""
    blue = cv2.inRange(cv2.cvtColor(centre, cv2.COLOR_BGR2HSV),
                       (BLUE_HUE[0], BLUE_MIN_SATURATION, BLUE_MIN_VALUE),
                       (BLUE_HUE[1], 255, 255))
    return cv2.countNonZero(blue) / (centre.shape[0] * centre.shape[1])


def _blue_or_not(centre: np.ndarray) -> tuple[Colour, ...]:
    """Every colour, or every colour but blue for a colour centre with little blue."""
    b, g, r = cv2.split(centre)
    spread = sum(cv2.norm(x, y, cv2.NORM_L1) for x, y in ((b, g), (g, r), (r, b))) / 2 / b.size
    if spread < GREY_SPREAD:
        return ANY_FIELD
    return ANY_FIELD if _blue_share(centre) >= BLUE_MIN_SHARE else NOT_BLUE


def _light_field(gray: np.ndarray) -> bool:
    """Whether the plate's field is lighter than its print, as far as can be told. The
    field covers most of a plate and the print a smaller share at one extreme of the
    brightness, so the median pixel lies nearer the field's end (dirt and shade spread
    the field, not the print). Dark only when it lies POLARITY_MARGIN times nearer the
    dark end; an unsure judgement keeps the table's order, light fields first."""
    # Percentiles from the 256-level histogram: a fraction of np.percentile's time.
    cumulative = np.cumsum(np.bincount(gray.ravel(), minlength=256))
    dark, middle, bright = np.searchsorted(cumulative, _EXTREME_SHARES * gray.size)
    return bool(bright - middle < POLARITY_MARGIN * (middle - dark))
