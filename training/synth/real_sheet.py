"""A contact sheet of plates made from real print, to look at after changing how they are made.

Every type composed from real glyphs (clean and worn), then real photos before and after
a plate of each type is pasted in, its corners drawn.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from plate_service.recognition.plate_types import plate_types
from training.synth.conditions import weather
from training.synth.glyph_bank import build_glyph_bank
from training.synth.plate_draw import random_plate_text
from training.synth.real_plate import RealGlyphPainter, compose_plate
from training.synth.scene_paste import paste_scene, scene_plates
from training.synth.sheet import PX_PER_MM, grid, tile, type_label, write_image

CORNER_COLOUR = (0, 220, 0)
SCENE_CONTEXT = 1.5  # photo shown around a pasted plate, in plate heights


def _scene_pair(photo: np.ndarray, pasted: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """The photo around the plate before and after the paste, the new corners drawn."""
    height = float(np.ptp(corners[:, 1]))
    pad = SCENE_CONTEXT * max(height, 10.0)
    x0, y0 = (int(max(0, v - pad)) for v in corners.min(axis=0))
    x1 = int(min(photo.shape[1], corners[:, 0].max() + pad))
    y1 = int(min(photo.shape[0], corners[:, 1].max() + pad))
    after = pasted[y0:y1, x0:x1].copy()
    cv2.polylines(after, [(corners - [x0, y0]).astype(np.int32)], True, CORNER_COLOUR, 1,
                  cv2.LINE_AA)
    gap = np.full((y1 - y0, 4, 3), 235, np.uint8)
    return np.hstack([photo[y0:y1, x0:x1], gap, after])


def real_contact_sheet(data_dir: Path, seed: int = 0) -> np.ndarray:
    """Every type in real glyphs, clean and worn, then one pasted photo per type."""
    bank = build_glyph_bank(data_dir)
    if not len(bank):
        raise FileNotFoundError(f"no real crops to cut glyphs from under {data_dir}")
    painter = RealGlyphPainter(bank)
    rng = np.random.default_rng(seed)
    tiles = []
    for row in plate_types():
        text = random_plate_text(rng, row)
        tiles.append(tile(compose_plate(rng, row, text, painter, PX_PER_MM),
                          f"{type_label(row)}  {text}, real glyphs"))
        tiles.append(tile(weather(rng, compose_plate(rng, row, text, painter, PX_PER_MM)),
                          f"{type_label(row)}, real glyphs, worn"))
    plates = scene_plates(data_dir)
    for row in plate_types():
        source = plates[int(rng.integers(0, len(plates)))]
        photo = cv2.imread(str(source.path), cv2.IMREAD_COLOR)
        if photo is None:
            continue
        pasted = paste_scene(rng, photo, source.quad, painter, row)
        tiles.append(tile(_scene_pair(photo, pasted.image, pasted.corners),
                          f"{type_label(row)} {pasted.text_latin} in {source.path.name}"))
    return grid(tiles)


def write_real_sheet(path: Path, data_dir: Path, seed: int = 0) -> Path:
    """Write the real-print contact sheet as an image file."""
    return write_image(path, real_contact_sheet(data_dir, seed))
