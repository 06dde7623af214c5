"""Stage 3, read: the injected reader reads the photo whole and each find in its framings.

Everything one image needs read at a time goes to the reader in one batched call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from plate_service.recognition.rectify import CORNER_PADDING, plate_framings
from plate_service.recognition.types import Detection, OcrReading

# A find with corners is read three times, cut with each of these margins (fractions of
# the plate height, see ``rectify.CORNER_PADDING``), and the framings vote
# (``choose.best_reading``). Corners a few pixels off clip the small region digits in one
# framing and not in another, and a clipped digit is often read with confidence: the
# readings of two framings that agree outweigh it. Three margins, tight to wide, cover
# corners that fall inside the plate as well as outside; a tight crop is read once.
CORNER_PADDINGS = (0.05, CORNER_PADDING, 0.25)


class PlateReaderLike(Protocol):
    """What the read stage needs from the OCR model."""

    def read(self, crops: Sequence[np.ndarray]) -> list[OcrReading]: ...


@dataclass(frozen=True)
class FindReadings:
    """A find and what each of its framings read, in the order they were read."""

    find: Detection
    readings: tuple[OcrReading, ...]


def read_scene(reader: PlateReaderLike, image: np.ndarray, finds: Sequence[Detection],
               paddings: Sequence[float]) -> tuple[OcrReading, list[FindReadings]]:
    """The photo read whole (a crop's reading, or a scene's fallback) and each find read
    in its framings (one per margin in ``paddings``), in one batched call."""
    cuts = [plate_framings(image, find, paddings) for find in finds]
    (whole,), *framings = _read_grouped(reader, [[image], *cuts])
    return whole, [FindReadings(find, readings) for find, readings in zip(finds, framings)]


def read_finds(reader: PlateReaderLike, image: np.ndarray, finds: Sequence[Detection],
               paddings: Sequence[float]) -> list[tuple[OcrReading, ...]]:
    """Each find read in its framings, in one batched call; no call without finds."""
    cuts = [plate_framings(image, find, paddings) for find in finds]
    return _read_grouped(reader, cuts) if cuts else []


def _read_grouped(reader: PlateReaderLike, groups: Sequence[Sequence[np.ndarray]]
                  ) -> list[tuple[OcrReading, ...]]:
    """Every crop of every group read in one call; the readings grouped alike."""
    readings = iter(reader.read([crop for group in groups for crop in group]))
    return [tuple(next(readings) for _ in group) for group in groups]
