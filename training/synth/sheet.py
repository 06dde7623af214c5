"""A contact sheet of every plate type the renderer draws, and of the camera conditions,
to look at after changing the renderer or the type table."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from plate_service.recognition.plate_types import PlateType, plate_types
from training.synth.conditions import (
    GREY_BLOOM,
    GREY_CONTRAST,
    NIGHT_GAIN,
    NIGHT_NOISE,
    MIN_JPEG_QUALITY,
    MIN_PLATE_WIDTH,
    infrared_grey,
    jpeg,
    low_light,
    motion_blur,
    shrink_to_width,
    weather,
)
from training.synth.plate_draw import draw_plate, random_plate_text

PX_PER_MM = 0.9  # one scale for every type, so the sheet shows their real proportions
TILE_W, TILE_H, LABEL_H, MARGIN = 500, 230, 22, 10
_ASCII = str.maketrans({"А": "A", "Б": "B"})


def type_label(row: PlateType) -> str:
    """The type's number and API name, in ASCII for the sheet's font."""
    return f"type {row.gost_type.translate(_ASCII)}: {row.name}"


def tile(img: np.ndarray, label: str) -> np.ndarray:
    """``img`` centred on a light tile with ``label`` above it."""
    canvas = np.full((TILE_H, TILE_W, 3), 235, np.uint8)
    if img.ndim == 2:
        img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    h, w = img.shape[:2]
    k = min(1.0, (TILE_W - 2 * MARGIN) / w, (TILE_H - LABEL_H - 2 * MARGIN) / h)
    if k < 1.0:
        img = cv2.resize(img, (max(1, int(w * k)), max(1, int(h * k))),
                         interpolation=cv2.INTER_AREA)
        h, w = img.shape[:2]
    y0 = LABEL_H + (TILE_H - LABEL_H - h) // 2
    x0 = (TILE_W - w) // 2
    canvas[y0:y0 + h, x0:x0 + w] = img
    cv2.putText(canvas, label, (MARGIN, LABEL_H - 6), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (30, 30, 30),
                1, cv2.LINE_AA)
    return canvas


def _conditions(rng: np.random.Generator, plate: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """The same plate under each camera condition at its harshest sheet setting."""
    small = shrink_to_width(plate, MIN_PLATE_WIDTH)
    return [
        ("motion blur 15 px", motion_blur(plate, 15, 10)),
        (f"JPEG quality {MIN_JPEG_QUALITY}", jpeg(plate, MIN_JPEG_QUALITY)),
        (f"night: gain {NIGHT_GAIN:g}, noise {NIGHT_NOISE:g}",
         low_light(plate, rng, NIGHT_GAIN, NIGHT_NOISE)),
        ("infrared-like grey", infrared_grey(plate, GREY_CONTRAST, GREY_BLOOM)),
        (f"{MIN_PLATE_WIDTH} px wide (shown x4)",
         cv2.resize(small, (small.shape[1] * 4, small.shape[0] * 4),
                    interpolation=cv2.INTER_NEAREST)),
    ]


def contact_sheet(seed: int = 0) -> np.ndarray:
    """Every type clean and worn, two tiles a row, then the camera conditions."""
    rng = np.random.default_rng(seed)
    tiles = []
    for row in plate_types():
        text = random_plate_text(rng, row)
        clean = draw_plate(rng, row, text, PX_PER_MM)
        tiles.append(tile(clean, f"{type_label(row)}  {text}"))
        tiles.append(tile(weather(rng, draw_plate(rng, row, text, PX_PER_MM)),
                          f"{type_label(row)}, worn"))
    first = plate_types()[0]
    plate = draw_plate(rng, first, random_plate_text(rng, first), PX_PER_MM)
    tiles += [tile(img, label) for label, img in _conditions(rng, plate)]
    return grid(tiles)


def grid(tiles: list[np.ndarray]) -> np.ndarray:
    """Tiles two a row, the last row filled with a blank tile."""
    if len(tiles) % 2:
        tiles = tiles + [np.full((TILE_H, TILE_W, 3), 235, np.uint8)]
    return np.vstack([np.hstack(tiles[i:i + 2]) for i in range(0, len(tiles), 2)])


def write_sheet(path: Path, seed: int = 0) -> Path:
    """Write the contact sheet as an image file (its folders made as needed)."""
    return write_image(path, contact_sheet(seed))


def write_image(path: Path, image: np.ndarray) -> Path:
    """Write ``image`` to ``path``, its folders made as needed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), image):
        raise OSError(f"cannot write {path}")
    return path
