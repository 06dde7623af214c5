"""Plates in the real scene sets that have no text in their labels.

Two kinds, and the scene evals treat both alike: a reading that lies on one counts apart,
neither exact nor false, since nothing says what the plate reads.
- **Left out**: real-dev labels one plate per scene, and the real-scenes-extra labels
  skip some, but the photos show more: a parked car beside the labelled one, a car at
  the edge of the frame. ``data/unlabelled_plates.csv`` boxes them by eye (file under
  the data root, box, what it shows).
- **Unread**: the real-scenes-extra notes box plates that their labeller saw but could
  not read (``also: x1 y1 x2 y2; ...``).

A non-standard plate the notes box (``skipped non-standard plate (...) at x1 y1 x2 y2``:
a foreign plate, say) is no such plate: reading it as a Russian plate is a false
reading. The detector's training needs both kinds of boxes (``noted_plates``): each is
a plate present whose text it cannot be taught.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

UNLABELLED_PLATES = Path(__file__).with_name("data") / "unlabelled_plates.csv"

Box = tuple[int, int, int, int]

_BOX_TEXT = r"(\d+) (\d+) (\d+) (\d+)"


@dataclass(frozen=True)
class NotedPlates:
    """The plates a label's notes box besides the labelled one."""

    unread: tuple[Box, ...] = ()
    non_standard: tuple[Box, ...] = ()


def noted_plates(notes: str) -> NotedPlates:
    """The unread (``also:``) and non-standard plates a label's ``notes`` box."""
    unread = []
    also = notes.split("also:", 1)[1] if "also:" in notes else ""
    for part in also.split(";"):
        found = re.fullmatch(r"\s*" + _BOX_TEXT + r"\s*", part)
        if found is None:  # the boxes end where the notes go on ("same plate also in ...")
            break
        unread.append(_box(found))
    non_standard = [_box(found) for found in
                    re.finditer(r"skipped non-standard plate.*? at " + _BOX_TEXT, notes)]
    return NotedPlates(tuple(unread), tuple(non_standard))


def _box(found: re.Match[str]) -> Box:
    x1, y1, x2, y2 = (int(v) for v in found.groups())
    return x1, y1, x2, y2


@cache
def read_unlabelled_plates(path: Path = UNLABELLED_PLATES) -> dict[str, list[Box]]:
    """Scene file under the data root ("real-dev/scenes/s0100.jpg") -> the boxes of the
    plates its labels leave out; read once per path (the evals ask for every scene and
    every angle)."""
    plates: dict[str, list[Box]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            box = (int(row["x1"]), int(row["y1"]), int(row["x2"]), int(row["y2"]))
            plates.setdefault(row["file"], []).append(box)
    return plates


def unscored_plates(data_dir: Path, folder: str) -> dict[str, list[Box]]:
    """Scene file of ``folder`` (as in its labels.csv) -> the boxes of its plates with no
    text: left out by the labels (``UNLABELLED_PLATES``) or unread (its notes)."""
    prefix = f"{folder}/"
    plates = {name.removeprefix(prefix): list(boxes)
              for name, boxes in read_unlabelled_plates().items() if name.startswith(prefix)}
    labels = data_dir / folder / "labels.csv"
    if labels.is_file():
        with labels.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                unread = noted_plates(row.get("notes") or "").unread
                if row["kind"] == "scene" and unread:
                    boxes = plates.setdefault(row["file"], [])
                    boxes += [box for box in unread if box not in boxes]
    return plates


def lies_on(box: Sequence[float], plates: Sequence[Sequence[float]]) -> bool:
    """Whether the centre of ``box`` lies inside one of ``plates`` (x1, y1, x2, y2)."""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return any(x1 <= cx <= x2 and y1 <= cy <= y2 for x1, y1, x2, y2 in plates)
