"""The use case behind every endpoint: fetch -> decode -> recognise, one path for all."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field, replace
from typing import Protocol, TypeVar

from plate_service.annotate import annotated_jpeg
from plate_service.config import (
    DEFAULT_DOWNLOAD_CONCURRENCY,
    DEFAULT_WORKER_THREADS,
    LimitsConfig,
)
from plate_service.errors import OverloadedError, PlateServiceError
from plate_service.recognition.image import ImageLimits, decode_image
from plate_service.recognition.pipeline import PlateRecognizer
from plate_service.recognition.types import ImageRecognition, RecognitionMode
from plate_service.scheduling import FairSemaphore

_T = TypeVar("_T")

logger = logging.getLogger(__name__)


class ImageSource(Protocol):
    """Where images come from by ID (the upstream client, or a fake in tests)."""

    async def get_image(self, image_id: int) -> bytes: ...


class ServiceObserver(Protocol):
    """Told about every cache lookup, download and recognition (metrics implement it).

    Events are pushed, not polled, so that metrics of several worker processes add up.
    """

    def cache_lookup(self, hit: bool) -> None: ...

    def download_finished(self, seconds: float, error: PlateServiceError | None) -> None: ...

    def recognition_queue_changed(self, depth: int) -> None: ...

    def recognition_finished(self, seconds: float) -> None: ...


class _NoObserver:
    def cache_lookup(self, hit: bool) -> None:
        pass

    def download_finished(self, seconds: float, error: PlateServiceError | None) -> None:
        pass

    def recognition_queue_changed(self, depth: int) -> None:
        pass

    def recognition_finished(self, seconds: float) -> None:
        pass


@dataclass(frozen=True)
class Timings:
    """Milliseconds spent per stage for one image."""

    download_ms: float
    recognition_ms: float


@dataclass(frozen=True)
class ImageOutcome:
    """The result for one requested image: a recognition, or the error that stopped it.

    ``annotated_jpeg`` is the image with its plates drawn, only when the request asked
    for it (``draw``): the decoded pixels are not kept otherwise.
    """

    image_id: int | None
    recognition: ImageRecognition | None = None
    error: PlateServiceError | None = None
    timings: Timings | None = None
    cached: bool = False
    annotated_jpeg: bytes | None = None


def image_limits(limits: LimitsConfig) -> ImageLimits:
    """The decoder's bounds, from the configured limits (the service's and the CLI's)."""
    return ImageLimits(max_bytes=limits.max_image_bytes, max_pixels=limits.max_image_pixels,
                       max_side=limits.max_image_side)


class PlateService:
    """Reads plates for image IDs (downloaded) or for uploaded bytes.

    Each image ID in flight is one detached job (download, then recognise) that every
    request wanting that ID awaits; it resolves to that ID's own outcome, so no request
    waits for another request's other IDs or inherits another's failure. A request that
    goes away stops counting as a waiter; a job nobody waits for any more is cancelled.

    Memory and CPU are bounded by three counts, all released only when the work they
    stand for has really ended (a worker thread that is still decoding holds on):

    - ``max_pending``: images admitted and not finished. A request whose new images
      would exceed it gets ``OverloadedError`` before anything is downloaded.
    - ``buffer``: images held as bytes, from the start of their download to the end of
      their recognition (``DOWNLOAD_CONCURRENCY``); at most that many x the byte limit.
    - ``threads``: images being recognised, one per worker thread, each on its own
      executor job: decode, detect, cut the plates, read them, drop the full image.

    The last two are ``FairSemaphore``s: a request with one image waits for one turn
    behind a batch of a hundred, not for the hundred.
    """

    def __init__(
        self,
        source: ImageSource,
        recognizer: PlateRecognizer,
        executor: Executor,
        limits: LimitsConfig,
        cache: MutableMapping[tuple[int, str], ImageOutcome] | None = None,
        observer: ServiceObserver | None = None,
        *,
        buffered_images: int = DEFAULT_DOWNLOAD_CONCURRENCY,
        threads: int = DEFAULT_WORKER_THREADS,
    ) -> None:
        self._source = source
        self._observer: ServiceObserver = observer or _NoObserver()
        self._cache = cache
        self._jobs: dict[tuple[int, str, bool], _Job] = {}
        self._recognizer = recognizer
        self._executor = executor
        self._image_limits = image_limits(limits)
        self._max_pending = limits.max_pending_recognitions
        self._pending = 0
        self._buffer = FairSemaphore(buffered_images)
        self._threads = FairSemaphore(threads)

    @property
    def pending(self) -> int:
        """Images admitted and not finished yet (a running worker thread counts)."""
        return self._pending

    @property
    def accepting(self) -> bool:
        """Whether a request for one new image would be admitted now."""
        return self._pending < self._max_pending

    async def read_ids(
        self, image_ids: Sequence[int], mode: RecognitionMode = "auto", draw: bool = False
    ) -> list[ImageOutcome]:
        """Outcomes in request order; a repeated ID is downloaded and recognised once.

        IDs answered recently come from the cache; IDs another request is already working
        on join that work; the rest become new jobs, admitted all together or not at all.
        With ``draw`` each outcome carries the annotated image: the cache holds no pixels,
        so those IDs are always downloaded, and their readings are cached for the requests
        that want JSON.
        """
        by_id: dict[int, ImageOutcome] = {}
        joined: dict[int, _Job] = {}
        new: list[int] = []
        for image_id in dict.fromkeys(image_ids):
            key = (image_id, mode, draw)
            cached = None if draw or self._cache is None else self._cache.get((image_id, mode))
            if not draw:
                self._observer.cache_lookup(cached is not None)
            if cached is not None:
                by_id[image_id] = replace(cached, cached=True, timings=None)
            elif key in self._jobs:
                joined[image_id] = self._jobs[key]
            else:
                new.append(image_id)
        self._admit(len(new))
        owner = object()  # this request: its jobs take turns with other requests' jobs
        for image_id in new:
            joined[image_id] = self._start_job(image_id, mode, draw, owner)
        for job in joined.values():
            job.waiters += 1
        try:
            outcomes = await asyncio.gather(*(asyncio.shield(job.task)
                                              for job in joined.values()))
        finally:
            for job in joined.values():
                self._leave(job)
        by_id.update(zip(joined, outcomes))
        return [by_id[image_id] for image_id in image_ids]

    async def read_upload(self, receive: Callable[[], Awaitable[bytes]],
                          mode: RecognitionMode = "auto", draw: bool = False) -> ImageOutcome:
        """Recognise an uploaded image; errors are raised, not wrapped.

        ``receive`` reads the body only once the upload is admitted and holds a buffer
        slot, so uploads count against the same bounds as downloads.
        """
        self._admit(1)
        owner = object()
        await self._take_buffer(owner)
        try:
            data = await receive()
        except BaseException:
            self._release_buffered()
            raise
        outcome = await self._recognize(data, mode, owner, download_ms=0.0, draw=draw)
        if outcome.error is not None:
            raise outcome.error
        return outcome

    def _admit(self, images: int) -> None:
        """Take ``images`` pending places, or refuse the request before any work."""
        if not images:
            return
        if self._pending + images > self._max_pending:
            raise OverloadedError(
                f"recognition queue is full ({self._pending} images pending, the limit is "
                f"{self._max_pending}); retry shortly")
        self._pending += images
        self._observer.recognition_queue_changed(self._pending)

    def _finish(self) -> None:
        """One admitted image's work has ended (its pending place is free)."""
        self._pending -= 1
        self._observer.recognition_queue_changed(self._pending)

    def _start_job(self, image_id: int, mode: RecognitionMode, draw: bool,
                   owner: object) -> _Job:
        key = (image_id, mode, draw)
        job = self._jobs[key] = _Job(key)
        job.task = asyncio.get_running_loop().create_task(
            self._run_job(image_id, mode, draw, owner, job))

        def ended(_: asyncio.Task[ImageOutcome]) -> None:
            if self._jobs.get(key) is job:
                del self._jobs[key]
            if not job.started:  # cancelled before its first step: nothing else frees it
                self._finish()

        job.task.add_done_callback(ended)
        return job

    def _leave(self, job: _Job) -> None:
        """A request no longer waits for ``job``; the last one out cancels unfinished work."""
        job.waiters -= 1
        if job.waiters == 0 and not job.task.done():
            job.task.cancel()
            if self._jobs.get(job.key) is job:  # a request arriving now starts afresh
                del self._jobs[job.key]

    async def _run_job(self, image_id: int, mode: RecognitionMode, draw: bool, owner: object,
                       job: _Job) -> ImageOutcome:
        """Download then recognise one admitted image."""
        job.started = True
        await self._take_buffer(owner)
        try:
            data, download_ms = await self._download(image_id)
        except BaseException as exc:
            self._release_buffered()
            if isinstance(exc, PlateServiceError):
                return ImageOutcome(image_id, error=exc)
            raise
        outcome = await self._recognize(data, mode, owner, download_ms, draw)
        if outcome.error is not None:
            outcome.error.image_id = image_id
        outcome = replace(outcome, image_id=image_id)
        if outcome.error is None:
            if self._cache is not None:
                self._cache[image_id, mode] = replace(outcome, annotated_jpeg=None)
        return outcome

    async def _take_buffer(self, owner: object) -> None:
        """Wait for a buffer slot for an admitted image (its place is freed if cancelled)."""
        try:
            await self._buffer.acquire(owner)
        except BaseException:
            self._finish()
            raise

    def _release_buffered(self) -> None:
        """An admitted image that holds a buffer slot ends before reaching a thread."""
        self._buffer.release()
        self._finish()

    async def _recognize(self, data: bytes, mode: RecognitionMode, owner: object,
                         download_ms: float, draw: bool = False) -> ImageOutcome:
        """Run one buffered image on a worker thread.

        From here on the image's buffer slot and pending place belong to this call: they
        are released when the thread is done with the image, even when the awaiting task
        is cancelled first (cancelling only stops a job that has not started).
        """
        try:
            await self._threads.acquire(owner)
        except BaseException:
            self._release_buffered()
            raise
        loop = asyncio.get_running_loop()
        started = time.perf_counter()
        result: asyncio.Future[ImageOutcome] = loop.create_future()

        def ended(job: Future[ImageOutcome] | None) -> None:
            """On the loop, once the thread is done (one wake-up of the loop per image)."""
            self._threads.release()
            self._release_buffered()
            self._observer.recognition_finished(time.perf_counter() - started)
            if job is None or result.done():
                return
            if job.cancelled():
                result.cancel()
            elif (error := job.exception()) is not None:
                result.set_exception(error)
            else:
                result.set_result(job.result())

        try:
            job = self._executor.submit(self._decode_and_recognize, data, mode, download_ms,
                                        draw)
        except BaseException:
            ended(None)
            raise
        del data  # the thread holds the only reference now, and drops it when done
        job.add_done_callback(lambda done: _call_soon(loop, ended, done))
        try:
            return await result
        except asyncio.CancelledError:
            job.cancel()  # stops the job only if no thread has taken it yet
            raise

    async def _download(self, image_id: int) -> tuple[bytes, float]:
        started = time.perf_counter()
        try:
            data = await self._source.get_image(image_id)
        except PlateServiceError as exc:
            self._observer.download_finished(time.perf_counter() - started, exc)
            raise
        seconds = time.perf_counter() - started
        self._observer.download_finished(seconds, None)
        return data, seconds * 1000

    def _decode_and_recognize(self, data: bytes, mode: RecognitionMode,
                              download_ms: float, draw: bool) -> ImageOutcome:
        """Runs on a worker thread: one image from bytes to plates, nothing kept after.

        Drawing happens here too, while the decoded pixels are at hand; its time is not
        counted as recognition.
        """
        started = time.perf_counter()
        try:
            image = decode_image(data, self._image_limits)
            del data
            recognition = self._recognizer.recognize(image, mode)
        except PlateServiceError as exc:  # this image's own failure, not the request's
            return ImageOutcome(None, error=exc)
        timings = Timings(download_ms, (time.perf_counter() - started) * 1000)
        return ImageOutcome(None, recognition=recognition, timings=timings,
                            annotated_jpeg=annotated_jpeg(image, recognition) if draw else None)


@dataclass
class _Job:
    """One image ID in flight: its task and how many requests wait for it."""

    key: tuple[int, str, bool]
    task: asyncio.Task[ImageOutcome] = field(init=False)
    waiters: int = 0
    started: bool = False


def _call_soon(loop: asyncio.AbstractEventLoop, callback: Callable[[_T], None],
               arg: _T) -> None:
    """Hand ``callback`` to the loop from a worker thread (a no-op once the loop closed)."""
    try:
        loop.call_soon_threadsafe(callback, arg)
    except RuntimeError:
        pass
