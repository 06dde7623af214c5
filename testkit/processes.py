"""Free loopback ports, and what a process tree holds and has used, read from /proc."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import time
import urllib.request
from pathlib import Path

import aiohttp


def free_port() -> int:
    """A loopback port nothing listens on now (the OS picks it)."""
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

    Each worker listens on the port with its own ``SO_REUSEPORT`` socket, so the kernel
    spreads fresh connections over them; each answers with its PID once its models are
    loaded.
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


async def until_ready(url: str, process: asyncio.subprocess.Process,
                      timeout_s: float = 30.0) -> None:
    """Return once ``url`` answers 200 (a started server is up); fail at once if
    ``process`` exits first, or after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if process.returncode is not None:
                raise RuntimeError(f"exited with {process.returncode} before {url} answered")
            try:
                async with session.get(url) as answer:
                    if answer.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.1)
    raise TimeoutError(f"{url} did not answer 200 within {timeout_s} s")


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
