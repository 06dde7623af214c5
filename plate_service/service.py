"""The use case behind every endpoint: fetch -> decode -> recognise, one path for all."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np

from plate_service.annotate import annotated_jpeg
from plate_service.config import LimitsConfig
from plate_service.errors import ImageError, OverloadedError, PlateServiceError
from plate_service.recognition.image import ImageLimits, decode_image
from plate_service.recognition.pipeline import PlateRecognizer
from plate_service.recognition.types import ImageRecognition, RecognitionMode
from plate_service.result_cache import TtlLruCache

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

    def recognition_finished(self, seconds: float, images: int) -> None: ...


class _NoObserver:
    def cache_lookup(self, hit: bool) -> None:
        pass

    def download_finished(self, seconds: float, error: PlateServiceError | None) -> None:
        pass

    def recognition_queue_changed(self, depth: int) -> None:
        pass

    def recognition_finished(self, seconds: float, images: int) -> None:
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


class PlateService:
    """Reads plates for image IDs (downloaded) or for uploaded bytes.

    Single reads, batches and uploads all go through ``_recognize_blobs``: decoding and
    inference for the whole request run as one job on the bounded executor, so the event
    loop never blocks and a batch is one batched model call.
    """

    def __init__(
        self,
        source: ImageSource,
        recognizer: PlateRecognizer,
        executor: Executor,
        limits: LimitsConfig,
        cache: TtlLruCache[tuple[int, str], ImageOutcome] | None = None,
        observer: ServiceObserver | None = None,
    ) -> None:
        self._source = source
        self._observer: ServiceObserver = observer or _NoObserver()
        self._cache: TtlLruCache[tuple[int, str], ImageOutcome] = (
            cache if cache is not None else TtlLruCache(0, 0))
        self._in_flight: dict[tuple[int, str, bool], asyncio.Future[ImageOutcome]] = {}
        self._recognizer = recognizer
        self._executor = executor
        self._image_limits = ImageLimits(
            max_bytes=limits.max_image_bytes,
            max_pixels=limits.max_image_pixels,
            max_side=limits.max_image_side,
        )
        self._max_pending = limits.max_pending_recognitions
        self._pending = 0

    @property
    def pending(self) -> int:
        """Images accepted for recognition and not finished yet."""
        return self._pending

    async def read_ids(
        self, image_ids: Sequence[int], mode: RecognitionMode = "auto", draw: bool = False
    ) -> list[ImageOutcome]:
        """Outcomes in request order; a repeated ID is downloaded and recognised once.

        IDs answered recently come from the cache; IDs another request is already working
        on are awaited, not fetched again; the rest are downloaded concurrently and
        recognised in one batched call. With ``draw`` each outcome carries the annotated
        image: the cache holds no pixels, so those IDs are always downloaded, and their
        readings are cached for the requests that want JSON.
        """
        loop = asyncio.get_running_loop()
        by_id: dict[int, ImageOutcome] = {}
        waiting: dict[int, asyncio.Future[ImageOutcome]] = {}
        owned: dict[int, asyncio.Future[ImageOutcome]] = {}
        for image_id in dict.fromkeys(image_ids):
            key = (image_id, mode, draw)
            cached = None if draw else self._cache.get((image_id, mode))
            if not draw:
                self._observer.cache_lookup(cached is not None)
            if cached is not None:
                by_id[image_id] = replace(cached, cached=True, timings=None)
            elif key in self._in_flight:
                waiting[image_id] = self._in_flight[key]
            else:
                owned[image_id] = self._in_flight[key] = loop.create_future()
        try:
            fresh = await self._fetch_and_recognize(list(owned), mode, draw)
        except BaseException as exc:
            failure = exc if isinstance(exc, Exception) else PlateServiceError(
                "the request reading this image was interrupted; retry")
            for future in owned.values():
                future.set_exception(failure)
                future.exception()  # retrieved here, so an unawaited one is not logged
            raise
        finally:
            for image_id in owned:
                self._in_flight.pop((image_id, mode, draw), None)
        for image_id, future in owned.items():
            outcome = fresh[image_id]
            future.set_result(outcome)
            if outcome.error is None:
                self._cache.put((image_id, mode), replace(outcome, annotated_jpeg=None))
        by_id.update(fresh)
        for image_id, future in waiting.items():
            by_id[image_id] = await asyncio.shield(future)
        return [by_id[image_id] for image_id in image_ids]

    async def _fetch_and_recognize(
        self, image_ids: list[int], mode: RecognitionMode, draw: bool
    ) -> dict[int, ImageOutcome]:
        downloads = await asyncio.gather(
            *(self._download(image_id) for image_id in image_ids), return_exceptions=True
        )
        by_id: dict[int, ImageOutcome] = {}
        blobs: list[tuple[int, bytes, float]] = []
        for image_id, result in zip(image_ids, downloads):
            if isinstance(result, PlateServiceError):
                by_id[image_id] = ImageOutcome(image_id, error=result)
            elif isinstance(result, BaseException):
                raise result
            else:
                blobs.append((image_id, *result))
        if blobs:
            outcomes = await self._recognize_blobs([blob for _, blob, _ in blobs], mode, draw)
            for (image_id, _, download_ms), outcome in zip(blobs, outcomes):
                by_id[image_id] = _with_id(outcome, image_id, download_ms)
        return by_id

    async def read_bytes(self, data: bytes, mode: RecognitionMode = "auto",
                         draw: bool = False) -> ImageOutcome:
        """Recognise an uploaded image; errors are raised, not wrapped."""
        (outcome,) = await self._recognize_blobs([data], mode, draw)
        if outcome.error is not None:
            raise outcome.error
        return outcome

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

    async def _recognize_blobs(
        self, blobs: list[bytes], mode: RecognitionMode, draw: bool
    ) -> list[ImageOutcome]:
        if self._pending + len(blobs) > self._max_pending:
            raise OverloadedError(
                f"recognition queue is full ({self._pending} images pending); retry shortly"
            )
        self._pending += len(blobs)
        self._observer.recognition_queue_changed(self._pending)
        started = time.perf_counter()
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._executor, self._decode_and_recognize,
                                              blobs, mode, draw)
        finally:
            self._pending -= len(blobs)
            self._observer.recognition_queue_changed(self._pending)
            self._observer.recognition_finished(time.perf_counter() - started, len(blobs))

    def _decode_and_recognize(
        self, blobs: list[bytes], mode: RecognitionMode, draw: bool
    ) -> list[ImageOutcome]:
        """Runs on a worker thread: decode every blob, then one batched recognition.

        Drawing happens here too, while the decoded pixels are at hand; its time is not
        counted as recognition.
        """
        started = time.perf_counter()
        decoded: list[np.ndarray | ImageError] = []
        for blob in blobs:
            try:
                decoded.append(decode_image(blob, self._image_limits))
            except ImageError as exc:
                decoded.append(exc)
        images = [item for item in decoded if isinstance(item, np.ndarray)]
        recognitions = iter(self._recognizer.recognize(images, mode) if images else [])
        elapsed_ms = (time.perf_counter() - started) * 1000
        outcomes = []
        for item in decoded:
            if isinstance(item, ImageError):
                outcomes.append(ImageOutcome(None, error=item))
            else:
                recognition = next(recognitions)
                outcomes.append(ImageOutcome(
                    None, recognition=recognition, timings=Timings(0.0, elapsed_ms),
                    annotated_jpeg=annotated_jpeg(item, recognition) if draw else None))
        return outcomes


def _with_id(outcome: ImageOutcome, image_id: int, download_ms: float) -> ImageOutcome:
    if outcome.error is not None:
        outcome.error.image_id = image_id
        return ImageOutcome(image_id, error=outcome.error)
    recognition_ms = outcome.timings.recognition_ms if outcome.timings else 0.0
    return ImageOutcome(image_id, recognition=outcome.recognition,
                        timings=Timings(download_ms, recognition_ms),
                        annotated_jpeg=outcome.annotated_jpeg)
