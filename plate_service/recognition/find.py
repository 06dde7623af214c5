"""Stage 1, find: where the plates are in a photo, as detector finds in the photo's pixels.

One detector pass over the whole photo finds most plates. Three more searches make up
for what this detector misses; each is a separate method, run only when the pipeline
asks:

- ``find_turned``: the photo turned both ways, for plates rolled past what it finds
  (when: ``choose.may_miss_plates``);
- ``find_in_tiles``: a large photo in overlapping tiles, for plates too small in the
  whole (when: no plate was read otherwise);
- ``find_again``: a level, enlarged window around one find, for tighter corners (the
  second look; when: ``choose.deserves_second_look``).

A detector trained on rolled and small plates would make the first two unnecessary.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol

import numpy as np

from plate_service.recognition.geometry import (
    detection_corners,
    has_corners,
    holds_centre,
    level_window,
    moved_detection,
    tile_origins,
    turned_photo,
)
from plate_service.recognition.types import Detection

# The turned search turns the photo by each of these angles (degrees, counter-clockwise):
# the detector finds plates rolled by up to about 15 degrees best, so turning by 20 one
# way or the other brings a plate rolled by 20-35 degrees into the range it finds.
RESCAN_ANGLES = (20.0, -20.0)
# The tiled search looks at photos this many pixels or more on their longer side, in
# TILE_GRID x TILE_GRID tiles that overlap by TILE_OVERLAP of their size: the detector
# sees the whole photo shrunk to 512 px wide, where a plate 80 px wide in a 1600 px
# dashcam frame is 26 px and often missed; in a tile it is twice that. The overlap keeps
# a plate on a tile border whole in one tile.
TILE_MIN_SIDE = 768
TILE_GRID = 2
TILE_OVERLAP = 0.15
# The second look's window, in pixels (the detector's own input size, so it is not
# rescaled), and the plate's width in it: wide enough that the detector places the
# corners tightly, with room around the plate for loose first corners.
REFINE_WINDOW = (512, 384)
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

    def find_turned(self, image: np.ndarray) -> list[Detection]:
        """Plates the detector finds on the photo turned by each of RESCAN_ANGLES, with
        their corners mapped back to the photo; one find per plate."""
        height, width = image.shape[:2]
        finds: list[Detection] = []
        for angle in RESCAN_ANGLES:
            turned, back = turned_photo(image, angle)
            _add_finds(finds, self._detector.detect(turned), back, width, height)
        return finds

    def find_in_tiles(self, image: np.ndarray) -> list[Detection]:
        """Plates the detector finds in TILE_GRID x TILE_GRID overlapping tiles of the
        photo, in the photo's pixels; one find per plate. None on a photo under
        TILE_MIN_SIDE, which the detector already sees at about its own size."""
        height, width = image.shape[:2]
        if max(height, width) < TILE_MIN_SIDE:
            return []
        tile_w, tile_h, origins = tile_origins(width, height, TILE_GRID, TILE_OVERLAP)
        finds: list[Detection] = []
        for x0, y0 in origins:
            back = np.array([[1.0, 0.0, x0], [0.0, 1.0, y0]])
            tile = image[y0:y0 + tile_h, x0:x0 + tile_w]
            _add_finds(finds, self._detector.detect(tile), back, width, height)
        return finds

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


def _add_finds(finds: list[Detection], detections: list[Detection], matrix: np.ndarray,
               width: int, height: int) -> None:
    """Add ``detections``, moved into the photo by ``matrix`` (see ``moved_detection``),
    to ``finds``, but none whose centre lies in a find already there."""
    for detection in detections:
        found = moved_detection(detection, matrix, width, height)
        if found is not None and not any(holds_centre(kept.box, found) for kept in finds):
            finds.append(found)
