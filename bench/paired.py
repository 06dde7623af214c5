"""``python -m bench.paired DIR_A DIR_B``: the recognition speed of two checkouts, compared.

On a shared machine the same code measures 20-40 % apart from one run to the next, so
two versions timed one after the other compare the machine's moods, not the code. Here
each round runs both checkouts at the same time, each in its own process pinned to its
own core (swapped every round), so a slow spell hits both; each measure is reported as
the median over rounds of B's time divided by A's. The calls are those of
``bench.recognition``: one crop (batch 1), decode + auto-mode read, the OCR on a batch of
64 crops and a ~1 MP photo, all on 1 thread. Each checkout runs its own code and models, with this
interpreter (its environment must hold both checkouts' requirements).
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import statistics
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any


def one_image(recognizer: Any) -> Callable[..., object]:
    """``recognize(image, mode)`` of a checkout's recogniser, so that any two checkouts
    compare: a recogniser whose ``recognize`` takes a list of images is handed a list of
    one."""
    if "images" in inspect.signature(recognizer.recognize).parameters:
        return lambda image, mode="auto": recognizer.recognize([image], mode)[0]
    return recognizer.recognize


# Runs inside each checkout (its own ``bench`` and ``plate_service``): median ms per call.
_MEASURE = "from __future__ import annotations\nimport inspect\nfrom typing import Any\n" \
    "from collections.abc import Callable\n" + inspect.getsource(one_image) + """
import json, statistics, sys, time
import cv2, numpy as np
cv2.setNumThreads(1)
from pathlib import Path
from bench.images import provider_crops, scene_photo
from bench.recognition import LIMITS
from plate_service.recognition.image import decode_image
from plate_service.recognition.loading import load_reader, load_recognizer
calls = int(sys.argv[1])
recognize = one_image(load_recognizer(Path("models"), threads=1))
reader = load_reader(Path("models") / "ocr", threads=1)
jpegs = provider_crops()
crops = [cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR) for data in jpegs]
photo = scene_photo()
batch = [crops[i % len(crops)] for i in range(64)]
measures = {
    "one crop": (calls, lambda: recognize(crops[0], "crop")),
    "decode + read": (calls, lambda: recognize(decode_image(jpegs[0], LIMITS))),
    "batch of 64": (max(1, calls // 25), lambda: reader.read(batch)),
    "~1 MP photo": (max(1, calls // 25),
                    lambda: recognize(decode_image(photo, LIMITS), "scene")),
}
out = {}
for name, (count, call) in measures.items():
    for _ in range(max(1, count // 10)):
        call()
    times = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    out[name] = statistics.median(times) * 1000
print(json.dumps(out))
"""


def _start(checkout: Path, core: int, calls: int) -> subprocess.Popen[str]:
    def pin() -> None:
        os.sched_setaffinity(0, {core})

    environment = {**os.environ, "PYTHONPATH": str(checkout), "OMP_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-c", _MEASURE, str(calls)], cwd=checkout,
                            env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, preexec_fn=pin)


def compare(a: Path, b: Path, rounds: int, calls: int) -> dict[str, list[tuple[float, float]]]:
    """Per measure, (A's ms, B's ms) of each round."""
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2:
        raise SystemExit("bench.paired needs two cores: one per checkout")
    pairs: dict[str, list[tuple[float, float]]] = {}
    for round_number in range(rounds):
        swap = round_number % 2
        runs = [_start(a, cores[swap], calls), _start(b, cores[1 - swap], calls)]
        results = []
        for run in runs:
            out, err = run.communicate()
            if run.returncode:
                raise SystemExit(f"a checkout's measurement failed:\n{err}")
            results.append(json.loads(out.strip().splitlines()[-1]))
        for name in results[0]:
            pairs.setdefault(name, []).append((results[0][name], results[1][name]))
    return pairs


def report(pairs: dict[str, list[tuple[float, float]]], unit: str = "round") -> str:
    lines = [f"| measure | A, ms | B, ms | B / A, median of {unit}s | each {unit} |",
             "|---|---|---|---|---|"]
    for name, rows in pairs.items():
        ratios = [b / a for a, b in rows]
        lines.append(
            f"| {name} | {statistics.median(a for a, _ in rows):.3f} "
            f"| {statistics.median(b for _, b in rows):.3f} "
            f"| {statistics.median(ratios) - 1:+.1%} "
            f"| {' '.join(f'{ratio - 1:+.0%}' for ratio in ratios)} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.paired",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("a", type=Path, help="checkout A (e.g. a git worktree of a base)")
    parser.add_argument("b", type=Path, help="checkout B")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--calls", type=int, default=1500,
                        help="calls per single-image measure (a 25th for the others)")
    args = parser.parse_args(argv)
    print(report(compare(args.a.resolve(), args.b.resolve(), args.rounds, args.calls)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
