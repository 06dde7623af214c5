"""Stage 1, find: where the plates are in a photo, as detector finds in the photo's pixels.

One detector pass over the whole photo finds its plates, upright or rolled, down to
about 50 px wide (the detector card's figures). A find whose reading is unsure gets a
second look, ``find_again``: a level, enlarged window around it, for tighter corners
(when: ``choose.deserves_second_look``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol

import numpy as np

from plate_service.recognition.geometry import (
    detection_corners,
    has_corners,
    level_window,
    moved_detection,
)
from plate_service.recognition.types import Detection

# The second look's window, (width, height) in pixels, and the plate's width in it: wide
# enough that the detector places the corners tightly, with room around the plate for
# loose first corners, and tall enough for a two-line plate that wide (a motorcycle's,
# 1.31:1, is 176 px tall). The detector's time grows with the window's area, and a
# detector of open input size takes the window as it is (both sides multiples of 32).
REFINE_WINDOW = (384, 256)
REFINE_PLATE_WIDTH = 230.0


class PlateDetectorLike(Protocol):
    """What the find stage needs from the plate detector."""

    def detect(self, image: np.ndarray) -> list[Detection]: ...


class PlateFinder:
    """Finds plates with an injected detector; stateless, so safe across threads."""

    def __init__(self, detector: PlateDetectorLike) -> None:
        self._detector = detector

    def find(self, image: np.ndarray) -> list[Detection]:
        """The plates the detector finds in the whole photo, best first."""
        return self._detector.detect(image)

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
        near = [d for d in self._detector.detect(window)
                if has_corners(d)
                and d.box[0] <= centre[0] <= d.box[2] and d.box[1] <= centre[1] <= d.box[3]]
        if not near:
            return None
        height, width = image.shape[:2]
        found = moved_detection(max(near, key=lambda d: d.score), back, width, height)
        return None if found is None else replace(found, score=detection.score)
