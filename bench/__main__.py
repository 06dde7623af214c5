"""``python -m bench`` (``make bench``): run every benchmark, write docs/benchmarks.md."""

from __future__ import annotations

import argparse
import json
from importlib import metadata
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench import photos, recognition, scheduling
from bench.service_load import naive_service, plate_service, upstream
from plate_service.config import BASE_WORKER_MB, load_config
from plate_service.recognition.loading import load_recognizer
from plate_service.recognition.pipeline import PlateRecognizer
from testkit.load import load
from testkit.processes import (cpu_seconds, largest_worker_mb, own_cpu_seconds, pss_mb,
                               rss_mb)
from training.eval_detector import DEFAULT_DATA, SWEEP_ANGLES

REPO = Path(__file__).resolve().parent.parent
# The packages whose versions move the figures (speed and resident memory).
_PACKAGES = ("onnxruntime", "opencv-python-headless", "numpy", "aiohttp")


# The service-overhead measure: service starts, and rounds in each; every round times
# recognition alone on both sides. On a shared machine the service's CPU per request
# swings by a third within minutes (other guests), so one start's few rounds are one
# draw; several starts and a dozen rounds give the median something to stand on.
OVERHEAD_STARTS = 3
OVERHEAD_ROUNDS = 4


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--models-dir", type=Path, default=REPO / "models")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "benchmarks.md")
    parser.add_argument("--memory-requests", type=int, default=100_000,
                        help="requests for the memory test (default 100000)")
    parser.add_argument("--quick", action="store_true", help="fewer requests everywhere")
    parser.add_argument("--photos", type=Path, default=DEFAULT_DATA / "real-dev" / "scenes",
                        help="labelled photos to time one by one (bench.photos)")
    args = parser.parse_args()
    scale = 0.2 if args.quick else 1.0
    lines: list[str] = []

    def emit(line: str = "") -> None:
        print(line, flush=True)
        lines.append(line)

    emit("# Benchmarks")
    emit()
    emit(f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()}, "
         f"{os.cpu_count()} cores, Python {platform.python_version()}, with "
         f"`python -m bench{' --quick' if args.quick else ''}` (`make bench`). "
         "The fake upstream (`python -m bench.fake_upstream --latency-ms N`, raw asyncio, "
         "answers from prebuilt bytes), the service and the load generator (raw keep-alive "
         "HTTP/1.1 connections, `bench/service_load.py`) share the same cores. Inputs are "
         "our own rendered plates. The service runs with the environment's settings, by "
         f"default `WORKERS=auto`: {load_config().workers} processes here (one per usable "
         "core), 2 recognition threads each. Packages: "
         + ", ".join(f"{name} {metadata.version(name)}" for name in _PACKAGES)
         + " (constraints.txt).")
    emit()
    emit("## 1. Recognition alone (no HTTP)")
    emit()
    alone = recognition.run(args.models_dir, repeats=int(300 * scale) or 30)
    emit("| measure | value |")
    emit("|---|---|")
    emit(f"| OCR, one crop, batch 1, 1 thread | {alone['crop_ms_batch1_1thread']:.2f} ms |")
    emit(f"| OCR, batch 64, 2 threads | {alone['crops_per_s_batch64_2threads']:.0f} crops/s |")
    emit(f"| decode JPEG + read, 1 thread | {alone['decode_and_read_ms_1thread']:.2f} ms |")
    emit(f"| ~1 MP photo: decode + detect + read, 1 thread | "
         f"{alone['scene_ms_1mp_1thread']:.1f} ms |")
    emit(f"| decode + read, one image per call, 2 worker threads | "
         f"{alone['images_per_s_2workers']:.0f} images/s |")
    emit()
    emit("## 2. The service end to end")
    emit()
    emit("| upstream latency | request | concurrency | requests | req/s | p50 ms | p99 ms "
         "| errors |")
    emit("|---|---|---|---|---|---|---|---|")
    for latency in (0, 100):
        with upstream(latency) as (provider, _), \
                plate_service(provider, args.models_dir) as (url, _):
            load(url, 8, 50)  # warm-up
            for concurrency in (1, 16, 64):
                total = int((200 if concurrency == 1 else 2000) * scale) or 20
                if latency and concurrency == 1:
                    total = int(50 * scale) or 10
                result = load(url, concurrency, total)
                emit(f"| {latency} ms | GET /plate/{{id}} | {concurrency} | {result.requests} "
                     f"| {result.rps:.0f} | {result.p50_ms:.1f} | {result.p99_ms:.1f} "
                     f"| {result.errors} |")
            batch = load(url, 1, int(20 * scale) or 5, batch=100)
            emit(f"| {latency} ms | POST /plates, 100 IDs | 1 | {batch.requests} "
                 f"| {batch.rps:.1f} | {batch.p50_ms:.1f} | {batch.p99_ms:.1f} "
                 f"| {batch.errors} |")
    emit()
    recognizer = load_recognizer(args.models_dir, threads=1)
    service_overhead(emit, args.models_dir, scale, recognizer)
    with upstream(0) as (provider, _), \
            plate_service(provider, args.models_dir, WORKERS="1") as (url, _):
        load(url, 8, 200)
        alone_rate = recognition.ceiling(recognizer, int(2000 * scale) or 200)
        single = load(url, 64, int(3000 * scale) or 300)
    emit(f"The same with `WORKERS=1` (one process, its event loop and recognition threads "
         f"sharing one GIL): {single.rps:.0f} req/s against {alone_rate:.0f} images/s alone, "
         f"{single.rps / alone_rate:.0%}.")
    emit()
    with upstream(0) as (provider, _), plate_service(
            provider, args.models_dir, module="bench.http_only_service") as (url, pid):
        load(url, 8, 200)
        before = cpu_seconds(pid)
        http_only = load(url, 64, int(3000 * scale) or 300)
        http_cpu_ms = (cpu_seconds(pid) - before) * 1000 / http_only.requests
    emit(f"Where the rest goes: the same app with the plate reading memoised away "
         f"(`bench/http_only_service.py`; server, upstream client, middleware, JPEG decode, "
         f"executor hop, JSON all still run) serves {http_only.rps:.0f} req/s at "
         f"{http_cpu_ms:.2f} ms of CPU per request, against "
         f"{alone['decode_and_read_ms_1thread']:.2f} ms to decode and read one crop on "
         "1 thread. This diagnostic runs one process: the HTTP path costs about as much CPU "
         "as the reading itself, and in one process both share one GIL, which is why the "
         "service runs one worker process per core.")
    emit()
    emit("## 3. Parallel requests: this service vs a naive one")
    emit()
    total = int(320 * scale) or 64
    with upstream(100) as (provider, _):
        with plate_service(provider, args.models_dir) as (url, _):
            ours = load(url, 32, total)
        with naive_service(provider, args.models_dir) as naive_url:
            naive = load(naive_url, 32, int(total / 4) or 16)
    emit("32 clients in parallel, upstream latency 100 ms. The naive baseline "
         "(`bench/naive_baseline.py`): synchronous single-threaded server, blocking "
         "download, inference on the request thread, one request at a time.")
    emit()
    emit("| server | requests | req/s | p50 ms | p99 ms |")
    emit("|---|---|---|---|---|")
    emit(f"| plate-service | {ours.requests} | {ours.rps:.1f} | {ours.p50_ms:.0f} "
         f"| {ours.p99_ms:.0f} |")
    emit(f"| naive baseline | {naive.requests} | {naive.rps:.1f} | {naive.p50_ms:.0f} "
         f"| {naive.p99_ms:.0f} |")
    emit()
    emit(f"Throughput ratio: **{ours.rps / naive.rps:.1f}x**. The naive server answers one "
         "request at a time, so each waits for every download before it; ours overlaps "
         "the downloads on the event loop and recognises on a thread pool.")
    emit()
    emit("## 4. Memory")
    emit()
    requests = int(args.memory_requests * scale)
    with upstream(0) as (provider, _), plate_service(provider, args.models_dir) as (url, pid):
        after_start = rss_mb(pid), pss_mb(pid)
        load(url, 64, requests // 10)
        after_warm = rss_mb(pid), pss_mb(pid)
        load(url, 64, requests - requests // 10)
        after_all = rss_mb(pid), pss_mb(pid)
        worker_mb, worker_file_mb = largest_worker_mb(pid)
    emit("The master and all its worker processes together. RSS adds up each process's "
         "resident memory, so the pages of library files the workers share count once per "
         "worker; PSS splits shared pages between the processes that share them, and its "
         "sum is what they really hold (what a container's memory limit is charged, "
         "besides the page cache).")
    emit()
    emit("| moment | RSS, summed | PSS, summed |")
    emit("|---|---|---|")
    emit(f"| after start (models loaded) | {after_start[0]:.0f} MB | {after_start[1]:.0f} MB |")
    emit(f"| after {requests // 10:,} requests | {after_warm[0]:.0f} MB "
         f"| {after_warm[1]:.0f} MB |")
    emit(f"| after {requests:,} requests | {after_all[0]:.0f} MB | {after_all[1]:.0f} MB |")
    emit()
    emit(f"The largest worker after {requests:,} requests: **{worker_mb:.0f} MB** RSS, of "
         f"which {worker_file_mb:.0f} MB are pages of files (mostly libraries) and the rest "
         "anonymous memory; the worst-case formula (docs/configuration.md) counts "
         f"{BASE_WORKER_MB} MB for a warm worker (`BASE_WORKER_MB`). The file part varies "
         "between machines and between runs on one machine, and RSS with it; those pages are "
         "clean and shared, so PSS moves less.")
    emit()
    heavy_requests(emit, args.models_dir, scale)
    labelled_photos(emit, args.models_dir, args.photos, scale)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"written to {args.out}")


def service_overhead(emit: Callable[[str], None], models_dir: Path, scale: float,
                     recognizer: PlateRecognizer) -> None:
    """The service's requests/s against recognition alone, over several starts."""
    emit("### Service overhead")
    emit()
    emit("Requests/s of `GET /plate/{id}` at concurrency 64 and 0 ms upstream latency, "
         "against the images/s that decode + read alone reach on the same 2 worker threads "
         f"(no HTTP). The service is started {OVERHEAD_STARTS} times, with "
         f"{OVERHEAD_ROUNDS} rounds each; every round measures recognition alone just "
         "before and just after the service and takes the mean of the two, so a slow spell "
         "of the machine hits both sides; the median ratio of all rounds counts.")
    emit()
    emit("| start | round | recognition alone, images/s | service, req/s | ratio | service "
         "CPU ms/req | fake upstream CPU ms/req | load generator CPU ms/req |")
    emit("|---|---|---|---|---|---|---|---|")
    ratios = []
    with upstream(0) as (provider, provider_pid):
        for start in range(1, OVERHEAD_STARTS + 1):
            with plate_service(provider, models_dir) as (url, pid):
                load(url, 8, 200)  # warm-up
                for round_number in range(1, OVERHEAD_ROUNDS + 1):
                    alone_before = recognition.ceiling(recognizer, int(1000 * scale) or 100)
                    before = (cpu_seconds(pid), cpu_seconds(provider_pid), own_cpu_seconds())
                    result = load(url, 64, int(1500 * scale) or 150)
                    after = (cpu_seconds(pid), cpu_seconds(provider_pid), own_cpu_seconds())
                    alone_rate = (alone_before + recognition.ceiling(
                        recognizer, int(1000 * scale) or 100)) / 2
                    cpu_ms = [(a - b) * 1000 / result.requests for a, b in zip(after, before)]
                    ratios.append(result.rps / alone_rate)
                    emit(f"| {start} | {round_number} | {alone_rate:.0f} | {result.rps:.0f} "
                         f"| {ratios[-1]:.0%} | {cpu_ms[0]:.2f} | {cpu_ms[1]:.2f} "
                         f"| {cpu_ms[2]:.2f} |")
    emit()
    emit(f"Service overhead: the service serves **{statistics.median(ratios):.0%}** (median "
         f"of the rounds; {min(ratios):.0%} to {max(ratios):.0%}) of the requests/s that "
         "recognition alone allows on the same cores. "
         "CPU is user + system time from /proc, summed over the master and its workers; "
         "the service's includes recognition.")
    emit()


def heavy_requests(emit: Callable[[str], None], models_dir: Path, scale: float) -> None:
    """Sections 5-7: one heavy request against the others (scheduling and memory)."""
    config = load_config({})
    emit("## 5. A 100-ID batch of 12 MP photos")
    emit()
    big = scheduling.large_batch(models_dir, rounds=3 if scale == 1 else 1)
    emit(f"One worker (`WORKERS=1`, default limits: `DOWNLOAD_CONCURRENCY` "
         f"{config.upstream.concurrency}, `WORKER_THREADS` "
         f"{config.recognition.worker_threads}), `POST /plates` with 100 new IDs, each a "
         f"generated 4000x3000 JPEG of about 1.5 MB (`bench/images.py`, {scheduling.PHOTOS} "
         "distinct photos served by ID modulo). Recognition alone: decode + recognise the "
         "same photos, one per call, on 2 threads, no HTTP, measured between the batches.")
    emit()
    emit("| round | recognition alone, images/s | batch, images/s | ratio |")
    emit("|---|---|---|---|")
    for number, (alone, rate) in enumerate(zip(big.alone_images_per_s, big.images_per_s), 1):
        emit(f"| {number} | {alone:.2f} | {rate:.2f} | {rate / alone:.0%} |")
    ratio = statistics.median(r / a for r, a in zip(big.images_per_s, big.alone_images_per_s))
    emit()
    emit(f"Throughput of the batch: **{ratio:.0%}** of recognition alone (median). Peak RSS "
         f"of the worker (VmHWM): **{big.peak_rss_mb:.0f} MB** (at start "
         f"{big.start_rss_mb:.0f} MB).")
    emit()
    emit("Recognising one photo, in a process of its own (`python -m bench.image_memory`): "
         "the peak over the warm process, the constant of the worst-case formula "
         "(docs/configuration.md).")
    emit()
    emit("| photo | JPEG | peak over the warm process | bytes per pixel |")
    emit("|---|---|---|---|")
    for width, height in ((4000, 3000), (6000, 5000)):
        found = json.loads(subprocess.run(
            [sys.executable, "-m", "bench.image_memory", "--models-dir", str(models_dir),
             "--width", str(width), "--height", str(height)],
            check=True, capture_output=True, text=True).stdout)
        emit(f"| {width}x{height} | {found['jpeg_bytes'] / 1e6:.1f} MB "
             f"| {found['peak_mb']:.0f} MB | {found['bytes_per_pixel']:.1f} |")
    emit()
    emit("## 6. A slow ID does not hold up the others")
    emit()
    slow = scheduling.slow_id_isolation(models_dir)
    emit("One worker; the upstream answers ID 1 after 10 s and every other ID at once. "
         f"`POST /plates` with ID 1 and {len(slow.latencies_ms)} fast IDs; 1 s later, "
         "while the batch still waits on ID 1, `GET /plate/{id}` asks for each fast ID of "
         "that batch in turn.")
    emit()
    emit(f"GET latency: median **{statistics.median(slow.latencies_ms):.1f} ms**, max "
         f"**{max(slow.latencies_ms):.1f} ms**; the batch answered after "
         f"{slow.batch_s:.1f} s.")
    emit()
    emit("## 7. 4x overload")
    emit()
    capacity, usual, heavy = scheduling.overload(models_dir, seconds=10 * scale or 2)
    emit("One worker with `MAX_PENDING_RECOGNITIONS=16`, upstream latency 100 ms, "
         "`GET /plate/{id}` for new IDs. Its capacity C is what 16 closed-loop clients get: "
         f"{capacity:.0f} req/s. Then requests arrive at a fixed rate whatever the answers "
         f"(open loop, {usual.seconds:.0f} s each, on keep-alive connections opened "
         "beforehand): C / 2, the usual load, and 4 C.")
    emit()
    emit("| offered req/s | accepted | 503 overloaded | upstream hits | accepted p50 ms "
         "| accepted p99 ms |")
    emit("|---|---|---|---|---|---|")
    for run in (usual, heavy):
        emit(f"| {run.offered_per_s:.0f} | {run.accepted} | {run.rejected} "
             f"| {run.upstream_hits} | {run.accepted_p50_ms:.1f} "
             f"| {run.accepted_p99_ms:.1f} |")
    emit()
    emit("Upstream hits equal the accepted requests: a request turned away with 503 "
         "downloads nothing.")
    emit()


def labelled_photos(emit: Callable[[str], None], models_dir: Path, folder: Path,
                    scale: float) -> None:
    """Section 8: real photos one by one, in ms and in decodes of the same photo."""
    emit("## 8. Labelled photos, one at a time")
    emit()
    if photos.labels_folder(folder) is None:
        emit(f"Skipped: no labelled photos at {folder} (`--photos DIR`).")
        emit()
        return
    angles = [angle for angle in SWEEP_ANGLES if angle]
    repeats = photos.DEFAULT_REPEATS if scale == 1 else 1
    emit(f"`python -m bench.photos {os.path.relpath(folder, REPO)} "
         + " ".join(f"--rotate {angle:g}" for angle in angles)
         + f"{'' if scale == 1 else ' --repeats 1'}`: each labelled photo there "
         "decoded and recognised as the service reads an "
         "upload (auto mode, 1 thread), upright, turned about its first plate as the "
         "detector eval's sweep turns it, and with its plates painted out; the fastest of "
         f"{repeats} reads per photo. Each time is also given in plain `cv2.imdecode` calls "
         "of the same photo's bytes in the same run (each photo's time over its own decode, "
         "then the median, p90 and max), which carry from one machine to another better than ms.")
    emit()
    emit(photos.report(photos.measure(folder, models_dir, angles, repeats)))
    emit()


if __name__ == "__main__":
    main()
