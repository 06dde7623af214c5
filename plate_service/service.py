"""The use case behind every endpoint: fetch -> decode -> recognise, one path for all."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from typing import Protocol

from plate_service.admission import Admission, AdmissionObserver, ImageSlot
from plate_service.annotate import annotated_jpeg
from plate_service.answers import Timings
from plate_service.config import (
    DEFAULT_DOWNLOAD_CONCURRENCY,
    DEFAULT_WORKER_THREADS,
    LimitsConfig,
)
from plate_service.errors import PlateServiceError
from plate_service.recognition.image import ImageLimits, decode_image
from plate_service.recognition.pipeline import PlateRecognizer
from plate_service.recognition.types import DEFAULT_MODE, ImageRecognition, RecognitionMode

logger = logging.getLogger(__name__)


class ImageSource(Protocol):
    """Where images come from by ID (the upstream client, or a fake in tests)."""

    async def get_image(self, image_id: int) -> bytes: ...


class ServiceObserver(AdmissionObserver, Protocol):
    """Told about every cache lookup, download and recognition (metrics implement it).

    Events are pushed, not polled, so that metrics of several worker processes add up.
    """

    def cache_lookup(self, hit: bool) -> None: ...

    def download_finished(self, seconds: float, error: PlateServiceError | None) -> None: ...


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
class RecognitionJob:
    """What a worker thread is given to recognise one image, besides its bytes."""

    image_id: int | None  # None for an upload
    mode: RecognitionMode
    draw: bool
    download_ms: float


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

    Each image ID in flight is one detached piece of work (download, then recognise) that
    every request wanting that ID awaits; it resolves to that ID's own outcome, so no
    request waits for another request's other IDs or inherits another's failure. A request
    that goes away stops counting as a waiter; work nobody waits for any more is cancelled.

    Memory and CPU are bounded by ``Admission``: each new image gets an ``ImageSlot``
    (its pending place, then a buffer slot for its bytes, then a worker thread for its
    ``RecognitionJob``: decode, detect, cut the plates, read them, drop the full image).
    The slot gives them all back once the work has really ended: when the worker thread
    is done with the image, or when the slot is closed before a thread took it (an ID's
    slot is closed when its task ends, an upload's when its call does).
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
        self._in_flight: dict[tuple[int, str, bool], _SharedWork] = {}
        self._recognizer = recognizer
        self._executor = executor
        self._image_limits = image_limits(limits)
        self.admission = Admission(limits.max_pending_recognitions, buffered_images, threads,
                                   self._observer)

    @property
    def pending(self) -> int:
        """Images admitted and not finished yet (a running worker thread counts)."""
        return self.admission.pending

    @property
    def accepting(self) -> bool:
        """Whether a request for one new image would be admitted now."""
        return self.admission.accepting

    async def read_ids(
        self, image_ids: Sequence[int], mode: RecognitionMode = DEFAULT_MODE, draw: bool = False
    ) -> list[ImageOutcome]:
        """Outcomes in request order; a repeated ID is downloaded and recognised once.

        IDs answered recently come from the cache; IDs another request is already working
        on join that work; the rest become new work, admitted all together or not at all.
        With ``draw`` each outcome carries the annotated image: the cache holds no pixels,
        so those IDs are always downloaded, and their readings are cached for the requests
        that want JSON.
        """
        by_id: dict[int, ImageOutcome] = {}
        joined: dict[int, _SharedWork] = {}
        new: list[int] = []
        for image_id in dict.fromkeys(image_ids):
            key = (image_id, mode, draw)
            cached = None if draw or self._cache is None else self._cache.get((image_id, mode))
            if not draw:
                self._observer.cache_lookup(cached is not None)
            if cached is not None:
                by_id[image_id] = replace(cached, cached=True, timings=None)
            elif key in self._in_flight:
                joined[image_id] = self._in_flight[key]
            else:
                new.append(image_id)
        # ``object()``: this request, whose images take turns with other requests' images.
        slots = self.admission.admit(len(new), owner=object())
        for image_id, slot in zip(new, slots):
            joined[image_id] = self._start_work(image_id, mode, draw, slot)
        for work in joined.values():
            work.waiters += 1
        try:
            outcomes = await asyncio.gather(*(asyncio.shield(work.task)
                                              for work in joined.values()))
        finally:
            for work in joined.values():
                self._leave(work)
        by_id.update(zip(joined, outcomes))
        return [by_id[image_id] for image_id in image_ids]

    async def read_upload(self, receive: Callable[[], Awaitable[bytes]],
                          mode: RecognitionMode = DEFAULT_MODE, draw: bool = False) -> ImageOutcome:
        """Recognise an uploaded image; errors are raised, not wrapped.

        ``receive`` reads the body only once the upload is admitted and holds a buffer
        slot, so uploads count against the same bounds as downloads.
        """
        (slot,) = self.admission.admit(1, owner=object())
        with slot:
            await slot.take_buffer()
            outcome = await self._recognize(slot, RecognitionJob(None, mode, draw, 0.0),
                                            [await receive()])
        if outcome.error is not None:
            raise outcome.error
        return outcome

    def _start_work(self, image_id: int, mode: RecognitionMode, draw: bool,
                    slot: ImageSlot) -> _SharedWork:
        key = (image_id, mode, draw)
        work = self._in_flight[key] = _SharedWork(key)
        work.task = asyncio.get_running_loop().create_task(
            self._run_work(image_id, mode, draw, slot))

        def ended(_: asyncio.Task[ImageOutcome]) -> None:
            if self._in_flight.get(key) is work:
                del self._in_flight[key]
            # Here rather than in the task: a task cancelled before its first step never
            # runs its code, and its slot must close all the same.
            slot.close()

        work.task.add_done_callback(ended)
        return work

    def _leave(self, work: _SharedWork) -> None:
        """A request no longer waits for ``work``; the last one out cancels it if unfinished."""
        work.waiters -= 1
        if work.waiters == 0 and not work.task.done():
            work.task.cancel()
            if self._in_flight.get(work.key) is work:  # a request arriving now starts afresh
                del self._in_flight[work.key]

    async def _run_work(self, image_id: int, mode: RecognitionMode, draw: bool,
                        slot: ImageSlot) -> ImageOutcome:
        """Download then recognise one admitted image."""
        await slot.take_buffer()
        try:
            data, download_ms = await self._download(image_id)
        except PlateServiceError as exc:
            return ImageOutcome(image_id, error=exc)
        held = [data]
        del data  # the worker thread frees the bytes once decoded: no other reference here
        outcome = await self._recognize(slot, RecognitionJob(image_id, mode, draw, download_ms),
                                        held)
        if outcome.error is None and self._cache is not None:
            self._cache[image_id, mode] = replace(outcome, annotated_jpeg=None)
        return outcome

    async def _recognize(self, slot: ImageSlot, job: RecognitionJob,
                         held: list[bytes]) -> ImageOutcome:
        """Run one buffered image on a worker thread.

        ``held`` is the only reference to the image's bytes: the thread empties it, so the
        bytes are freed as soon as they are decoded.
        """
        return await slot.run(self._executor, self._decode_and_recognize, job, held)

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

    def _decode_and_recognize(self, job: RecognitionJob, held: list[bytes]) -> ImageOutcome:
        """Runs on a worker thread: one image from bytes to plates, nothing kept after.

        Drawing happens here too, while the decoded pixels are at hand; its time is not
        counted as recognition.
        """
        started = time.perf_counter()
        try:
            image = decode_image(held.pop(), self._image_limits)
            recognition = self._recognizer.recognize(image, job.mode)
        except PlateServiceError as exc:  # this image's own failure, not the request's
            if job.image_id is not None:
                exc.image_id = job.image_id
            return ImageOutcome(job.image_id, error=exc)
        timings = Timings(download=job.download_ms,
                          recognition=(time.perf_counter() - started) * 1000)
        return ImageOutcome(job.image_id, recognition=recognition, timings=timings,
                            annotated_jpeg=annotated_jpeg(image, recognition)
                            if job.draw else None)


@dataclass
class _SharedWork:
    """One image ID in flight (download, then recognise): its task and how many requests
    wait for it."""

    key: tuple[int, str, bool]
    task: asyncio.Task[ImageOutcome] = field(init=False)
    waiters: int = 0
