"""Where the demo provider's images come from: a folder, or the plates it ships with."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")
MEDIA_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png",
               ".bmp": "image/bmp", ".webp": "image/webp"}
# Plates served when no folder is given: rendered by this repository's own generator
# (``python -m training.synth.demo_plates`` writes them), IDs and texts in labels.csv.
BUNDLED_PLATES_DIR = Path(__file__).resolve().parent / "plates"


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


def bundled_plates() -> dict[int, StoredImage]:
    """The upstream-style plates (grayscale 260x56 JPEG) the demo provider ships with."""
    return load_folder(BUNDLED_PLATES_DIR)


def _media_type(path: Path) -> str:
    return MEDIA_TYPES.get(path.suffix.lower(), "application/octet-stream")
