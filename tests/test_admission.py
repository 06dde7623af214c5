"""Admission and ImageSlot: an image's place, buffer and thread given back once, however it ends."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from plate_service.admission import Admission
from plate_service.errors import OverloadedError
from tests.waiting import settle, until


class CountingObserver:
    def __init__(self) -> None:
        self.depths: list[int] = []
        self.recognitions = 0

    def recognition_queue_changed(self, depth: int) -> None:
        self.depths.append(depth)

    def recognition_finished(self, seconds: float) -> None:
        self.recognitions += 1


@pytest.fixture
async def executor() -> AsyncIterator[ThreadPoolExecutor]:
    pool = ThreadPoolExecutor(1)
    yield pool
    pool.shutdown(wait=True, cancel_futures=True)


def make_admission(max_pending: int = 10, buffered_images: int = 1,
                   threads: int = 1) -> Admission:
    return Admission(max_pending, buffered_images, threads, CountingObserver())


def assert_all_free(admission: Admission) -> None:
    assert (admission.pending, admission.buffer.held, admission.threads.held) == (0, 0, 0)


async def test_a_request_over_the_limit_is_refused_whole_and_takes_no_place() -> None:
    admission = make_admission(max_pending=3)
    admission.admit(2, owner="first")
    with pytest.raises(OverloadedError):
        admission.admit(2, owner="second")
    assert admission.pending == 2
    assert admission.accepting


async def test_a_slot_gives_back_its_place_buffer_and_thread_once_its_thread_is_done(
    executor: ThreadPoolExecutor
) -> None:
    admission = make_admission()
    (slot,) = admission.admit(1, owner="request")
    await slot.take_buffer()
    assert (admission.pending, admission.buffer.held, admission.threads.held) == (1, 1, 0)
    assert await slot.run(executor, sum, [1, 2]) == 3
    assert_all_free(admission)
    (other,) = admission.admit(1, owner="another request")
    await other.take_buffer()
    slot.close()
    slot.close()  # closing after must not give back the slots another image now holds
    assert (admission.pending, admission.buffer.held) == (1, 1)
    other.close()
    assert_all_free(admission)


async def test_a_slot_closed_while_its_thread_runs_frees_only_when_the_thread_is_done(
    executor: ThreadPoolExecutor
) -> None:
    admission = make_admission()
    release, entered = threading.Event(), threading.Event()

    def blocking() -> None:
        entered.set()
        release.wait(timeout=10)

    (slot,) = admission.admit(1, owner="request")
    await slot.take_buffer()
    task = asyncio.create_task(slot.run(executor, blocking))
    await until(entered.is_set)
    task.cancel()
    await settle()
    slot.close()
    assert (admission.pending, admission.buffer.held, admission.threads.held) == (1, 1, 1), \
        "the thread still has the image"
    release.set()
    await until(lambda: slot.freed)
    assert_all_free(admission)


async def test_work_cancelled_before_a_thread_took_it_never_runs_and_frees_all(
    executor: ThreadPoolExecutor
) -> None:
    admission = make_admission(buffered_images=2, threads=2)
    release = threading.Event()
    executor.submit(release.wait, 10)  # the pool's only thread is busy elsewhere
    ran: list[int] = []
    (slot,) = admission.admit(1, owner="request")
    with slot:
        await slot.take_buffer()
        task = asyncio.create_task(slot.run(executor, ran.append, 1))
        await settle()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    release.set()
    await until(lambda: slot.freed)
    assert ran == []
    assert_all_free(admission)


async def test_a_slot_waiting_for_a_buffer_gives_back_only_its_place_when_cancelled() -> None:
    admission = make_admission(buffered_images=1)
    first, second = admission.admit(2, owner="request")
    await first.take_buffer()
    waiting = asyncio.create_task(second.take_buffer())
    await settle()
    waiting.cancel()
    await settle()
    second.close()
    assert (admission.pending, admission.buffer.held) == (1, 1), "the first image keeps its buffer"
    first.close()
    assert_all_free(admission)


async def test_an_executor_that_refuses_the_work_leaves_nothing_held() -> None:
    admission = make_admission()
    executor = ThreadPoolExecutor(1)
    executor.shutdown()
    (slot,) = admission.admit(1, owner="request")
    with pytest.raises(RuntimeError), slot:
        await slot.take_buffer()
        await slot.run(executor, sum, [1])
    assert_all_free(admission)


async def test_the_observer_hears_every_change_of_the_queue_and_each_thread_end(
    executor: ThreadPoolExecutor
) -> None:
    observer = CountingObserver()
    admission = Admission(10, 2, 2, observer)
    slots = admission.admit(2, owner="request")
    for slot in slots:
        with slot:
            await slot.take_buffer()
            await slot.run(executor, sum, [1])
    assert observer.depths == [2, 1, 0]
    assert observer.recognitions == 2


def test_a_slot_closed_before_it_took_a_buffer_frees_its_place_only() -> None:
    admission = make_admission(max_pending=1)
    (slot,) = admission.admit(1, owner="request")
    assert not admission.accepting
    slot.close()
    assert admission.accepting
    assert_all_free(admission)
