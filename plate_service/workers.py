"""Several service processes on one port (``WORKERS`` > 1), run by gunicorn.

Recognition runs in threads, but the event loop (HTTP server, upstream client, JSON) and
the Python parts of recognition share one GIL: a single process saturates near one core
however many threads it has. So ``WORKERS=N`` runs N copies of the app under gunicorn's
pre-fork master with aiohttp's ``GunicornUVLoopWebWorker``: each worker a full process
with its own models, executor and cache, each listening on the same port with
``SO_REUSEPORT``, on uvloop's event loop like a single process (``new_event_loop``).

gunicorn replaces a worker that dies, kills and replaces one whose event loop hangs for
longer than ``WORKER_TIMEOUT``, and stops them gracefully on SIGTERM. What it does not do
for us, done here: the port is bound before the master starts, so a taken port is one
clear message and exit code; a worker that cannot load its models stops the whole
service (gunicorn's "worker failed to boot") instead of being restarted forever; and
Prometheus metrics of all workers are aggregated through a shared directory
(``PROMETHEUS_MULTIPROC_DIR``), so ``/metrics`` counts the whole service whichever worker
answers the scrape.
"""

from __future__ import annotations

import logging
import math
import os
import shutil
import signal
import socket
import tempfile
from collections.abc import Callable
from typing import Any

from aiohttp import web
from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter
from gunicorn.errors import HaltServer
from gunicorn.glogging import Logger as GunicornLogger

from plate_service.config import Config
from plate_service.gunicorn_worker import STOP_SIGNALS, StoppableWorker
from plate_service.observability import MULTIPROCESS_DIR_ENV

logger = logging.getLogger("plate_service.workers")

# Exit codes of ``python -m plate_service`` that mean "cannot start".
EXIT_CONFIG_ERROR = 2
EXIT_MODEL_ERROR = 3
EXIT_CANNOT_LISTEN = 4
WORKER_CLASS = f"{StoppableWorker.__module__}.{StoppableWorker.__name__}"


def listen(host: str, port: int, *, for_workers: bool = False) -> socket.socket:
    """The service's socket on ``host:port``; OSError when the port is taken or not ours.

    One process listens on it. With ``for_workers``, it is bound with ``SO_REUSEPORT``
    but does not listen: it only holds the port (and proves it free) while each worker
    listens on a socket of its own on the same port, and the kernel spreads connections
    evenly between them. (On one shared socket, the first worker to wake accepts every
    connection a client opens at once, and the others idle.)
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    if not for_workers:
        return socket.create_server((host, port), family=family, backlog=2048)
    holder = socket.socket(family, socket.SOCK_STREAM)
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        holder.bind((host, port))
    except OSError:
        holder.close()
        raise
    return holder


class _JsonLogLines(GunicornLogger):
    """gunicorn's own messages as our JSON log lines (through the root logger)."""

    def setup(self, cfg: Any) -> None:
        self.error_log.propagate = True
        self.error_log.setLevel(logging.getLogger().level)


class _PortHolder:
    """The port's socket as gunicorn's master lists its listeners.

    The workers listen on sockets of their own (``reuse_port``), so the master has none and
    would log "Listening at:" with no address; this gives it the port's. The master closes
    its listeners when it stops.
    """

    def __init__(self, holder: socket.socket) -> None:
        self._holder = holder

    def __str__(self) -> str:
        host, port = self._holder.getsockname()[:2]
        return f"http://{_address(host, port)}"

    def getsockname(self) -> Any:
        return self._holder.getsockname()

    def fileno(self) -> int:
        return self._holder.fileno()

    def close(self) -> None:
        self._holder.close()


class _Master(Arbiter):
    """gunicorn's master, holding the port's socket, forking workers with stop signals held.

    Until a new worker installs its own handlers, a signal sent to it runs the master's
    handler copied by the fork, which queues it for a master loop that the worker never
    runs: the signal is lost, and the worker serves until it is killed. Blocked across
    the fork, the signal waits until the worker unblocks it with its handlers in place.
    """

    def __init__(self, pool: WorkerPool, holder: socket.socket) -> None:
        super().__init__(pool)
        self.LISTENERS = [_PortHolder(holder)]

    def spawn_worker(self) -> int:
        held = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        try:
            return int(super().spawn_worker())
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)


class WorkerPool(BaseApplication):
    """gunicorn's master, configured from our ``Config`` rather than its command line.

    ``create_app`` runs in each worker after the fork; it must load the models itself
    (and raise on failure) so that a worker that cannot start counts as not booted.
    """

    def __init__(self, config: Config, holder: socket.socket, metrics_dir: str,
                 create_app: Callable[[], web.Application]) -> None:
        self._config = config
        self._holder = holder
        self._metrics_dir = metrics_dir
        self._create_app = create_app
        super().__init__()

    def load_config(self) -> None:
        settings: dict[str, Any] = {
            "bind": [_address(self._config.host, self._config.port)],
            "reuse_port": True,  # each worker listens on a socket of its own
            "workers": self._config.workers,
            "worker_class": WORKER_CLASS,
            # aiohttp's worker lets in-flight requests finish within 95% of this.
            # Whole seconds, as gunicorn takes them.
            "graceful_timeout": math.ceil(self._config.shutdown_timeout_s / 0.95),
            "timeout": math.ceil(self._config.worker_timeout_s),
            "keepalive": 75,
            "accesslog": None,  # our access middleware logs every request
            "logger_class": _JsonLogLines,
            "proc_name": "plate-service",
            "control_socket_disable": True,  # no runtime control interface, no socket file
            "worker_tmp_dir": self._metrics_dir,  # heartbeats: the one directory we write
            "child_exit": self._child_exit,
        }
        for key, value in settings.items():
            self.cfg.set(key, value)

    def load(self) -> web.Application:
        return self._create_app()

    def run(self) -> None:
        _Master(self, self._holder).run()

    def _child_exit(self, server: Arbiter, worker: Any) -> None:
        from prometheus_client import multiprocess  # only once the directory is set

        # Its live gauges go; its counters stay: they count what it served.
        multiprocess.mark_process_dead(worker.pid, self._metrics_dir)


def _master_exit_code(code: int) -> int:
    """Our exit code for gunicorn's: a worker that failed to boot could not load models."""
    if code == Arbiter.WORKER_BOOT_ERROR:
        logger.error("a worker could not start (see its error above); stopping")
        return EXIT_MODEL_ERROR
    return code


def _address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def serve_workers(config: Config, holder: socket.socket,
                  create_app: Callable[[], web.Application]) -> int:
    """Run ``config.workers`` processes until SIGTERM/SIGINT; the exit code.

    ``holder`` is the port's socket from ``listen(..., for_workers=True)``, kept until the
    master stops (closed here too when it never started). ``create_app`` runs in each
    worker after the fork.
    """
    try:
        metrics_dir = tempfile.mkdtemp(prefix="plate-service-metrics-")
    except OSError as exc:
        # A read-only root filesystem (Kubernetes readOnlyRootFilesystem, docker run
        # --read-only) without a writable /tmp: say what to mount, not a traceback.
        logger.error("workers need a writable temporary directory for their metrics and "
                     "heartbeats (%s): mount a tmpfs or emptyDir at /tmp, or point TMPDIR "
                     "at a writable directory", exc)
        holder.close()
        return EXIT_CONFIG_ERROR
    # Before anything imports prometheus_client: it picks its value store at import.
    os.environ[MULTIPROCESS_DIR_ENV] = metrics_dir
    master = os.getpid()
    try:
        WorkerPool(config, holder, metrics_dir, create_app).run()
    except SystemExit as stop:
        if os.getpid() != master:  # a worker leaving: its exit is gunicorn's business
            raise
        return _master_exit_code(stop.code if isinstance(stop.code, int) else 1)
    except HaltServer as halt:
        # gunicorn halts when a worker fails to boot; when a second worker fails while
        # that halt reaps the workers, its HaltServer escapes the arbiter instead.
        return _master_exit_code(halt.exit_status)
    finally:
        if os.getpid() == master:
            holder.close()
            shutil.rmtree(metrics_dir, ignore_errors=True)
            os.environ.pop(MULTIPROCESS_DIR_ENV, None)
    return 0
