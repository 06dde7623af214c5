"""The processes a benchmark measures: the service, the naive baseline and the fake
upstream, each started in a subprocess on a free port and stopped afterwards."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from plate_service.config import load_config
from testkit.processes import free_port, ready_workers


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
