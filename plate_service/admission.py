"""Admission of images into the service, and the slots each image holds until freed once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any, Protocol, TypeVar

from plate_service.errors import OverloadedError
from plate_service.scheduling import FairSemaphore

_T = TypeVar("_T")


class AdmissionObserver(Protocol):
    """Told when the number of admitted images changes and when a thread is done with one."""

    def recognition_queue_changed(self, depth: int) -> None: ...

    def recognition_finished(self, seconds: float) -> None: ...


class Admission:
    """The service's three bounds on images in flight; ``admit`` hands out an ``ImageSlot``
    per image, and only the slot gives its places back.

    - ``max_pending``: images admitted and not finished. A request whose new images
      would exceed it gets ``OverloadedError`` before anything is downloaded.
    - ``buffered_images``: images held as bytes, from the start of their download to
      the end of their recognition; at most that many x the byte limit.
    - ``threads``: images being recognised, one per worker thread.

    The last two are ``FairSemaphore``s: a request with one image waits for one turn
    behind a batch of a hundred, not for the hundred.
    """

    def __init__(self, max_pending: int, buffered_images: int, threads: int,
                 observer: AdmissionObserver) -> None:
        self._max_pending = max_pending
        self._pending = 0
        self.observer = observer
        self.buffer = FairSemaphore(buffered_images)
        self.threads = FairSemaphore(threads)

    @property
    def pending(self) -> int:
        """Images admitted and not finished yet (a running worker thread counts)."""
        return self._pending

    @property
    def accepting(self) -> bool:
        """Whether a request for one new image would be admitted now."""
        return self._pending < self._max_pending

    def admit(self, images: int, owner: object) -> list[ImageSlot]:
        """A slot for each of ``images`` new images, or ``OverloadedError`` and none.

        ``owner`` is the request: its images take turns with other requests' images.
        """
        if not images:
            return []
        if self._pending + images > self._max_pending:
            raise OverloadedError(
                f"recognition queue is full ({self._pending} images pending, the limit is "
                f"{self._max_pending}); retry shortly")
        self._pending += images
        self.observer.recognition_queue_changed(self._pending)
        return [ImageSlot(self, owner) for _ in range(images)]

    def _finished(self) -> None:
        """One admitted image's work has ended (only its ``ImageSlot`` calls this)."""
        self._pending -= 1
        self.observer.recognition_queue_changed(self._pending)


class ImageSlot:
    """One admitted image's pending place, and the buffer and thread slots it takes on its way.

    Everything the slot took is freed together, exactly once: as soon as a worker thread
    is done with the image (its bytes and pixels are gone then, so the next image may
    take their places before this one's outcome is even delivered), or on ``close`` for
    an image that never reached a thread, however its work ended (an error, a
    cancellation, a timeout). Closing while a thread still has the image frees nothing
    yet: cancelling an awaiting task does not stop a thread, and the thread still holds
    the image's memory. Used on the event loop only (a worker thread's end reaches it
    through the loop).
    """

    def __init__(self, admission: Admission, owner: object) -> None:
        self._admission = admission
        self._owner = owner
        self._buffered = False
        self._threaded = False
        self._running: Future[Any] | None = None  # the thread's job until it is done
        self._freed = False

    @property
    def freed(self) -> bool:
        """Whether every place this slot took has been given back."""
        return self._freed

    async def take_buffer(self) -> None:
        """Wait for a buffer slot: from now on the image may be held as bytes."""
        await self._admission.buffer.acquire(self._owner)
        self._buffered = True

    async def run(self, executor: Executor, work: Callable[..., _T], *args: object) -> _T:
        """Wait for a worker thread, then ``work(*args)`` on ``executor``; its result.

        Cancelling the awaiting task stops the work only if no thread has taken it yet.
        """
        await self._admission.threads.acquire(self._owner)
        self._threaded = True
        loop = asyncio.get_running_loop()
        started = time.perf_counter()
        result: asyncio.Future[_T] = loop.create_future()

        def ended(job: Future[_T]) -> None:
            """On the loop, once the thread is done (one wake-up of the loop per image)."""
            self._running = None
            self._admission.observer.recognition_finished(time.perf_counter() - started)
            self._free()
            if result.done():
                return
            if job.cancelled():
                result.cancel()
            elif (error := job.exception()) is not None:
                result.set_exception(error)
            else:
                result.set_result(job.result())

        job = executor.submit(work, *args)
        self._running = job
        job.add_done_callback(lambda done: _call_soon(loop, ended, done))
        try:
            return await result
        except asyncio.CancelledError:
            job.cancel()  # stops the job only if no thread has taken it yet
            raise

    def close(self) -> None:
        """The image's work is over: free its places now, or once its thread is done."""
        if self._running is None:
            self._free()

    def _free(self) -> None:
        if self._freed:
            return
        self._freed = True
        if self._threaded:
            self._admission.threads.release()
        if self._buffered:
            self._admission.buffer.release()
        self._admission._finished()

    def __enter__(self) -> ImageSlot:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _call_soon(loop: asyncio.AbstractEventLoop, callback: Callable[[_T], None],
               arg: _T) -> None:
    """Hand ``callback`` to the loop from a worker thread (a no-op once the loop closed)."""
    try:
        loop.call_soon_threadsafe(callback, arg)
    except RuntimeError:
        pass
