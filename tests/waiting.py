"""Waiting in async tests without fixed sleeps: until the loop settles, or a condition holds."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


async def settle() -> None:
    """Let every ready task run until all of them wait on something."""
    for _ in range(20):
        await asyncio.sleep(0)


async def until(condition: Callable[[], bool], timeout_s: float = 5.0) -> None:
    """Wait (polling the loop) until ``condition()`` holds; worker threads need real time."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not condition():
        assert loop.time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.005)
