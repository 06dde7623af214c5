"""``python -m bench.photos DIR``: time per labelled photo, decode + recognise on 1 thread.

A time in ms says as much about the machine as about the code. A plain ``cv2.imdecode``
of the same photo's bytes, timed in the same run, depends on the machine alone, so each
photo's time divided by its own decode time is a figure that carries from one machine to
another; the median, p90 and max are given of both. Each photo is read as the service
reads an upload: ``decode_image`` with the service's default limits, then the recognizer
in its default (auto) mode, on 1 thread.

DIR holds the photos, with ``labels.csv`` in it or one level up (the ``../shared/data``
format: ``file`` relative to the labels' folder, ``kind`` ``scene``, the plate's box
``x1 y1 x2 y2`` and ``plate_latin``). Each photo is timed upright, turned by each
``--rotate`` angle about its first plate's centre (the detector eval's rotation sweep),
and with its labelled plates painted out: a gate camera mostly sends photos without a
plate, and those must not cost more than the others.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from bench.recognition import LIMITS
from plate_service.recognition.image import decode_image
from plate_service.recognition.loading import load_recognizer
from plate_service.recognition.pipeline import PlateRecognizer
from training.eval_detector import LabelRow, turned_scene
from training.real_dev_split import read_scene_labels

REPO = Path(__file__).resolve().parent.parent
LABELS = "labels.csv"
# Each photo is read this many times, its decode alike, and the fastest of each kept:
# on cores shared with other guests a call is only ever slowed, never sped up, so the
# fastest is the least disturbed.
DEFAULT_REPEATS = 3
# Re-encoding of the photos made here (turned, plates painted out): close to a camera's.
_JPEG_QUALITY = 95
# How far past its labelled box a plate is painted out: labels are tight, and a plate's
# frame left standing would still look like a plate.
_PLATE_MARGIN = 0.25
PLATELESS = "photo without a plate"


@dataclass(frozen=True)
class Summary:
    """Median, p90 and max over the photos of one set: in ms, and in decodes."""

    photos: int
    ms: tuple[float, float, float]
    decodes: tuple[float, float, float]


def labels_folder(folder: Path) -> Path | None:
    """Where the ``labels.csv`` of the photos in ``folder`` is: in it or one level up."""
    folder = folder.resolve()
    return next((f for f in (folder, folder.parent) if (f / LABELS).is_file()), None)


def labelled_photos(folder: Path) -> dict[Path, list[LabelRow]]:
    """The photos under ``folder`` that its ``labels.csv`` labels, each with its plates."""
    folder, root = folder.resolve(), labels_folder(folder)
    if root is None:
        raise SystemExit(f"no {LABELS} in {folder} or {folder.parent}")
    photos = {root / name: rows
              for name, rows in read_scene_labels(root.parent, root.name).items()}
    return {path: rows for path, rows in sorted(photos.items())
            if path.is_relative_to(folder) and path.is_file()}


def _jpeg(image: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, _JPEG_QUALITY])
    assert ok
    return data.tobytes()


def without_plates(image: np.ndarray, labels: Sequence[LabelRow]) -> np.ndarray:
    """The photo with each labelled plate (and a margin round it) inpainted from its
    surroundings."""
    mask = np.zeros(image.shape[:2], np.uint8)
    for x1, y1, x2, y2, _ in labels:
        margin = round(_PLATE_MARGIN * (y2 - y1))
        cv2.rectangle(mask, (x1 - margin, y1 - margin), (x2 + margin, y2 + margin), 255, -1)
    return cv2.inpaint(image, mask, 5, cv2.INPAINT_TELEA)


def photo_sets(photos: dict[Path, list[LabelRow]], angles: Sequence[float]
               ) -> dict[str, list[bytes]]:
    """The JPEG bytes to time, per set: upright (the files as they are), each angle, and
    the photos without their plates."""
    sets: dict[str, list[bytes]] = {"upright": [], **{_turned(a): [] for a in angles},
                                    PLATELESS: []}
    for path, labels in photos.items():
        data = path.read_bytes()
        sets["upright"].append(data)
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        if image is None:
            raise SystemExit(f"{path}: not an image OpenCV decodes")
        for angle in angles:
            sets[_turned(angle)].append(_jpeg(turned_scene(image, labels, angle)[0]))
        sets[PLATELESS].append(_jpeg(without_plates(image, labels)))
    return sets


def _turned(angle: float) -> str:
    return f"turned {angle:+g}°"


def time_photos(recognizer: PlateRecognizer, photos: Sequence[bytes], repeats: int
                ) -> list[tuple[float, float]]:
    """Per photo, (fastest ms of decode + recognise, fastest ms of a plain decode), the
    two alternated so a slow spell of the machine hits both."""
    times = []
    for data in photos:
        buffer = np.frombuffer(data, np.uint8)
        reads, decodes = [], []
        for _ in range(repeats):
            started = time.perf_counter()
            cv2.imdecode(buffer, cv2.IMREAD_COLOR)
            decoded = time.perf_counter()
            recognizer.recognize(decode_image(data, LIMITS))
            reads.append(time.perf_counter() - decoded)
            decodes.append(decoded - started)
        times.append((min(reads) * 1000, min(decodes) * 1000))
    return times


def _spread(values: Sequence[float]) -> tuple[float, float, float]:
    """Median, p90 (nearest rank) and max."""
    ordered = sorted(values)
    p90 = ordered[max(0, -(-len(ordered) * 9 // 10) - 1)]
    return statistics.median(ordered), p90, ordered[-1]


def summarise(times: Sequence[tuple[float, float]]) -> Summary:
    """The set's spread in ms, and of each photo's time in its own decodes."""
    return Summary(len(times), _spread([ms for ms, _ in times]),
                   _spread([ms / decode for ms, decode in times]))


def measure(folder: Path, models_dir: Path, angles: Sequence[float] = (),
            repeats: int = DEFAULT_REPEATS, limit: int | None = None) -> dict[str, Summary]:
    """Every set of the labelled photos under ``folder``, timed (the first ``limit``)."""
    photos = dict(list(labelled_photos(folder).items())[:limit])
    if not photos:
        raise SystemExit(f"no labelled photos under {folder}")
    cv2.setNumThreads(1)
    recognizer = load_recognizer(models_dir, threads=1)
    sets = photo_sets(photos, angles)
    time_photos(recognizer, sets["upright"][:1], 1)  # warm-up: first-call allocations
    return {name: summarise(time_photos(recognizer, photos_of_set, repeats))
            for name, photos_of_set in sets.items()}


def report(summaries: dict[str, Summary]) -> str:
    """A Markdown table: per set, median, p90 and max in ms and in decodes."""
    lines = ["| set | photos | median | p90 | max |", "|---|---|---|---|---|"]
    for name, summary in summaries.items():
        cells = [f"{ms:.0f} ms ({decodes:.1f}x decode)"
                 for ms, decodes in zip(summary.ms, summary.decodes)]
        lines.append(f"| {name} | {summary.photos} | {' | '.join(cells)} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.photos",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="photos, labels.csv in it or one level up")
    parser.add_argument("--models-dir", type=Path, default=REPO / "models")
    parser.add_argument("--rotate", type=float, action="append", default=[],
                        metavar="DEGREES", help="also time each photo turned this much "
                        "(counter-clockwise positive); may be given more than once")
    parser.add_argument("--repeats", type=int, default=DEFAULT_REPEATS,
                        help=f"reads of each photo, fastest kept (default {DEFAULT_REPEATS})")
    parser.add_argument("--limit", type=int, help="time only the first N photos")
    args = parser.parse_args(argv)
    print(report(measure(args.folder, args.models_dir, args.rotate, args.repeats, args.limit)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
