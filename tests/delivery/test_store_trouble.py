"""The runner when the database refuses work (a full disk) and when the wall clock steps.

The full disk is real: SQLite's `max_page_count` caps the file where it is, so every write that
needs a new page fails with SQLITE_FULL ("database or disk is full"), exactly as on a full disk.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from facilitator.clock import ManualClock, SystemClock
from facilitator.delivery import trouble
from facilitator.delivery.channels.console import ConsoleChannel
from facilitator.delivery.runner import DeliveryEvent, Runner
from facilitator.store.base import MessageStatus
from facilitator.store.sqlite import SqliteStore
from facilitator.store.sqlite_base import connect
from tests.delivery.support import plain_render
from tests.store.factories import SESSION, T0, bulk, cue, store_with_session

S = timedelta(seconds=1)


class CountingStore(SqliteStore):
    """The real store, counting how often the runner tries to claim."""

    claims = 0

    async def claim_due(self, now: datetime, lane: str | None, limit: int) -> list:  # type: ignore[type-arg]
        self.claims += 1
        return await super().claim_due(now, lane, limit)


def fill_the_disk(store: SqliteStore) -> None:
    pages = store._conn.execute("PRAGMA page_count").fetchone()[0]
    store._conn.execute(f"PRAGMA max_page_count = {pages}")


def free_the_disk(store: SqliteStore) -> None:
    store._conn.execute("PRAGMA max_page_count = 1073741823")


async def test_a_full_disk_backs_off_says_so_once_and_resumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(trouble, "STORE_RETRY_FIRST", 0.05)
    seeded = await store_with_session(tmp_path)
    await seeded.fill_outbox(SESSION, bulk(400))
    await seeded.close()
    store = CountingStore(connect(tmp_path / "facilitator.db"))
    notes: list[str] = []
    console = ConsoleChannel(lambda m, r: None)
    sent: list[DeliveryEvent] = []

    def on_event(event: DeliveryEvent) -> None:  # the disk fills up in the middle of the burst
        sent.append(event)
        if len(sent) == 50:
            fill_the_disk(store)

    runner = Runner(
        store, ManualClock(T0), {"email": console}, plain_render, on_event=on_event, note=notes.append
    )
    await runner.start()
    await asyncio.sleep(1.5)
    claims_while_full = store.claims
    refusals = [n for n in notes if "refuses work" in n]
    assert len(refusals) == 1 and "disk is full" in refusals[0], notes
    assert claims_while_full < 30, f"{claims_while_full} claims in 1.5 s: the runner spins"
    assert len(console.sent) < 400
    free_the_disk(store)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        counts = await store.message_counts(SESSION)
        if counts.get(("invitation", "sent")) == 400:
            break
        await asyncio.sleep(0.05)
    await runner.wait_idle()
    await runner.stop()
    counts = await store.message_counts(SESSION)
    assert counts == {("invitation", "sent"): 400}, counts  # none left `sending`, none failed
    # Only rows whose confirmation could not be written went twice (the at-least-once window).
    keys = [m.key for m, _ in console.sent]
    assert set(keys) == {m.key for m in await store.list_messages(SESSION)}
    assert any("accepts writes again" in n for n in notes), notes
    await store.close()


class SteppableWall:
    """Wall time that a test can step, as NTP or a laptop waking from sleep does."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


async def test_a_forward_wall_clock_step_is_noticed_within_a_second(tmp_path: Path) -> None:
    wall = SteppableWall()
    clock = SystemClock(wall=wall)
    store = await store_with_session(tmp_path)
    due = clock.now() + timedelta(minutes=10)
    await store.fill_outbox(SESSION, [cue("dr-okafor", due=due)])
    console = ConsoleChannel(lambda m, r: None)
    runner = Runner(store, clock, {"email": console}, plain_render)
    await runner.start()
    await asyncio.sleep(0.3)
    assert console.sent == []
    wall.offset += 10 * 60 + 1  # the wall clock jumps past the cue's due time
    stepped_at = time.monotonic()
    while not console.sent and time.monotonic() - stepped_at < 5:
        await asyncio.sleep(0.02)
    noticed = time.monotonic() - stepped_at
    await runner.stop()
    assert console.sent, "the cue was not sent after the step"
    assert noticed < 2.0, f"noticed the step after {noticed:.2f} s"  # checked every 0.5 s; slack for load
    assert clock.steps and clock.steps[0] == pytest.approx(601, abs=0.5)
    (row,) = await store.list_messages(SESSION)
    assert row.status is MessageStatus.SENT
    await store.close()


async def test_a_backward_step_holds_a_cue_until_its_time_comes_again(tmp_path: Path) -> None:
    wall = SteppableWall()
    clock = SystemClock(wall=wall)
    store = await store_with_session(tmp_path)
    await store.fill_outbox(SESSION, [cue("dr-okafor", due=clock.now() + 0.6 * S)])
    console = ConsoleChannel(lambda m, r: None)
    runner = Runner(store, clock, {"email": console}, plain_render)
    await runner.start()
    wall.offset -= 3600  # an hour back: the cue is now an hour and a moment away
    await asyncio.sleep(1.5)
    assert console.sent == []
    wall.offset = 0.0
    await asyncio.sleep(1.0)
    await runner.stop()
    assert len(console.sent) == 1
    await store.close()
