"""The runner on a manual or scaled clock, with real SQLite and (where it matters) real SMTP."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from facilitator.clock import ManualClock, ScaledClock
from facilitator.delivery.channels.base import Channel, PermanentSendError, Rendered, TransientSendError
from facilitator.delivery.channels.console import ConsoleChannel
from facilitator.delivery.channels.email import EmailChannel
from facilitator.delivery.runner import DeliveryEvent, Runner
from facilitator.schedule.model import MessageKind
from facilitator.store.base import MessageStatus, OutboxMessage
from facilitator.store.sqlite import SqliteStore
from tests.delivery.support import LoopbackSmtp, SmtpSink, plain_render
from tests.store.factories import SESSION, T0, bulk, cue, planned, store_with_session

S = timedelta(seconds=1)
M = timedelta(minutes=1)


@pytest.fixture
def smtp() -> Iterator[LoopbackSmtp]:
    server = LoopbackSmtp(SmtpSink())
    server.start()
    yield server
    server.stop()


class Flaky:
    """A channel that fails the way it is told to, then delivers (to the console channel)."""

    def __init__(self, errors: list[Exception]) -> None:
        self.errors = errors
        self.inner = ConsoleChannel(lambda m, r: None)

    async def send(self, msg: OutboxMessage, rendered: Rendered) -> str:
        if self.errors:
            raise self.errors.pop(0)
        return await self.inner.send(msg, rendered)


async def test_each_message_goes_at_its_due_time(tmp_path: Path) -> None:
    store = await store_with_session(tmp_path)
    await store.fill_outbox(
        SESSION, [planned("a", due=T0), planned("b", due=T0 + 10 * S), cue("c", due=T0 + M)]
    )
    clock = ManualClock(T0 - M)
    console = ConsoleChannel(lambda m, r: None)
    events: list[DeliveryEvent] = []
    runner = Runner(store, clock, {"email": console}, plain_render, on_event=events.append)
    await runner.start()
    await runner.wait_idle()
    assert console.sent == []  # nothing before its time
    await runner.drain_until(T0 + 5 * M)
    await runner.stop()
    rows = await store.list_messages(SESSION)
    assert [(m.key, m.status, m.sent_at) for m in rows] == [
        ("a", MessageStatus.SENT, T0),
        ("b", MessageStatus.SENT, T0 + 10 * S),
        (f"{SESSION}/move_now/c", MessageStatus.SENT, T0 + M),
    ]
    assert [(e.message.key, e.outcome) for e in events] == [(m.key, "sent") for m in rows]
    assert all(m.provider_id and m.provider_id.startswith("console:") for m in rows)


async def test_cue_goes_before_300_bulk_emails_due_at_the_same_moment(
    tmp_path: Path, smtp: LoopbackSmtp
) -> None:
    store = await store_with_session(tmp_path)
    await store.fill_outbox(SESSION, bulk(300))
    await store.fill_outbox(SESSION, [cue("dr-okafor")])  # inserted last: FIFO would send it last
    channel = EmailChannel(smtp.settings(smtp_max_connections=4), clock=ManualClock(T0))
    runner = Runner(store, ManualClock(T0), {"email": channel}, plain_render)
    await runner.start()
    await runner.wait_idle()
    await runner.stop()
    await channel.close()
    keys = smtp.sink.keys()
    assert len(keys) == 301 and len(set(keys)) == 301
    position = keys.index(f"{SESSION}/move_now/dr-okafor")
    # Only sends already started alongside it (at most 3 bulk connections) can arrive before it.
    assert position < 4, f"the cue arrived as message {position + 1} of 301"


async def test_smtp_outage_delivers_in_due_order_after_and_expires_stale_cues(
    tmp_path: Path, smtp: LoopbackSmtp
) -> None:
    store = await store_with_session(tmp_path)
    students = [planned(f"student/{i}", due=T0 + i * M) for i in range(6)]  # one a minute
    await store.fill_outbox(SESSION, [*students, cue("dr-okafor", due=T0 + 2 * M, deadline=T0 + 4 * M)])
    clock = ManualClock(T0 - S)
    channel = EmailChannel(smtp.settings(), clock=clock)
    runner = Runner(store, clock, {"email": channel}, plain_render, concurrency={"email": 1})
    await runner.start()
    smtp.stop()  # down from before the first message until T0 + 12 min
    await runner.drain_until(T0 + 12 * M)
    during = await store.list_messages(SESSION)
    assert smtp.sink.keys() == []
    assert {m.key: m.status for m in during}[f"{SESSION}/move_now/dr-okafor"] == MessageStatus.EXPIRED
    assert all(m.status == MessageStatus.PENDING and m.attempts >= 1 for m in during if m.lane == "bulk")

    smtp.start()  # back, on the same port
    await runner.drain_until(T0 + 40 * M)
    await runner.stop()
    await channel.close()
    assert smtp.sink.keys() == [m.key for m in students]  # all of them, in due order
    after = {m.key: m for m in await store.list_messages(SESSION)}
    expired = after[f"{SESSION}/move_now/dr-okafor"]
    assert expired.status == MessageStatus.EXPIRED and "grace" in (expired.last_error or "")
    assert all(after[m.key].status == MessageStatus.SENT for m in students)
    # they waited for one shared probe, not for their own timers: all went at the same moment
    assert len({after[m.key].sent_at for m in students}) == 1


async def test_a_render_error_fails_only_that_message(tmp_path: Path) -> None:
    store = await store_with_session(tmp_path)
    await store.fill_outbox(SESSION, [planned("ok-1"), planned("bad", template="broken"), planned("ok-2")])
    console = ConsoleChannel(lambda m, r: None)
    runner = Runner(store, ManualClock(T0), {"email": console}, plain_render)
    await runner.start()
    await runner.wait_idle()
    await runner.stop()
    rows = {m.key: m for m in await store.list_messages(SESSION)}
    assert rows["bad"].status == MessageStatus.FAILED
    assert rows["bad"].last_error == "cannot render template 'broken': KeyError: 'room_name'"
    assert rows["ok-1"].status == rows["ok-2"].status == MessageStatus.SENT


async def test_unknown_channel_and_permanent_errors_fail_with_their_reason(tmp_path: Path) -> None:
    store = await store_with_session(tmp_path)
    await store.fill_outbox(SESSION, [planned("carrier-pigeon", channel="pigeon"), planned("rejected")])
    flaky = Flaky([PermanentSendError("550 5.1.1 no such user")])
    runner = Runner(store, ManualClock(T0), {"email": flaky}, plain_render)
    await runner.start()
    await runner.wait_idle()
    await runner.stop()
    rows = {m.key: m for m in await store.list_messages(SESSION)}
    assert (rows["carrier-pigeon"].status, rows["carrier-pigeon"].last_error) == (
        "failed",
        "no 'pigeon' channel is configured",
    )
    assert (rows["rejected"].status, rows["rejected"].attempts) == ("failed", 1)
    assert rows["rejected"].last_error == "550 5.1.1 no such user"


async def test_retry_after_is_honoured_and_gives_up_at_the_deadline(tmp_path: Path) -> None:
    store = await store_with_session(tmp_path)
    await store.fill_outbox(
        SESSION, [planned("hinted", deadline=T0 + 10 * M), planned("doomed", deadline=T0 + M)]
    )
    flaky = Flaky(
        [
            TransientSendError("429 slow down", retry_after=90),  # hinted
            TransientSendError("451 try later"),  # doomed, again and again
            *[TransientSendError("451 try later") for _ in range(20)],
        ]
    )
    clock = ManualClock(T0)
    runner = Runner(store, clock, {"email": flaky}, plain_render, concurrency={"email": 1})
    await runner.start()
    await runner.wait_idle()
    hinted = await store.message_by_key("hinted")
    assert hinted is not None and hinted.next_attempt == T0 + 90 * S
    await runner.drain_until(T0 + 10 * M)
    await runner.stop()
    doomed = await store.message_by_key("doomed")
    assert doomed is not None and doomed.status == MessageStatus.FAILED
    assert "gave up at the deadline" in (doomed.last_error or "") and "451 try later" in (
        doomed.last_error or ""
    )


async def test_should_skip_cancels_with_the_reason(tmp_path: Path) -> None:
    store = await store_with_session(tmp_path)
    await store.fill_outbox(
        SESSION,
        [
            planned("remind-done", kind=MessageKind.PRE_SURVEY_REMINDER, unless_completed="pre"),
            planned("remind-todo", kind=MessageKind.PRE_SURVEY_REMINDER, unless_completed="pre"),
        ],
    )

    async def skip(msg: OutboxMessage) -> str | None:
        return "pre-survey already completed" if msg.key == "remind-done" else None

    console = ConsoleChannel(lambda m, r: None)
    runner = Runner(store, ManualClock(T0), {"email": console}, plain_render, should_skip=skip)
    await runner.start()
    await runner.wait_idle()
    await runner.stop()
    rows = {m.key: m for m in await store.list_messages(SESSION)}
    assert (rows["remind-done"].status, rows["remind-done"].last_error) == (
        "cancelled",
        "pre-survey already completed",
    )
    assert rows["remind-todo"].status == "sent" and [m.key for m, _ in console.sent] == ["remind-todo"]


async def test_poke_sends_a_row_added_at_run_time(tmp_path: Path) -> None:
    store = await store_with_session(tmp_path)
    console = ConsoleChannel(lambda m, r: None)
    runner = Runner(store, ManualClock(T0), {"email": console}, plain_render)
    await runner.start()
    await store.add_message(SESSION, cue("escalation", due=T0))
    runner.poke()
    await runner.wait_idle()
    await runner.stop()
    assert [m.key for m, _ in console.sent] == [f"{SESSION}/move_now/escalation"]


async def test_scaled_clock_wakes_on_the_timer_and_on_jumps(tmp_path: Path) -> None:
    store = await store_with_session(tmp_path)
    # 20 virtual seconds at 200x is 0.1 s of real time; the jump covers the day-later one.
    await store.fill_outbox(
        SESSION, [planned("soon", due=T0 + 20 * S), planned("tomorrow", due=T0 + 24 * 60 * M)]
    )
    clock = ScaledClock(T0, speed=200)
    arrived: asyncio.Queue[str] = asyncio.Queue()

    def note(event: DeliveryEvent) -> None:  # reported once the row is marked sent
        if event.outcome == "sent":
            arrived.put_nowait(event.message.key)

    console = ConsoleChannel(lambda m, r: None)
    runner = Runner(store, clock, {"email": console}, plain_render, on_event=note)
    await runner.start()
    assert await asyncio.wait_for(arrived.get(), 5) == "soon"  # nobody poked: the timer did it
    soon = await store.message_by_key("soon")
    assert soon is not None and soon.sent_at is not None
    assert timedelta(0) <= soon.sent_at - soon.due < 10 * S  # late by under 50 ms of real time
    clock.jump_to(T0 + 24 * 60 * M)
    assert await asyncio.wait_for(arrived.get(), 5) == "tomorrow"
    await runner.stop()


async def test_restart_after_a_crash_loses_nothing_and_resends_only_unconfirmed(
    tmp_path: Path, smtp: LoopbackSmtp
) -> None:
    store = await store_with_session(tmp_path)
    await store.fill_outbox(SESSION, [*bulk(120), cue("dr-a"), cue("dr-b", due=T0 + M)])
    clock = ManualClock(T0)
    channel = EmailChannel(smtp.settings(), clock=clock)
    first_sent: list[str] = []

    def note(event: DeliveryEvent) -> None:
        if event.outcome == "sent":
            first_sent.append(event.message.key)
            if len(first_sent) == 40:
                asyncio.get_running_loop().call_soon(crashed.set)

    crashed = asyncio.Event()
    runner = Runner(store, clock, {"email": channel}, plain_render, on_event=note)
    await runner.start()
    await crashed.wait()
    await runner.stop(graceful=False)  # in-flight sends are cut off, their rows stay `sending`
    await store.claim_due(T0, None, 5)  # and a crash between claim and send leaves more behind
    in_doubt = {m.key for m in await store.list_messages(SESSION, statuses=["sending"])}
    confirmed = {m.key for m in await store.list_messages(SESSION, statuses=["sent"])}
    assert in_doubt and confirmed and len(confirmed) < 122
    await store.close()

    store2 = await SqliteStore.open(tmp_path / "facilitator.db")
    channel2 = EmailChannel(smtp.settings(), clock=clock)
    runner2 = Runner(store2, clock, {"email": channel2}, plain_render)
    await runner2.start()
    assert runner2.recovered == len(in_doubt)
    await runner2.drain_until(T0 + 5 * M)
    await runner2.stop()
    await channel.close()
    await channel2.close()

    rows = await store2.list_messages(SESSION)
    assert len(rows) == 122 and all(m.status == MessageStatus.SENT for m in rows)
    counts: dict[str, int] = {}
    for arrival in smtp.sink.arrivals:
        counts[arrival.message_id] = counts.get(arrival.message_id, 0) + 1
    by_key = {a.message_id: a.key for a in smtp.sink.arrivals}
    assert {by_key[mid] for mid in counts} == {m.key for m in rows}  # every message arrived
    twice = {by_key[mid] for mid, n in counts.items() if n > 1}
    assert twice <= in_doubt  # a duplicate only where the confirmation was not written
    assert not twice & confirmed  # nothing confirmed as sent was sent again


def test_runner_accepts_any_channel_shape() -> None:
    assert isinstance(ConsoleChannel(), Channel)
