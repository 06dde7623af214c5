"""FairSemaphore: bounded slots, served in turn by owner, safe under cancellation."""

from __future__ import annotations

import asyncio

import pytest

from plate_service.scheduling import FairSemaphore
from tests.waiting import settle


async def test_freed_slots_go_round_robin_between_owners_not_in_arrival_order() -> None:
    gate = FairSemaphore(1)
    await gate.acquire("holder")
    served: list[str] = []

    async def take(owner: str, name: str) -> None:
        await gate.acquire(owner)
        served.append(name)

    tasks = [asyncio.create_task(take("batch", f"batch-{i}")) for i in range(4)]
    await settle()
    tasks.append(asyncio.create_task(take("single", "single")))
    await settle()
    for _ in range(5):
        gate.release()
        await settle()
    await asyncio.gather(*tasks)
    assert served == ["batch-0", "single", "batch-1", "batch-2", "batch-3"]
    assert (gate.held, gate.waiting) == (1, 0)


async def test_never_more_holders_than_capacity() -> None:
    gate = FairSemaphore(2)
    await gate.acquire("a")
    await gate.acquire("b")
    third = asyncio.create_task(gate.acquire("c"))
    await settle()
    assert not third.done() and gate.held == 2
    gate.release()
    await third
    assert gate.held == 2


async def test_a_cancelled_waiter_leaves_the_queue_and_its_turn_passes_on() -> None:
    gate = FairSemaphore(1)
    await gate.acquire("holder")
    gone = asyncio.create_task(gate.acquire("gone"))
    stays = asyncio.create_task(gate.acquire("stays"))
    await settle()
    gone.cancel()
    await settle()
    assert gate.waiting == 1
    gate.release()
    await stays
    assert gate.held == 1


async def test_a_waiter_cancelled_right_after_its_grant_hands_the_slot_on() -> None:
    gate = FairSemaphore(1)
    await gate.acquire("holder")
    granted = asyncio.create_task(gate.acquire("granted"))
    nxt = asyncio.create_task(gate.acquire("next"))
    await settle()
    gate.release()  # grants "granted", whose task has not run yet
    granted.cancel()
    await settle()
    assert nxt.done() and gate.held == 1


def test_releasing_more_than_acquired_is_a_bug_that_raises() -> None:
    with pytest.raises(RuntimeError):
        FairSemaphore(1).release()
