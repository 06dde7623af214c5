"""Which real-dev rows the models may train on; the rest are held out for the evals.

One split for both models: the scenes the detector trains on, and the crops cut from those
scenes (the OCR's share), are the same half, so the detector eval's held-out scenes hold
no plate either model has seen.
"""

from __future__ import annotations

import csv
import hashlib
import re
from pathlib import Path

SPLIT_SALT = "plate-detector-split-v1"
# More labelled car photos beside real-dev (the detector trains on them).
EXTRA_SCENES = "real-scenes-extra"


def is_training_scene(file_name: str) -> bool:
    """A fixed half of the scenes, chosen by a salted hash of the file name (not the pixels)."""
    digest = hashlib.sha256(f"{SPLIT_SALT}:{Path(file_name).name}".encode()).digest()
    return digest[0] % 2 == 0


def source_scene(notes: str) -> str | None:
    """The scene a real-dev crop was cut from, as ``labels.csv`` notes name it, if any."""
    match = re.search(r"scenes/(s\d+\.jpg)", notes)
    return match.group(1) if match else None


def is_training_crop(file_name: str, notes: str) -> bool:
    """A crop (or its provider-style copy) shares its source scene's half; a crop with no
    scene is split by its own stem, so the colour crop and its grey copy stay together."""
    return _crop_in_training_half(file_name, source_scene(notes))


def _crop_in_training_half(file_name: str, scene: str | None) -> bool:
    return is_training_scene(scene or Path(file_name).stem)


def crop_scenes(data_dir: Path) -> dict[str, str | None]:
    """Each real-dev crop and provider-style row's file -> the scene it was cut from."""
    with (data_dir / "real-dev" / "labels.csv").open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["kind"] in ("crop", "provider-style")]
    by_stem = {Path(r["file"]).stem: source_scene(r["notes"]) for r in rows if r["kind"] == "crop"}
    return {r["file"]: by_stem.get(Path(r["file"]).stem) for r in rows}


def training_crops(data_dir: Path) -> dict[str, bool]:
    """Each real-dev crop and provider-style row's file -> whether it is in the training half."""
    return {file: _crop_in_training_half(file, scene)
            for file, scene in crop_scenes(data_dir).items()}


def read_scene_labels(data_dir: Path, folder: str = "real-dev"
                      ) -> dict[str, list[tuple[int, int, int, int, str]]]:
    """``scenes/NNNN.jpg`` of ``folder`` -> its labelled plates as (x1, y1, x2, y2,
    plate_latin)."""
    scenes: dict[str, list[tuple[int, int, int, int, str]]] = {}
    with (data_dir / folder / "labels.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["kind"] != "scene":
                continue
            box = (round(float(row["x1"])), round(float(row["y1"])),
                   round(float(row["x2"])), round(float(row["y2"])))
            scenes.setdefault(row["file"], []).append((*box, row["plate_latin"]))
    return scenes
