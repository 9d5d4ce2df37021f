"""The outbox queries behind cue preparation and batched confirmation."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from facilitator.store.base import MessageStatus
from tests.store.factories import SESSION, T0, bulk, cue, store_with_session

S = timedelta(seconds=1)
NO_ID = 2**62  # keyset id "after every row": strictly later due times only


async def test_pending_between_pages_one_lane_in_due_order_read_only(tmp_path: Path) -> None:
    store = await store_with_session(tmp_path)
    await store.fill_outbox(
        SESSION,
        [
            *bulk(3, due=T0 + 5 * S),
            cue("c", due=T0 + 7 * S),
            cue("a", due=T0 + 5 * S),
            cue("b", due=T0 + 5 * S),
            cue("now", due=T0),
            cue("later", due=T0 + 30 * S),
        ],
    )
    rows = await store.pending_between("cue", T0, NO_ID, T0 + 10 * S, 2)
    assert [r.key.rsplit("/", 1)[1] for r in rows] == ["a", "b"]  # due order, then id; not "now"
    last = rows[-1]
    more = await store.pending_between("cue", last.due, last.id, T0 + 10 * S, 2)
    assert [r.key.rsplit("/", 1)[1] for r in more] == ["c"]  # the next page, "later" is outside
    assert all(r.status == MessageStatus.PENDING and r.attempts == 0 for r in [*rows, *more])
    assert len(await store.list_messages(SESSION, statuses=["pending"])) == 8  # nothing claimed

    claimed = await store.claim_due(T0 + 10 * S, "cue", 1)  # a claimed row is no longer pending
    assert claimed[0].key.endswith("/now")
    await store.claim_due(T0 + 10 * S, "cue", 1)
    again = await store.pending_between("cue", T0, NO_ID, T0 + 10 * S, 10)
    assert [r.key.rsplit("/", 1)[1] for r in again] == ["b", "c"]


async def test_next_due_after_looks_at_one_lane_and_pending_rows_only(tmp_path: Path) -> None:
    store = await store_with_session(tmp_path)
    await store.fill_outbox(
        SESSION, [*bulk(2, due=T0 + S), cue("a", due=T0 + 5 * S), cue("b", due=T0 + 9 * S)]
    )
    assert await store.next_due_after("cue", T0) == T0 + 5 * S
    assert await store.next_due_after("cue", T0 + 5 * S) == T0 + 9 * S  # strictly after
    assert await store.next_due_after("bulk", T0) == T0 + S
    assert await store.next_due_after("cue", T0 + 9 * S) is None
    row = await store.message_by_key(f"{SESSION}/move_now/a")
    assert row is not None and await store.cancel_message(row.id)
    assert await store.next_due_after("cue", T0) == T0 + 9 * S


async def test_mark_sent_many_confirms_claimed_rows_only_and_records_each(tmp_path: Path) -> None:
    store = await store_with_session(tmp_path)
    await store.fill_outbox(SESSION, bulk(4))
    claimed = await store.claim_due(T0, "bulk", 3)
    pending = (await store.list_messages(SESSION, statuses=["pending"]))[0]
    confirmed = [(m.id, T0 + S, f"<{m.id}@test>") for m in claimed]
    await store.mark_sent_many([*confirmed, (pending.id, T0 + S, "<never@test>")])
    rows = {m.id: m for m in await store.list_messages(SESSION)}
    for m in claimed:
        assert (rows[m.id].status, rows[m.id].sent_at, rows[m.id].provider_id) == (
            MessageStatus.SENT,
            T0 + S,
            f"<{m.id}@test>",
        )
        assert [(a.outcome, a.provider_id) for a in await store.list_attempts(m.id)] == [
            ("sent", f"<{m.id}@test>")
        ]
    assert rows[pending.id].status == MessageStatus.PENDING  # only `sending` rows are confirmed
    assert await store.list_attempts(pending.id) == []
    await store.mark_sent_many(confirmed)  # a repeat changes nothing and records nothing
    assert [len(await store.list_attempts(m.id)) for m in claimed] == [1, 1, 1]
    await store.mark_sent_many([])
