"""The per-channel limiter: cues are served first and always find a reserved slot."""

from __future__ import annotations

import asyncio

import pytest

from facilitator.delivery.limiter import PriorityLimiter


async def test_bulk_cannot_take_the_reserved_slot_but_a_cue_can() -> None:
    limiter = PriorityLimiter(3, reserved=1)
    await limiter.acquire(False)
    await limiter.acquire(False)
    blocked = asyncio.create_task(limiter.acquire(False))
    await asyncio.sleep(0)
    assert not blocked.done() and limiter.in_use == 2
    await asyncio.wait_for(limiter.acquire(True), 1)  # the reserved slot
    assert limiter.in_use == 3
    blocked.cancel()
    with pytest.raises(asyncio.CancelledError):
        await blocked


async def test_waiting_cues_go_before_waiting_bulk() -> None:
    limiter = PriorityLimiter(1)
    await limiter.acquire(False)
    order: list[str] = []

    async def take(name: str, priority: bool) -> None:
        async with limiter.slot(priority):
            order.append(name)

    tasks = [asyncio.create_task(take(f"bulk{i}", False)) for i in range(3)]
    await asyncio.sleep(0)
    tasks.append(asyncio.create_task(take("cue", True)))
    await asyncio.sleep(0)
    limiter.release(False)
    await asyncio.gather(*tasks)
    assert order == ["cue", "bulk0", "bulk1", "bulk2"]
    assert limiter.in_use == 0


async def test_cancelled_waiter_does_not_leak_a_slot() -> None:
    limiter = PriorityLimiter(1)
    await limiter.acquire(True)
    waiter = asyncio.create_task(limiter.acquire(False))
    await asyncio.sleep(0)
    waiter.cancel()
    await asyncio.gather(waiter, return_exceptions=True)
    limiter.release(True)
    assert limiter.in_use == 0
    await asyncio.wait_for(limiter.acquire(False), 1)


async def test_no_bulk_send_starts_while_a_cue_is_in_flight() -> None:
    limiter = PriorityLimiter(4, reserved=1)
    await limiter.acquire(True)  # a cue is being sent
    bulk = asyncio.create_task(limiter.acquire(False))
    await asyncio.sleep(0)
    assert not bulk.done() and limiter.in_use == 1  # three slots free, yet bulk waits
    limiter.release(True)
    await asyncio.wait_for(bulk, 1)
    assert (limiter.in_use, limiter.priority_in_use) == (1, 0)
