"""Several service processes on one port, because one Python process uses about one core.

Recognition runs in threads, but the event loop (HTTP server, upstream client, JSON) and
the Python parts of recognition share one GIL: a single process saturates near one
core however many threads it has. ``WORKERS=N`` runs N copies of the app, each a full
process with its own models, executor and cache, each listening on the same port with
``SO_REUSEPORT`` so the kernel spreads connections between them.

The supervisor (the process ``python -m plate_service`` starts) only watches: it starts
the workers, forwards SIGTERM/SIGINT to them for a graceful stop, restarts a worker that
dies after it was serving, and gives up with the worker's exit code when a worker cannot
start at all (bad configuration, missing models, port taken), since a restart would
fail the same way. Prometheus metrics of all workers are aggregated through a shared
directory (``PROMETHEUS_MULTIPROC_DIR``), so ``/metrics`` counts the whole service
whichever worker answers the scrape.
"""

from __future__ import annotations

import ctypes
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import FrameType

from prometheus_client import multiprocess

from plate_service.observability.metrics import MULTIPROCESS_DIR_ENV

logger = logging.getLogger("plate_service.workers")

# Set in a worker's environment: its index (0-based); its presence makes it a worker.
WORKER_ENV = "PLATE_SERVICE_WORKER"
SUPERVISOR_PID_ENV = "PLATE_SERVICE_SUPERVISOR_PID"
# Exit codes of ``python -m plate_service`` that mean "cannot start": never restarted.
EXIT_CONFIG_ERROR = 2
EXIT_MODEL_ERROR = 3
EXIT_CANNOT_LISTEN = 4
STARTUP_EXIT_CODES = frozenset({EXIT_CONFIG_ERROR, EXIT_MODEL_ERROR, EXIT_CANNOT_LISTEN})
# A worker that dies sooner than this after its start counts as a failed start; this
# many failed starts in a row stop the service instead of restarting forever.
MIN_HEALTHY_SECONDS = 10.0
MAX_FAILED_STARTS = 5
POLL_SECONDS = 0.2
_PR_SET_PDEATHSIG = 1


def is_worker(environ: Mapping[str, str] | None = None) -> bool:
    """True inside a worker process started by the supervisor."""
    return WORKER_ENV in (os.environ if environ is None else environ)


@dataclass
class _Worker:
    index: int
    process: subprocess.Popen[bytes]
    started: float = field(default_factory=time.monotonic)


class Supervisor:
    """Starts ``count`` workers running ``command`` and keeps them running until stopped."""

    def __init__(self, count: int, command: Sequence[str], shutdown_timeout_s: float,
                 environ: Mapping[str, str] | None = None) -> None:
        self._count = count
        self._command = list(command)
        self._shutdown_timeout_s = shutdown_timeout_s
        self._environ = dict(os.environ if environ is None else environ)
        self._stop = threading.Event()
        self._workers: dict[int, _Worker] = {}
        self._failed_starts = 0

    def run(self) -> int:
        """Supervise until SIGTERM/SIGINT or a worker that cannot start; the exit code."""
        try:
            metrics_dir = tempfile.mkdtemp(prefix="plate-service-metrics-")
        except OSError as exc:
            # A read-only root filesystem (Kubernetes readOnlyRootFilesystem, docker run
            # --read-only) without a writable /tmp: say what to mount, not a traceback.
            logger.error("workers need a writable temporary directory for their shared "
                         "metrics (%s): mount a tmpfs or emptyDir at /tmp, or point TMPDIR "
                         "at a writable directory", exc)
            return EXIT_CONFIG_ERROR
        previous = {sig: signal.signal(sig, self._on_signal)
                    for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            for index in range(self._count):
                self._start(index, metrics_dir)
            logger.info("started %d workers: pids %s", self._count,
                        [w.process.pid for w in self._workers.values()])
            exit_code = self._watch(metrics_dir)
            return self._stop_all(exit_code)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            for worker in self._workers.values():
                if worker.process.poll() is None:
                    worker.process.kill()
                    worker.process.wait()
            shutil.rmtree(metrics_dir, ignore_errors=True)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self._stop.set()

    def _start(self, index: int, metrics_dir: str) -> None:
        env = {**self._environ, WORKER_ENV: str(index), MULTIPROCESS_DIR_ENV: metrics_dir,
               SUPERVISOR_PID_ENV: str(os.getpid())}
        self._workers[index] = _Worker(index, subprocess.Popen(self._command, env=env))

    def _watch(self, metrics_dir: str) -> int:
        """Restart workers that die while serving; the exit code when one cannot start."""
        while not self._stop.wait(POLL_SECONDS):
            for index, worker in list(self._workers.items()):
                code = worker.process.poll()
                if code is None:
                    continue
                # Its live gauges go; its counters stay: they count what it served.
                multiprocess.mark_process_dead(worker.process.pid, metrics_dir)
                lived = time.monotonic() - worker.started
                if code in STARTUP_EXIT_CODES:
                    logger.error("worker %d cannot start (exit code %d); stopping", index, code)
                    return code
                died_at_start = lived < MIN_HEALTHY_SECONDS
                self._failed_starts = self._failed_starts + 1 if died_at_start else 0
                if self._failed_starts >= MAX_FAILED_STARTS:
                    logger.error("worker %d died %d times within %.0f s of its start "
                                 "(last exit code %d); stopping", index, self._failed_starts,
                                 MIN_HEALTHY_SECONDS, code)
                    return 1
                logger.error("worker %d (pid %d) exited with code %d after %.1f s; restarting",
                             index, worker.process.pid, code, lived)
                self._start(index, metrics_dir)
        return 0

    def _stop_all(self, exit_code: int) -> int:
        """SIGTERM every worker, wait for their graceful stop, kill what is left."""
        for worker in self._workers.values():
            if worker.process.poll() is None:
                worker.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self._shutdown_timeout_s
        for worker in self._workers.values():
            try:
                code = worker.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                logger.error("worker %d did not stop in %.0f s; killing it", worker.index,
                             self._shutdown_timeout_s)
                worker.process.kill()
                worker.process.wait()
                code = 1
            if exit_code == 0 and code not in (0, -signal.SIGTERM):
                exit_code = code if code > 0 else 1
        return exit_code


def die_with_supervisor() -> None:
    """In a worker: get SIGTERM when the supervisor dies, even by SIGKILL (Linux).

    Without this, a supervisor killed hard would leave its workers serving on the port,
    orphaned, with nobody to stop them.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        return
    supervisor = os.environ.get(SUPERVISOR_PID_ENV)
    if supervisor is not None and str(os.getppid()) != supervisor:  # died before the call
        os.kill(os.getpid(), signal.SIGTERM)


def worker_command() -> list[str]:
    """How a worker is started: this same entry point, which sees ``WORKER_ENV``."""
    return [sys.executable, "-m", "plate_service", "serve"]
