"""The outbox in SQLite: idempotent fill, atomic ordered claims, guarded state changes."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from facilitator.schedule.model import Lane, MessageKind
from facilitator.store.base import MessageStatus
from facilitator.store.sqlite import SqliteStore
from tests.store.factories import SESSION, T0, bulk, cue, planned, store_with_session

S = timedelta(seconds=1)


async def test_fill_twice_inserts_once(tmp_path: Path) -> None:
    store = await store_with_session(tmp_path)
    messages = [*bulk(50), cue("dr-okafor")]
    assert await store.fill_outbox(SESSION, messages) == 51
    assert await store.fill_outbox(SESSION, messages) == 0
    assert await store.fill_outbox(SESSION, [*messages, planned(f"{SESSION}/extra")]) == 1
    assert len(await store.list_messages(SESSION)) == 52
    assert await store.add_message(SESSION, planned(f"{SESSION}/escalation/1")) is True
    assert await store.add_message(SESSION, planned(f"{SESSION}/escalation/1")) is False


async def test_rows_round_trip_with_aware_utc_times(tmp_path: Path) -> None:
    store = await store_with_session(tmp_path)
    eastern = datetime(2025, 3, 4, 10, 0, tzinfo=UTC).astimezone(
        __import__("zoneinfo").ZoneInfo("America/New_York")
    )
    msg = planned("k1", due=eastern, context={"room": "Group 4", "students": 10}, unless_completed="pre")
    await store.fill_outbox(SESSION, [msg])
    row = await store.message_by_key("k1")
    assert row is not None
    assert row.due == eastern and row.due.utcoffset() == timedelta(0)
    assert row.next_attempt == row.due
    assert row.context == {"room": "Group 4", "students": 10}
    assert (row.status, row.attempts, row.unless_completed) == (MessageStatus.PENDING, 0, "pre")
    with pytest.raises(ValueError, match="naive"):
        await store.fill_outbox(SESSION, [planned("k2", due=datetime(2025, 3, 4, 10, 0))])


async def test_a_message_needs_its_session(tmp_path: Path) -> None:
    store = await store_with_session(tmp_path)
    with pytest.raises(Exception, match="FOREIGN KEY"):
        await store.fill_outbox("no-such-session", [planned("k")])
    assert await store.list_messages("no-such-session") == []


async def test_claim_takes_due_rows_cues_first_then_due_order(tmp_path: Path) -> None:
    store = await store_with_session(tmp_path)
    await store.fill_outbox(
        SESSION,
        [
            planned("late-bulk", due=T0 + 2 * S),
            planned("early-bulk", due=T0),
            cue("dr-a", due=T0 + 3 * S),
            planned("future", due=T0 + 60 * S),
        ],
    )
    claimed = await store.claim_due(T0 + 5 * S, None, 10)
    assert [m.key for m in claimed] == [f"{SESSION}/move_now/dr-a", "early-bulk", "late-bulk"]
    assert all(m.status is MessageStatus.SENDING and m.attempts == 1 for m in claimed)
    assert await store.claim_due(T0 + 5 * S, None, 10) == []  # claimed rows are not claimed again
    assert await store.next_due() == T0 + 60 * S


async def test_claim_by_lane_and_limit(tmp_path: Path) -> None:
    store = await store_with_session(tmp_path)
    await store.fill_outbox(SESSION, [*bulk(5), cue("dr-a"), cue("dr-b")])
    cues = await store.claim_due(T0, Lane.CUE, 10)
    assert {m.lane for m in cues} == {"cue"} and len(cues) == 2
    first = await store.claim_due(T0, Lane.BULK, 3)
    rest = await store.claim_due(T0, Lane.BULK, 3)
    assert [m.key for m in first] == [f"{SESSION}/invite/{i:04d}" for i in range(3)]
    assert len(rest) == 2
    assert await store.claim_due(T0, Lane.BULK, 0) == []


def test_two_concurrent_claimers_never_get_the_same_row(tmp_path: Path) -> None:
    async def setup() -> None:
        store = await store_with_session(tmp_path)
        await store.fill_outbox(SESSION, bulk(600))
        await store.close()

    asyncio.run(setup())
    claimed: list[list[int]] = [[], [], []]
    ready = threading.Barrier(3)

    def claimer(slot: int) -> None:
        async def run() -> None:
            store = await SqliteStore.open(tmp_path / "facilitator.db")
            ready.wait()  # all three connections claim at the same time
            while rows := await store.claim_due(T0, Lane.BULK, 5):
                claimed[slot].extend(m.id for m in rows)
                time.sleep(0.0005)  # let the other writers in (SQLite's busy wait would starve them)
            await store.close()

        asyncio.run(run())

    threads = [threading.Thread(target=claimer, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    everything = [i for ids in claimed for i in ids]
    assert len(everything) == 600 and len(set(everything)) == 600
    assert sum(1 for ids in claimed if ids) >= 2, "the claimers should have competed"


async def test_state_changes_are_guarded_and_recorded(tmp_path: Path) -> None:
    store = await store_with_session(tmp_path)
    await store.fill_outbox(SESSION, bulk(3))
    a, b, c = await store.claim_due(T0, None, 3)
    await store.mark_sent(a.id, T0 + S, "<id@x>")
    await store.mark_sent(a.id, T0 + 9 * S, "<other@x>")  # not sending any more: no-op
    await store.mark_retry(b.id, "connection refused", T0 + 30 * S, at=T0 + S)
    await store.mark_failed(c.id, "550 no such user", at=T0 + S)
    sent, retrying, failed = [await store.get_message(m.id) for m in (a, b, c)]
    assert sent is not None and (sent.status, sent.sent_at, sent.provider_id) == ("sent", T0 + S, "<id@x>")
    assert retrying is not None and (retrying.status, retrying.next_attempt) == ("pending", T0 + 30 * S)
    assert retrying.last_error == "connection refused"
    assert failed is not None and (failed.status, failed.last_error) == ("failed", "550 no such user")
    assert [x.outcome for x in await store.list_attempts(a.id)] == ["sent"]
    assert [(x.outcome, x.error) for x in await store.list_attempts(b.id)] == [
        ("retry", "connection refused")
    ]
    assert await store.claim_due(T0 + 29 * S, None, 5) == []
    assert [m.id for m in await store.claim_due(T0 + 30 * S, None, 5)] == [b.id]


async def test_recover_sending_puts_unconfirmed_rows_back(tmp_path: Path) -> None:
    store = await store_with_session(tmp_path)
    await store.fill_outbox(SESSION, bulk(4))
    claimed = await store.claim_due(T0, None, 3)
    await store.mark_sent(claimed[0].id, T0, "p")
    await store.close()
    store = await SqliteStore.open(tmp_path / "facilitator.db")  # as after a crash
    assert await store.recover_sending(at=T0 + S) == 2
    counts = await store.message_counts(SESSION)
    assert counts == {("invitation", "sent"): 1, ("invitation", "pending"): 3}
    attempts = await store.list_attempts(claimed[1].id)
    assert [x.outcome for x in attempts] == ["interrupted"]
    assert await store.recover_sending() == 0


async def test_cancel_retry_and_expedite(tmp_path: Path) -> None:
    store = await store_with_session(tmp_path)
    await store.fill_outbox(SESSION, [*bulk(2), cue("dr-a", due=T0, deadline=T0 + 60 * S)])
    first = await store.message_by_key(f"{SESSION}/invite/0000")
    assert first is not None
    assert await store.cancel_message(first.id, "student withdrew") is True
    assert await store.cancel_message(first.id) is False  # no longer pending
    cancelled = await store.get_message(first.id)
    assert cancelled is not None and (cancelled.status, cancelled.last_error) == (
        "cancelled",
        "student withdrew",
    )

    cue_row = (await store.claim_due(T0 + 90 * S, Lane.CUE, 1))[0]
    await store.mark_expired(cue_row.id, "too late", at=T0 + 90 * S)
    assert await store.retry_message(cue_row.id, T0 + 100 * S) is True
    again = await store.get_message(cue_row.id)
    assert again is not None and again.status == "pending"
    assert again.next_attempt == T0 + 100 * S and again.deadline == T0 + 160 * S  # window restarts now
    assert await store.retry_message(cue_row.id, T0 + 100 * S) is False  # already pending

    second = (await store.claim_due(T0, Lane.BULK, 1))[0]
    await store.mark_retry(second.id, "down", T0 + 600 * S, at=T0)
    assert await store.expedite_retries("email", T0 + 200 * S) == 1
    expedited = await store.get_message(second.id)
    assert expedited is not None and expedited.next_attempt == T0 + 200 * S
    assert await store.expedite_retries("zoom_chat", T0 + 200 * S) == 0


async def test_list_and_count_filters(tmp_path: Path) -> None:
    store = await store_with_session(tmp_path)
    await store.fill_outbox(SESSION, [*bulk(3), cue("dr-a"), cue("dr-b")])
    (one,) = await store.claim_due(T0, Lane.CUE, 1)
    await store.mark_sent(one.id, T0, "p")
    assert len(await store.list_messages(SESSION, kinds=[MessageKind.MOVE_NOW])) == 2
    assert len(await store.list_messages(SESSION, statuses=["pending"])) == 4
    only = await store.list_messages(SESSION, kinds=["move_now"], statuses=["sent"])
    assert [m.id for m in only] == [one.id]
    assert await store.message_counts(SESSION) == {
        ("invitation", "pending"): 3,
        ("move_now", "pending"): 1,
        ("move_now", "sent"): 1,
    }
    assert await store.next_due() == T0
    assert datetime.now(UTC) > T0  # the fixture time is in the past; nothing here reads the wall clock
