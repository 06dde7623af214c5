"""Two-line plates as one-line images: a rectified plate's lines, top first, side by side.

The reader is a one-line model; a two-line plate reaches it with its top line on the left
and its bottom line on the right, so that its CTC output spells the plate in reading
order (``plate_types.json`` lists each two-line type's cells line by line in that order).
Serving (``rectify``) and training both make their two-line inputs here, so the reader
sees at serving exactly what it was trained on.
"""

from __future__ import annotations

import numpy as np

from plate_service.recognition.plate_types import REGION_CELL, PlateType, parse_pattern

# Where each line of a two-line plate lies, as fractions of the rectified plate's height,
# top line first. The table records no line heights; every two-line type's two text
# lines share the plate's height about evenly, and each band reaching the middle keeps a
# glyph whole when the corners are a little off.
LINE_BANDS: dict[int, tuple[tuple[float, float], ...]] = {
    1: ((0.0, 1.0),),
    2: ((0.0, 0.5), (0.5, 1.0)),
}


def split_lines(plate: np.ndarray, lines: int) -> list[np.ndarray]:
    """The bands of a rectified plate (H x W or H x W x C) that hold its lines, top first."""
    if lines not in LINE_BANDS:
        raise ValueError(f"a plate has 1 or 2 lines, not {lines}")
    height = plate.shape[0]
    return [plate[round(top * height):round(bottom * height)]
            for top, bottom in LINE_BANDS[lines]]


def side_by_side(plate: np.ndarray, lines: int) -> np.ndarray:
    """A rectified plate of ``lines`` lines as one line: its lines left to right, top line
    first, each as high as the shortest (the bands may differ by a pixel)."""
    bands = split_lines(plate, lines)
    if len(bands) == 1:
        return plate
    height = min(band.shape[0] for band in bands)
    return np.ascontiguousarray(np.hstack([band[:height] for band in bands]))


def line_texts(row: PlateType, text: str, region_digits: int) -> tuple[str, ...]:
    """A plate's text (reading order) cut into its lines as ``row`` lays them out, top
    first, with ``region_digits`` digits in its region cell."""
    out, start = [], 0
    for line in row.lines:
        length = sum(region_digits if cell == REGION_CELL
                     else sum(slot.length for slot in parse_pattern(cell)) for cell in line)
        out.append(text[start:start + length])
        start += length
    return tuple(out)
