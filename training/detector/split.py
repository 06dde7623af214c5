"""Which real-dev scenes the detector may train on; the rest are held out for the eval."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

SPLIT_SALT = "plate-detector-split-v1"


def is_training_scene(file_name: str) -> bool:
    """A fixed half of the scenes, chosen by a salted hash of the file name (not the pixels)."""
    digest = hashlib.sha256(f"{SPLIT_SALT}:{Path(file_name).name}".encode()).digest()
    return digest[0] % 2 == 0


def read_scene_labels(data_dir: Path) -> dict[str, list[tuple[int, int, int, int, str]]]:
    """``scenes/sNNNN.jpg`` -> its labelled plates as (x1, y1, x2, y2, plate_latin)."""
    scenes: dict[str, list[tuple[int, int, int, int, str]]] = {}
    with (data_dir / "real-dev" / "labels.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["kind"] != "scene":
                continue
            box = (int(row["x1"]), int(row["y1"]), int(row["x2"]), int(row["y2"]))
            scenes.setdefault(row["file"], []).append((*box, row["plate_latin"]))
    return scenes
