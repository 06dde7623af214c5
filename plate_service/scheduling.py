"""FairSemaphore: a bounded number of slots, handed out round-robin between requests."""

from __future__ import annotations

import asyncio
from collections import OrderedDict, deque
from collections.abc import Hashable


class FairSemaphore:
    """At most ``capacity`` holders at a time; waiters served in turn by owner, not by arrival.

    A plain semaphore serves waiters in arrival order, so a request that queues 100
    images ahead of a request for one image makes that one wait for all 100. Here each
    waiter names an owner (the request it works for); a freed slot goes to the next
    owner in rotation, and within one owner in arrival order. A single-image request
    behind a 100-image batch waits for one of the batch's images, not for all of them.

    Not thread-safe: acquire and release on the event loop (a worker thread hands its
    release to the loop with ``call_soon_threadsafe``).
    """

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._capacity = capacity
        self._held = 0
        self._queues: OrderedDict[Hashable, deque[asyncio.Future[None]]] = OrderedDict()

    @property
    def held(self) -> int:
        """Slots taken now."""
        return self._held

    @property
    def waiting(self) -> int:
        """Waiters not served yet."""
        return sum(len(queue) for queue in self._queues.values())

    async def acquire(self, owner: Hashable) -> None:
        """Wait for a slot; ``owner`` groups the waiters that take turns as one."""
        if self._held < self._capacity and not self._queues:
            self._held += 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queues.setdefault(owner, deque()).append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # granted just before the cancellation: pass it on
            else:
                self._forget(owner, waiter)
            raise

    def release(self) -> None:
        """Give a slot back: to the next owner in rotation, or to the pool."""
        while self._queues:
            owner, queue = next(iter(self._queues.items()))
            waiter = queue.popleft()
            if queue:
                self._queues.move_to_end(owner)  # this owner goes to the back of the line
            else:
                del self._queues[owner]
            if not waiter.done():
                waiter.set_result(None)  # the slot moves over: ``held`` is unchanged
                return
        if self._held <= 0:
            raise RuntimeError("FairSemaphore released more often than acquired")
        self._held -= 1

    def _forget(self, owner: Hashable, waiter: asyncio.Future[None]) -> None:
        queue = self._queues.get(owner)
        if queue is None:
            return
        try:
            queue.remove(waiter)
        except ValueError:
            return
        if not queue:
            del self._queues[owner]
