"""Plates in the real-dev scenes that their labels leave out, boxed by eye.

real-dev labels one plate per scene, but some scenes show more: a parked car beside the
labelled one, a car at the edge of the frame. A detector that finds those and reads them
is right to, so the scene evals count a reading that lies on one apart, neither exact
nor false. ``data/unlabelled_plates.csv`` lists them (file, box, what it shows).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from functools import cache
from pathlib import Path

UNLABELLED_PLATES = Path(__file__).with_name("data") / "unlabelled_plates.csv"

Box = tuple[int, int, int, int]


@cache
def read_unlabelled_plates(path: Path = UNLABELLED_PLATES) -> dict[str, list[Box]]:
    """Scene file (as in real-dev's labels.csv) -> the boxes of its unlabelled plates;
    read once per path (the evals ask for every scene and every angle)."""
    plates: dict[str, list[Box]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            box = (int(row["x1"]), int(row["y1"]), int(row["x2"]), int(row["y2"]))
            plates.setdefault(row["file"], []).append(box)
    return plates


def unlabelled_plates(name: str) -> list[Box]:
    """The boxes of the plates the labels of real-dev scene ``name`` leave out."""
    return read_unlabelled_plates().get(name, [])


def lies_on(box: Sequence[float], plates: Sequence[Sequence[float]]) -> bool:
    """Whether the centre of ``box`` lies inside one of ``plates`` (x1, y1, x2, y2)."""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return any(x1 <= cx <= x2 and y1 <= cy <= y2 for x1, y1, x2, y2 in plates)
