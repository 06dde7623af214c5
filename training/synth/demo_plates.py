"""Renders the demo provider's plates with our own generator (into demo_provider/plates/).

Run ``python -m training.synth.demo_plates``. The demo provider ships these JPEGs as
package data so that it installs and runs with aiohttp alone; this command makes them
(again, whenever the renderer changes).
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import cv2
import numpy as np

from plate_service.recognition.types import PlateFormat
from training.synth.plate import PROVIDER_SIZE, render_plate

# ID -> Latin text of the plates the demo provider serves (all private type 1).
DEMO_PLATES = {1: "C181MB190", 2: "O101HO750", 3: "A123BC77", 4: "E777KX99", 5: "M245TP163"}
DEFAULT_OUT = Path(__file__).resolve().parents[2] / "demo_provider" / "plates"
SEED = 7


def render_demo_plate(image_id: int, text_latin: str, seed: int = SEED) -> np.ndarray:
    """One upstream-style plate: grayscale, 260x56, as the real provider serves them."""
    rng = np.random.default_rng((seed, image_id))
    plate = render_plate(rng, text_latin, PlateFormat.PRIVATE, scale=1.0)
    return cv2.resize(cv2.cvtColor(plate, cv2.COLOR_BGR2GRAY), PROVIDER_SIZE,
                      interpolation=cv2.INTER_AREA)


def write_demo_plates(out: Path) -> list[Path]:
    """JPEG files named by ID plus a ``labels.csv`` (``image_id,file,plate_latin``)."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    rows = []
    for image_id, text in DEMO_PLATES.items():
        path = out / f"{image_id}.jpg"
        if not cv2.imwrite(str(path), render_demo_plate(image_id, text),
                           [cv2.IMWRITE_JPEG_QUALITY, 95]):
            raise RuntimeError(f"cannot write {path}")
        written.append(path)
        rows.append({"image_id": image_id, "file": path.name, "plate_latin": text})
    with open(out / "labels.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["image_id", "file", "plate_latin"])
        writer.writeheader()
        writer.writerows(rows)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m training.synth.demo_plates",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    for path in write_demo_plates(args.out):
        print(path)


if __name__ == "__main__":
    main()
