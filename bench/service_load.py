"""The service end to end under load, against a local fake upstream with set latency."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from plate_service.config import load_config

_ids = itertools.count(1_000_000)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (the service's master and its workers)."""
    tree, index = [pid], 0
    while index < len(tree):
        task_dir = Path(f"/proc/{tree[index]}/task")
        for task in task_dir.iterdir() if task_dir.exists() else ():
            try:
                tree.extend(int(child) for child in
                            (task / "children").read_text(encoding="ascii").split())
            except OSError:
                pass
        index += 1
    return tree


def _field_kb(member: int, path: str, field: str) -> int:
    """One ``field`` (in kB) of ``/proc/<member>/<path>``; 0 once the process is gone."""
    try:
        with open(f"/proc/{member}/{path}", encoding="ascii") as lines:
            return next(int(line.split()[1]) for line in lines if line.startswith(field))
    except (OSError, StopIteration):
        return 0


def _summed_kb(pid: int, path: str, field: str) -> int:
    return sum(_field_kb(member, path, field) for member in process_tree(pid))


def rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and all its descendants, in MB (each process's RSS
    summed: library pages the workers share count once per worker)."""
    return _summed_kb(pid, "status", "VmRSS:") / 1024


def largest_worker_mb(pid: int) -> tuple[float, float]:
    """RSS of the largest process under ``pid`` (``pid`` itself without workers), and how
    much of it is pages of files (RSS minus anonymous memory: mostly libraries), in MB."""
    def rss_and_file_kb(member: int) -> tuple[int, int]:
        rss_kb = _field_kb(member, "smaps_rollup", "Rss:")
        return rss_kb, rss_kb - _field_kb(member, "smaps_rollup", "Anonymous:")

    members = process_tree(pid)
    rss_kb, file_kb = max(rss_and_file_kb(member) for member in members[1:] or members)
    return rss_kb / 1024, file_kb / 1024


def pss_mb(pid: int) -> float:
    """Proportional memory of ``pid`` and its descendants, in MB: shared pages split
    between the processes that share them, so the sum is what the processes really use."""
    return _summed_kb(pid, "smaps_rollup", "Pss:") / 1024


def ready_workers(url: str, workers: int, timeout_s: float = 60.0) -> set[int]:
    """PIDs of the worker processes seen ready, once ``workers`` of them answered ``/ready``.

    Every worker accepts on the one listening socket, so a fresh connection reaches any
    of them; each answers with its PID once its models are loaded.
    """
    seen: set[int] = set()
    deadline = time.time() + timeout_s
    while len(seen) < workers and time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/ready", timeout=5) as answer:
                seen.add(int(json.loads(answer.read())["pid"]))
        except (OSError, ValueError, KeyError):
            time.sleep(0.1)
    return seen


@contextmanager
def process(args: list[str], env: dict[str, str], ready_url: str) -> Iterator[int]:
    """Start a Python module in a subprocess, wait until ``ready_url`` answers 200.

    Its stderr goes to a file, not a pipe: a pipe nobody reads fills up after 64 KB of
    log lines (one warning per 503, say) and then blocks the service's event loop.
    """
    with tempfile.TemporaryFile() as stderr:
        proc = subprocess.Popen([sys.executable, "-m", *args], env={**os.environ, **env},
                                stdout=subprocess.DEVNULL, stderr=stderr)
        try:
            deadline = time.time() + 60
            while time.time() < deadline:
                if proc.poll() is not None:
                    stderr.seek(0)
                    raise RuntimeError(
                        f"{args[0]} exited: {stderr.read().decode(errors='replace')[-2000:]}")
                try:
                    with urllib.request.urlopen(ready_url, timeout=2) as response:
                        if response.status == 200:
                            break
                except OSError:
                    time.sleep(0.2)
            else:
                raise RuntimeError(f"{args[0]} did not become ready")
            yield proc.pid
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def _cpu_seconds_of(process: int | str) -> float:
    """User + system CPU time of one process (``"self"`` for this one); 0 once it is gone."""
    try:
        with open(f"/proc/{process}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time ``pid`` and its live descendants have used so far."""
    return sum(_cpu_seconds_of(member) for member in process_tree(pid))


def own_cpu_seconds() -> float:
    """CPU time of this process alone (the load generator), not of its children."""
    return _cpu_seconds_of("self")


@contextmanager
def upstream(latency_ms: float, *options: str) -> Iterator[tuple[str, int]]:
    """The lean fake provider (``bench.fake_upstream``, more ``options`` given): URL, PID."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with process(["bench.fake_upstream", "--port", str(port), "--latency-ms", str(latency_ms),
                  *options], {}, f"{url}/hits") as pid:
        yield url, pid


def upstream_hits(url: str) -> int:
    """Image requests the fake provider at ``url`` has answered so far."""
    with urllib.request.urlopen(f"{url}/hits", timeout=5) as response:
        return int(response.read())


@contextmanager
def plate_service(provider_url: str, models_dir: Path, module: str = "plate_service",
                  **env: str) -> Iterator[tuple[str, int]]:
    """The service (or ``bench.http_only_service``) in a subprocess: its URL and PID.

    Yields once every worker process listens (``WORKERS``, default one per usable core),
    so no measurement starts with part of the service still loading its models.
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    environment = {"PORT": str(port), "HOST": "127.0.0.1", "IMAGE_PROVIDER_URL": provider_url,
                   "MODELS_DIR": str(models_dir), "LOG_LEVEL": "WARNING", **env}
    workers = load_config({**os.environ, **environment}).workers \
        if module == "plate_service" else 1
    with process([module], environment, f"{url}/ready") as pid:
        ready_workers(url, workers)
        yield url, pid


@contextmanager
def naive_service(provider_url: str, models_dir: Path) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with process(["bench.naive_baseline", "--port", str(port), "--provider", provider_url,
                  "--models-dir", str(models_dir)], {}, f"{url}/health"):
        yield url


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


class Connection:
    """One keep-alive HTTP/1.1 connection to the service, driven by hand.

    The load generator shares the cores with the service it measures; a raw stream costs
    a fraction of aiohttp's client per request (the figures in the report say how much).
    """

    def __init__(self, host: str, port: int) -> None:
        self._host, self._port = host, port
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def request(self, method: str, path: str, body: bytes = b"") -> int:
        """Send one request, read the whole answer, return its status."""
        if self._streams is None:
            self._streams = await asyncio.open_connection(self._host, self._port)
        reader, writer = self._streams
        head = f"{method} {path} HTTP/1.1\r\nHost: {self._host}\r\n"
        if body:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        writer.write(head.encode("ascii") + b"\r\n" + body)
        lines = (await reader.readuntil(b"\r\n\r\n")).split(b"\r\n")
        version, status_code = lines[0].split(b" ", 2)[:2]
        status = int(status_code)
        # HTTP/1.0 servers (the naive baseline) close after every answer unless asked not to.
        length, close = None, version == b"HTTP/1.0"
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection":
                close = value.strip().lower() != b"keep-alive"
        if length is None:
            raise RuntimeError(f"{method} {path}: answer without Content-Length")
        await reader.readexactly(length)
        if close:
            self.close()
        return status

    def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


async def run_load(base_url: str, concurrency: int, total: int, batch: int = 0) -> LoadResult:
    parsed = urllib.parse.urlsplit(base_url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 80
    latencies: list[float] = []
    errors = 0
    remaining = itertools.count()

    async def worker() -> None:
        nonlocal errors
        connection = Connection(host, port)
        try:
            while next(remaining) < total:
                started = time.perf_counter()
                if batch:
                    ids = [next(_ids) for _ in range(batch)]
                    body = json.dumps({"image_ids": ids}).encode()
                    status = await connection.request("POST", "/plates", body)
                else:
                    status = await connection.request("GET", f"/plate/{next(_ids)}")
                errors += status != 200
                latencies.append((time.perf_counter() - started) * 1000)
        finally:
            connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    seconds = time.perf_counter() - started
    latencies.sort()
    return LoadResult(len(latencies), seconds, latencies[len(latencies) // 2],
                      latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], errors)


def load(base_url: str, concurrency: int, total: int, batch: int = 0) -> LoadResult:
    return asyncio.run(run_load(base_url, concurrency, total, batch))
