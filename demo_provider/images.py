"""Where the demo provider's images come from: a folder, or plates we render ourselves."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")
MEDIA_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png",
               ".bmp": "image/bmp", ".webp": "image/webp"}
# Plates the demo serves when it has no folder: ID -> Latin text (all private type 1).
DEMO_PLATES = {1: "C181MB190", 2: "O101HO750", 3: "A123BC77", 4: "E777KX99", 5: "M245TP163"}


@dataclass(frozen=True)
class StoredImage:
    data: bytes
    media_type: str
    text_latin: str | None = None


def load_folder(folder: Path) -> dict[int, StoredImage]:
    """Images of ``folder``: IDs from ``labels.csv`` (``image_id,file``) or file names.

    A file counts when its stem is an integer (``10022.jpg`` is ID 10022).
    """
    images: dict[int, StoredImage] = {}
    labels = folder / "labels.csv"
    if labels.is_file():
        with open(labels, newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                if row.get("image_id", "").isdigit() and row.get("file"):
                    path = folder / row["file"]
                    images[int(row["image_id"])] = StoredImage(
                        path.read_bytes(), _media_type(path), row.get("plate_latin") or None)
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() in IMAGE_SUFFIXES and re.fullmatch(r"\d+", path.stem):
            images.setdefault(int(path.stem), StoredImage(path.read_bytes(), _media_type(path)))
    return images


def render_demo_plates(seed: int = 7) -> dict[int, StoredImage]:
    """A few upstream-style plates (grayscale 260x56 JPEG) from our own generator."""
    import cv2
    import numpy as np

    from plate_service.recognition.types import PlateFormat
    from training.synth.plate import PROVIDER_SIZE, render_plate

    images = {}
    for image_id, text in DEMO_PLATES.items():
        rng = np.random.default_rng((seed, image_id))
        plate = render_plate(rng, text, PlateFormat.PRIVATE, scale=1.0)
        gray = cv2.resize(cv2.cvtColor(plate, cv2.COLOR_BGR2GRAY), PROVIDER_SIZE,
                          interpolation=cv2.INTER_AREA)
        ok, data = cv2.imencode(".jpg", gray, [cv2.IMWRITE_JPEG_QUALITY, 95])
        if not ok:
            raise RuntimeError("JPEG encoding failed")
        images[image_id] = StoredImage(data.tobytes(), "image/jpeg", text)
    return images


def _media_type(path: Path) -> str:
    return MEDIA_TYPES.get(path.suffix.lower(), "application/octet-stream")
