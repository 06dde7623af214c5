"""Stage 1, find: where the plates are in a photo, as detector finds in the photo's pixels.

One detector pass over the whole photo finds its plates, upright or rolled, down to
about 50 px wide (the detector card's figures). A find whose reading is unsure gets a
second look, ``find_again``: a level, enlarged window around it, for tighter corners
(when: ``choose.deserves_second_look``).

The detector learnt few blue police plates, and scores some of those on blue and grey
cars under its threshold. A faint find (``Detection.faint``) is therefore kept where its
cut is mostly blue (``plate_field.mostly_blue``), and it may only be read as a plate of
FAINT_FIELDS (``read``): a blue billboard or a car's panel read as a white plate's text
must not pass for a plate the detector barely saw.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import islice
from typing import Protocol

import numpy as np

from plate_service.recognition.geometry import (
    detection_corners,
    has_corners,
    level_window,
    moved_detection,
)
from plate_service.recognition.plate_field import mostly_blue
from plate_service.recognition.plate_types import Colour
from plate_service.recognition.types import Detection

# The second look's window, (width, height) in pixels, and the plate's width in it: wide
# enough that the detector places the corners tightly, with room around the plate for
# loose first corners, and tall enough for a two-line plate that wide (a motorcycle's,
# 1.31:1, is 176 px tall). The detector's time grows with the window's area, and a
# detector of open input size takes the window as it is (both sides multiples of 32).
REFINE_WINDOW = (384, 256)
REFINE_PLATE_WIDTH = 230.0
# The field colours a faint find's plate may have: the police plates' (see above).
FAINT_FIELDS: tuple[Colour, ...] = ("blue",)
# At most this many faint finds per image, the likeliest first: a police car shows one
# plate, while a dashcam frame gone bluish at dusk or in snow holds many faint blue finds,
# each read at least once (``read.read_finds``).
FAINT_MAX_FINDS = 2


class PlateDetectorLike(Protocol):
    """What the find stage needs from the plate detector."""

    def detect(self, image: np.ndarray, faint: bool = False) -> list[Detection]: ...


class PlateFinder:
    """Finds plates with an injected detector; stateless, so safe across threads."""

    def __init__(self, detector: PlateDetectorLike) -> None:
        self._detector = detector

    def find(self, image: np.ndarray) -> list[Detection]:
        """The plates the detector finds in the whole photo, best first: its sure finds,
        and its faint ones on a mostly blue cut."""
        return self._detect(image)

    def find_again(self, image: np.ndarray, detection: Detection) -> Detection | None:
        """The second look: the plate found again in a level window (REFINE_WINDOW) where
        it is REFINE_PLATE_WIDTH pixels wide, in the photo's pixels, with the first find's
        score; None when the detector finds nothing at the window's centre.

        The detector places the corners of a small or rolled plate loosely in the whole
        photo (it learnt real plates' corners from axis-aligned boxes); level and
        enlarged, the same plate gets tight corners.
        """
        window, back = level_window(image, detection_corners(detection), REFINE_WINDOW,
                                    REFINE_PLATE_WIDTH)
        centre = np.array(REFINE_WINDOW, dtype=np.float64) / 2
        near = [d for d in self._detect(window)
                if has_corners(d)
                and d.box[0] <= centre[0] <= d.box[2] and d.box[1] <= centre[1] <= d.box[3]]
        if not near:
            return None
        height, width = image.shape[:2]
        found = moved_detection(max(near, key=lambda d: d.score), back, width, height)
        return None if found is None else replace(found, score=detection.score,
                                                  faint=detection.faint)

    def _detect(self, image: np.ndarray) -> list[Detection]:
        """The detector's finds, best first; of its faint ones, the first FAINT_MAX_FINDS
        whose box cut is mostly blue."""
        finds = self._detector.detect(image, faint=True)
        blue = (d for d in finds if d.faint and mostly_blue(_box_cut(image, d)))
        return [d for d in finds if not d.faint] + list(islice(blue, FAINT_MAX_FINDS))


def _box_cut(image: np.ndarray, detection: Detection) -> np.ndarray:
    """The photo's pixels in the find's box (a view, no copy)."""
    x1, y1, x2, y2 = detection.box
    return image[max(0, y1):y2, max(0, x1):x2]
