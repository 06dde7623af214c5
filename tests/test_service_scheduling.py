"""PlateService's scheduling rules: per-ID shared work, admission first, bounded buffers,
and every image's place, buffer and thread given back however its work ends.

The image source and the reader are gated by hand (events, not sleeps), so each test
sets up exactly the interleaving it names.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from plate_service.config import LimitsConfig
from plate_service.errors import ImageNotFoundError, InvalidImageError, OverloadedError
from plate_service.recognition.types import OcrReading
from plate_service.result_cache import create_result_cache
from plate_service.service import ImageOutcome, PlateService
from tests.fakes import FakeReader, fake_recognizer, plate_like_jpeg
from tests.waiting import settle, until


class GatedSource:
    """Serves a plate-like JPEG per ID once that ID's gate opens; IDs in ``missing`` 404,
    IDs in ``garbage`` are bytes that are no image."""

    def __init__(self) -> None:
        self.gates: dict[int, asyncio.Event] = {}
        self.hits: Counter[int] = Counter()
        self.cancelled: set[int] = set()
        self.missing: set[int] = set()
        self.garbage: set[int] = set()
        self.open_all = False

    def gate(self, image_id: int) -> asyncio.Event:
        return self.gates.setdefault(image_id, asyncio.Event())

    async def get_image(self, image_id: int) -> bytes:
        self.hits[image_id] += 1
        try:
            if not self.open_all:
                await self.gate(image_id).wait()
        except asyncio.CancelledError:
            self.cancelled.add(image_id)
            raise
        if image_id in self.missing:
            raise ImageNotFoundError(f"image {image_id} does not exist", image_id=image_id,
                                     upstream_status=404)
        if image_id in self.garbage:
            return b"not an image"
        return plate_like_jpeg(width=200 + image_id)  # the width tells images apart


class GatedReader(FakeReader):
    """A reader that blocks its worker thread until ``release`` is set; logs image widths."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.entered = threading.Event()
        self.widths: list[int] = []

    def read(self, crops: Sequence[np.ndarray], lines: Sequence[int] | None = None,
             *, min_confidence: float = 0.0) -> list[OcrReading]:
        self.widths.extend(crop.shape[1] for crop in crops)
        self.entered.set()
        self.release.wait(timeout=10)
        return super().read(crops)


@pytest.fixture
def source() -> GatedSource:
    return GatedSource()


@pytest.fixture
async def executor() -> AsyncIterator[ThreadPoolExecutor]:
    pool = ThreadPoolExecutor(2)
    yield pool
    pool.shutdown(wait=True, cancel_futures=True)


def make_service(source: GatedSource, executor: ThreadPoolExecutor,
                 reader: FakeReader | None = None, *, max_pending: int = 100,
                 buffered_images: int = 100, threads: int = 2,
                 cache_entries: int = 0) -> PlateService:
    return PlateService(
        source, fake_recognizer(reader or FakeReader()), executor,
        LimitsConfig(max_pending_recognitions=max_pending, max_batch_size=max_pending),
        create_result_cache(cache_entries, 60), buffered_images=buffered_images, threads=threads)


def assert_all_free(service: PlateService) -> None:
    """No image holds a pending place, a buffer or a thread, and none waits for one."""
    admission = service.admission
    assert (admission.pending, admission.buffer.held, admission.threads.held) == (0, 0, 0)
    assert (admission.buffer.waiting, admission.threads.waiting) == (0, 0)


def plates(outcomes: list[ImageOutcome]) -> list[str | None]:
    return [o.recognition.plates[0].reading.text_latin if o.recognition else None
            for o in outcomes]


async def test_a_request_gets_its_id_without_waiting_for_the_batch_it_joined(
    source: GatedSource, executor: ThreadPoolExecutor
) -> None:
    service = make_service(source, executor)
    batch = asyncio.create_task(service.read_ids([1, 2]))
    await settle()
    single = asyncio.create_task(service.read_ids([2]))
    source.gate(2).set()
    (outcome,) = await asyncio.wait_for(single, 5)
    assert outcome.image_id == 2 and outcome.error is None
    assert not batch.done(), "the batch still waits for its slow ID 1"
    assert source.hits[2] == 1, "the single request joined the batch's download"
    source.gate(1).set()
    assert [o.image_id for o in await batch] == [1, 2]


async def test_each_id_resolves_to_its_own_outcome(
    source: GatedSource, executor: ThreadPoolExecutor
) -> None:
    source.missing.add(1)
    source.open_all = True
    service = make_service(source, executor)
    batch, single = await asyncio.gather(service.read_ids([1, 2, 1]), service.read_ids([2]))
    assert [type(o.error) for o in batch] == [ImageNotFoundError, type(None),
                                              ImageNotFoundError]
    assert batch[0].error is not None and batch[0].error.image_id == 1
    assert single[0].error is None and plates(single) == ["C181MB190"]
    assert source.hits == Counter({1: 1, 2: 1})


async def test_overload_is_refused_before_any_download(
    source: GatedSource, executor: ThreadPoolExecutor
) -> None:
    service = make_service(source, executor, max_pending=3)
    first = asyncio.create_task(service.read_ids([1, 2, 3]))
    await settle()
    with pytest.raises(OverloadedError):
        await service.read_ids([3, 4])  # 3 is shared, 4 would be a fourth pending image
    assert 4 not in source.hits
    joiner = asyncio.create_task(service.read_ids([2]))  # joining costs no new place
    await settle()
    assert not joiner.done()
    for image_id in (1, 2, 3):
        source.gate(image_id).set()
    await asyncio.gather(first, joiner)
    assert service.pending == 0


async def test_a_joiner_does_not_inherit_the_owners_cancellation(
    source: GatedSource, executor: ThreadPoolExecutor
) -> None:
    service = make_service(source, executor)
    owner = asyncio.create_task(service.read_ids([1, 2]))
    await settle()
    joiner = asyncio.create_task(service.read_ids([2]))
    await settle()
    owner.cancel()
    await settle()
    assert source.cancelled == {1}, "ID 1 had no other waiter; ID 2 has the joiner"
    source.gate(2).set()
    (outcome,) = await asyncio.wait_for(joiner, 5)
    assert outcome.error is None and outcome.image_id == 2
    await until(lambda: service.pending == 0)


async def test_work_nobody_waits_for_is_cancelled_and_its_place_freed(
    source: GatedSource, executor: ThreadPoolExecutor
) -> None:
    service = make_service(source, executor, max_pending=1)
    request = asyncio.create_task(service.read_ids([1]))
    await settle()
    assert service.pending == 1
    request.cancel()
    await settle()
    assert source.cancelled == {1}
    assert service.pending == 0
    retry = asyncio.create_task(service.read_ids([1]))  # a fresh job, not the cancelled one
    await settle()
    assert source.hits[1] == 2
    source.gate(1).set()
    assert (await retry)[0].error is None


async def test_a_request_arriving_as_abandoned_work_is_cancelled_starts_afresh(
    source: GatedSource, executor: ThreadPoolExecutor
) -> None:
    service = make_service(source, executor)
    first = asyncio.create_task(service.read_ids([1]))
    await settle()
    first.cancel()
    await asyncio.sleep(0)  # the request has left; its job has not seen the cancel yet
    second = asyncio.create_task(service.read_ids([1]))
    await settle()
    source.gate(1).set()
    assert (await asyncio.wait_for(second, 5))[0].error is None
    assert source.hits[1] == 2


async def test_pending_is_released_only_when_the_worker_thread_really_ends(
    source: GatedSource, executor: ThreadPoolExecutor
) -> None:
    reader = GatedReader()
    source.open_all = True
    service = make_service(source, executor, reader, max_pending=1)
    request = asyncio.create_task(service.read_ids([1]))
    await until(reader.entered.is_set)
    request.cancel()
    await settle()
    assert service.pending == 1, "the thread still holds the image"
    with pytest.raises(OverloadedError):
        await service.read_ids([2])
    reader.release.set()
    await until(lambda: service.pending == 0)
    assert (await service.read_ids([2]))[0].error is None


async def test_images_held_as_bytes_never_exceed_the_buffer(
    source: GatedSource, executor: ThreadPoolExecutor
) -> None:
    reader = GatedReader()
    source.open_all = True
    service = make_service(source, executor, reader, buffered_images=2, threads=1)
    batch = asyncio.create_task(service.read_ids(list(range(1, 6))))
    await until(reader.entered.is_set)
    await settle()
    # One image in the worker thread, one downloaded and waiting: no third download.
    assert sum(source.hits.values()) == 2
    reader.release.set()
    assert len(await batch) == 5
    assert sum(source.hits.values()) == 5


async def test_one_image_request_waits_one_turn_behind_a_batch_not_the_whole_batch(
    source: GatedSource, executor: ThreadPoolExecutor
) -> None:
    reader = GatedReader()
    source.open_all = True
    service = make_service(source, executor, reader, threads=1)
    batch = asyncio.create_task(service.read_ids(list(range(1, 11))))
    await until(reader.entered.is_set)
    single = asyncio.create_task(service.read_ids([50]))
    await settle()
    reader.release.set()
    await asyncio.gather(batch, single)
    order = [width - 200 for width in reader.widths]
    assert sorted(order) == [*range(1, 11), 50]
    assert order.index(50) <= 2, f"recognition order {order}"


async def test_a_batch_cancelled_midway_frees_every_slot_once_its_thread_is_done(
    source: GatedSource, executor: ThreadPoolExecutor
) -> None:
    reader = GatedReader()
    for image_id in (1, 2):
        source.gate(image_id).set()
    service = make_service(source, executor, reader, buffered_images=3, threads=1)
    batch = asyncio.create_task(service.read_ids(list(range(1, 7))))
    await until(reader.entered.is_set)
    await settle()
    # 1 on the thread, 2 downloaded and waiting for it, 3 downloading, 4-6 waiting for a
    # buffer: every stage a cancellation can meet.
    admission = service.admission
    assert (admission.pending, admission.buffer.held, admission.threads.held) == (6, 3, 1)
    assert (admission.buffer.waiting, admission.threads.waiting) == (3, 1)
    batch.cancel()
    await settle()
    assert source.cancelled == {3}
    assert (admission.pending, admission.buffer.held, admission.threads.held) == (1, 1, 1), \
        "image 1 is still on its thread"
    reader.release.set()
    await until(lambda: service.pending == 0)
    assert_all_free(service)


async def test_a_batch_that_times_out_frees_every_slot(
    source: GatedSource, executor: ThreadPoolExecutor
) -> None:
    source.gate(1).set()
    service = make_service(source, executor, buffered_images=2, threads=1)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(service.read_ids([1, 2, 3]), 0.2)
    await until(lambda: service.pending == 0)
    assert_all_free(service)


@pytest.mark.parametrize("ending", ["read", "not found", "not an image"])
async def test_each_way_an_id_ends_frees_its_slots_and_names_the_id(
    source: GatedSource, executor: ThreadPoolExecutor, ending: str
) -> None:
    source.open_all = True
    if ending == "not found":
        source.missing.add(7)
    if ending == "not an image":
        source.garbage.add(7)
    service = make_service(source, executor, buffered_images=1, threads=1)
    (outcome,) = await service.read_ids([7])
    assert outcome.image_id == 7
    if ending == "read":
        assert outcome.error is None and outcome.recognition is not None
    else:
        assert outcome.error is not None and outcome.error.image_id == 7
    assert_all_free(service)


async def test_an_overloaded_request_holds_nothing(
    source: GatedSource, executor: ThreadPoolExecutor
) -> None:
    service = make_service(source, executor, max_pending=1)
    first = asyncio.create_task(service.read_ids([1]))
    await settle()
    with pytest.raises(OverloadedError):
        await service.read_ids([2])
    with pytest.raises(OverloadedError):
        await service.read_upload(lambda: asyncio.sleep(0, plate_like_jpeg()))
    assert (service.pending, service.admission.buffer.held) == (1, 1), "only the first image's"
    source.gate(1).set()
    await first
    assert_all_free(service)


async def test_each_way_an_upload_ends_frees_its_slots(
    source: GatedSource, executor: ThreadPoolExecutor
) -> None:
    service = make_service(source, executor, buffered_images=1, threads=1)

    async def body(data: bytes) -> bytes:
        return data

    async def client_gone() -> bytes:
        raise ConnectionResetError

    outcome = await service.read_upload(lambda: body(plate_like_jpeg()))
    assert outcome.image_id is None and outcome.recognition is not None
    with pytest.raises(InvalidImageError):
        await service.read_upload(lambda: body(b"not an image"))
    with pytest.raises(ConnectionResetError):
        await service.read_upload(client_gone)
    assert_all_free(service)
