"""Cues rendered ahead of their due time: used at the due moment, never a state of their own."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from facilitator.clock import Clock, ManualClock, ScaledClock
from facilitator.delivery.channels.base import Rendered
from facilitator.delivery.channels.console import ConsoleChannel
from facilitator.delivery.channels.email import EmailChannel
from facilitator.delivery.runner import DeliveryEvent, Runner
from facilitator.store.base import MessageStatus, OutboxMessage
from facilitator.store.sqlite import SqliteStore
from tests.delivery.support import LoopbackSmtp, SmtpSink, plain_render
from tests.store.factories import SESSION, T0, bulk, cue, store_with_session

S = timedelta(seconds=1)
M = timedelta(minutes=1)
AHEAD = 10 * S


class CountingRender:
    """The test renderer, noting which row was rendered at which (virtual) time."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.calls: list[tuple[str, datetime]] = []

    async def __call__(self, msg: OutboxMessage) -> Rendered:
        self.calls.append((msg.key, self.clock.now()))
        return await plain_render(msg)

    def times(self, key: str) -> list[datetime]:
        return [at for k, at in self.calls if k == key]


@pytest.fixture
def smtp() -> Iterator[LoopbackSmtp]:
    server = LoopbackSmtp(SmtpSink())
    server.start()
    yield server
    server.stop()


def _console() -> ConsoleChannel:
    return ConsoleChannel(lambda m, r: None)


async def test_cues_are_rendered_ahead_and_still_sent_at_their_due_time(tmp_path: Path) -> None:
    store = await store_with_session(tmp_path)
    await store.fill_outbox(SESSION, [cue("dr-a"), *bulk(2)])
    clock = ManualClock(T0 - M)
    render = CountingRender(clock)
    console = _console()
    runner = Runner(store, clock, {"email": console}, render, prepare_ahead=AHEAD)
    await runner.start()
    await runner.drain_until(T0 - S)
    key = f"{SESSION}/move_now/dr-a"
    assert render.times(key) == [T0 - AHEAD]  # the timer woke the runner to prepare it
    assert runner.prepared == 1 and console.sent == []  # prepared, not sent
    row = await store.message_by_key(key)
    assert row is not None and (row.status, row.attempts) == (MessageStatus.PENDING, 0)

    await runner.drain_until(T0 + M)
    await runner.stop()
    assert render.times(key) == [T0 - AHEAD]  # the prepared render was used: no second render
    assert [at for k, at in render.calls if "/invite/" in k] == [T0, T0]  # bulk: rendered when due
    rows = await store.list_messages(SESSION)
    assert all(m.status == MessageStatus.SENT and m.sent_at == T0 for m in rows)
    assert console.sent[0][0].key == key and console.sent[0][1].text == f"Hello ({key})"
    assert runner.prepared == 0


async def test_a_prepared_cue_is_never_sent_after_its_deadline(tmp_path: Path) -> None:
    store = await store_with_session(tmp_path)
    await store.fill_outbox(SESSION, [cue("dr-a", deadline=T0 + M)])
    clock = ManualClock(T0 - M)
    console = _console()
    events: list[DeliveryEvent] = []
    runner = Runner(
        store, clock, {"email": console}, plain_render, on_event=events.append, prepare_ahead=AHEAD
    )
    await runner.start()
    await runner.drain_until(T0 - S)
    assert runner.prepared == 1
    clock.set(T0 + 2 * M)  # the process stalled (or the machine slept) past the cue's grace
    await runner.wait_idle()
    await runner.stop()
    (row,) = await store.list_messages(SESSION)
    assert row.status == MessageStatus.EXPIRED and "past its grace" in (row.last_error or "")
    assert console.sent == [] and [e.outcome for e in events] == ["expired"]
    assert runner.prepared == 0


async def test_a_crash_with_prepared_cues_loses_nothing_and_sends_each_once(
    tmp_path: Path, smtp: LoopbackSmtp
) -> None:
    store = await store_with_session(tmp_path)
    cues = [cue(f"dr-{i}") for i in range(20)]
    await store.fill_outbox(SESSION, [*cues, *bulk(30)])
    clock = ManualClock(T0 - M)
    channel = EmailChannel(smtp.settings(), clock=clock)
    runner = Runner(store, clock, {"email": channel}, plain_render, prepare_ahead=AHEAD)
    await runner.start()
    await runner.drain_until(T0 - 2 * S)
    assert runner.prepared == 20
    await runner.stop(graceful=False)  # the process dies holding 20 prepared cues
    await channel.close()
    await store.close()
    assert smtp.sink.keys() == []

    store2 = await SqliteStore.open(tmp_path / "facilitator.db")
    rows = await store2.list_messages(SESSION)
    assert all(m.status == MessageStatus.PENDING and m.attempts == 0 for m in rows)  # untouched
    channel2 = EmailChannel(smtp.settings(), clock=clock)
    render2 = CountingRender(clock)
    runner2 = Runner(store2, clock, {"email": channel2}, render2, prepare_ahead=AHEAD)
    await runner2.start()
    assert runner2.recovered == 0  # preparing claimed nothing, so nothing was left `sending`
    await runner2.drain_until(T0 + M)
    await runner2.stop()
    await channel2.close()
    keys = smtp.sink.keys()
    assert sorted(keys) == sorted(m.key for m in rows) and len(keys) == 50  # all, each once
    assert set(keys[:20]) == {m.key for m in cues}  # the cues first, as always
    assert all(m.status == MessageStatus.SENT for m in await store2.list_messages(SESSION))
    assert len(render2.calls) == 50  # the new process rendered everything itself


async def test_a_cue_cancelled_while_prepared_is_not_sent(tmp_path: Path) -> None:
    store = await store_with_session(tmp_path)
    await store.fill_outbox(SESSION, [cue("dr-a"), cue("dr-b")])
    clock = ManualClock(T0 - M)
    console = _console()
    runner = Runner(store, clock, {"email": console}, plain_render, prepare_ahead=AHEAD)
    await runner.start()
    await runner.drain_until(T0 - S)
    assert runner.prepared == 2
    row = await store.message_by_key(f"{SESSION}/move_now/dr-a")
    assert row is not None and await store.cancel_message(row.id)  # still pending: cancellable
    await runner.drain_until(T0 + 5 * M)  # past both deadlines
    await runner.stop()
    assert [m.key for m, _ in console.sent] == [f"{SESSION}/move_now/dr-b"]
    cancelled = await store.get_message(row.id)
    assert cancelled is not None and cancelled.status == MessageStatus.CANCELLED
    assert runner.prepared == 0  # the unused render was dropped once the cue's grace was over


async def test_a_render_error_while_preparing_fails_only_that_message_when_due(tmp_path: Path) -> None:
    store = await store_with_session(tmp_path)
    await store.fill_outbox(SESSION, [cue("dr-a", template="broken"), cue("dr-b")])
    clock = ManualClock(T0 - M)
    console = _console()
    runner = Runner(store, clock, {"email": console}, plain_render, prepare_ahead=AHEAD)
    await runner.start()
    await runner.drain_until(T0 - S)
    assert runner.prepared == 1  # only the good one
    broken = await store.message_by_key(f"{SESSION}/move_now/dr-a")
    assert broken is not None and broken.status == MessageStatus.PENDING  # not failed early
    await runner.drain_until(T0 + M)
    await runner.stop()
    rows = {m.key: m for m in await store.list_messages(SESSION)}
    failed = rows[f"{SESSION}/move_now/dr-a"]
    assert failed.status == MessageStatus.FAILED
    assert failed.last_error == "cannot render template 'broken': KeyError: 'room_name'"
    assert rows[f"{SESSION}/move_now/dr-b"].status == MessageStatus.SENT


async def test_forgotten_renders_are_made_again(tmp_path: Path) -> None:
    store = await store_with_session(tmp_path)
    await store.fill_outbox(SESSION, [cue("dr-a")])
    clock = ManualClock(T0 - M)
    render = CountingRender(clock)
    console = _console()
    runner = Runner(store, clock, {"email": console}, render, prepare_ahead=AHEAD)
    await runner.start()
    await runner.drain_until(T0 - 5 * S)
    runner.forget_prepared(SESSION)  # e.g. the session's join links changed
    await runner.wait_idle()
    await runner.drain_until(T0 + M)
    await runner.stop()
    key = f"{SESSION}/move_now/dr-a"
    assert render.times(key) == [T0 - AHEAD, T0 - 5 * S]  # made again at once, then used
    assert len(console.sent) == 1


async def test_without_prepare_ahead_cues_render_when_due(tmp_path: Path) -> None:
    store = await store_with_session(tmp_path)
    await store.fill_outbox(SESSION, [cue("dr-a")])
    clock = ManualClock(T0 - M)
    render = CountingRender(clock)
    runner = Runner(store, clock, {"email": _console()}, render, prepare_ahead=timedelta(0))
    await runner.start()
    await runner.drain_until(T0 + M)
    await runner.stop()
    assert render.times(f"{SESSION}/move_now/dr-a") == [T0]


async def test_the_timer_wakes_the_runner_to_prepare_on_a_scaled_clock(tmp_path: Path) -> None:
    store = await store_with_session(tmp_path)
    await store.fill_outbox(SESSION, [cue("dr-a", due=T0 + 20 * S)])
    clock = ScaledClock(T0, speed=20)  # preparing starts 0.5 s of real time from now, due at 1 s
    render = CountingRender(clock)
    sent: asyncio.Queue[DeliveryEvent] = asyncio.Queue()
    runner = Runner(
        store, clock, {"email": _console()}, render, on_event=sent.put_nowait, prepare_ahead=AHEAD
    )
    await runner.start()
    event = await asyncio.wait_for(sent.get(), 5)  # nobody pokes or advances anything
    await runner.stop()
    (rendered_at,) = render.times(event.message.key)
    assert T0 + 10 * S <= rendered_at < T0 + 20 * S  # prepared ahead, within its window
    assert event.outcome == "sent" and event.at >= T0 + 20 * S  # and sent when due, not before


@pytest.mark.parametrize(("speed", "collects"), [(5.0, True), (20.0, False)])
async def test_a_large_burst_gets_its_garbage_collection_before_it_not_during_it(
    tmp_path: Path, speed: float, collects: bool
) -> None:
    store = await store_with_session(tmp_path)
    await store.fill_outbox(SESSION, [cue(f"dr-{i:03d}", due=T0) for i in range(120)])
    # 9 virtual seconds before the burst: at 5x that is 1.8 s of quiet, worth a collection;
    # at 20x it is 0.45 s, too close to the burst to pause.
    clock = ScaledClock(T0 - 9 * S, speed=speed)
    full: list[float] = []

    def note(phase: str, info: dict[str, int]) -> None:
        if phase == "start" and info["generation"] == 2:
            full.append(clock.real_seconds_until(T0) or 0.0)

    gc.callbacks.append(note)
    runner = Runner(store, clock, {"email": _console()}, plain_render, prepare_ahead=AHEAD)
    try:
        await runner.start()
        for _ in range(500):  # preparing 120 renders takes a few milliseconds
            if runner.prepared == 120 and not runner.busy:
                break
            await asyncio.sleep(0.01)
        assert runner.prepared == 120
        await runner.stop()
    finally:
        gc.callbacks.remove(note)
    assert bool(full) is collects
    assert all(seconds > 0.5 for seconds in full)  # well before the burst
    assert all(m.status == MessageStatus.PENDING for m in await store.list_messages(SESSION))
