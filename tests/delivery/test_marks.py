"""Confirmations in batches: one transaction for the sends confirmed together, none lost."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from facilitator.delivery.marks import SentMarks
from facilitator.store.base import MessageStatus
from facilitator.store.sqlite import SqliteStore
from tests.store.factories import SESSION, T0, bulk, session_record

S = timedelta(seconds=1)


class CountingStore(SqliteStore):
    """The real store, noting the size of each batch of confirmations it writes."""

    batches: list[int]

    async def mark_sent_many(self, confirmed: Sequence[tuple[int, datetime, str]]) -> None:
        self.batches.append(len(confirmed))
        await super().mark_sent_many(confirmed)


async def _store(tmp_path: Path) -> CountingStore:
    store = await CountingStore.open(tmp_path / "facilitator.db")
    assert isinstance(store, CountingStore)
    store.batches = []
    await store.upsert_session(session_record())
    await store.fill_outbox(SESSION, bulk(10))
    return store


async def test_confirmations_made_together_share_one_transaction(tmp_path: Path) -> None:
    store = await _store(tmp_path)
    rows = await store.claim_due(T0, None, 10)
    marks = SentMarks(store)
    await asyncio.gather(*(marks.mark(r.id, T0 + S, f"<{r.id}@test>") for r in rows[:8]))
    assert store.batches == [8]
    await marks.mark(rows[8].id, T0 + 2 * S, "<late@test>")  # a later one gets its own batch
    assert store.batches == [8, 1]
    sent = await store.list_messages(SESSION, statuses=["sent"])
    assert sorted(m.id for m in sent) == sorted(r.id for r in rows[:9])
    (unconfirmed,) = await store.list_messages(SESSION, statuses=["sending"])
    assert unconfirmed.id == rows[9].id and unconfirmed.status == MessageStatus.SENDING


async def test_a_failed_write_reaches_every_waiter(tmp_path: Path) -> None:
    store = await _store(tmp_path)
    rows = await store.claim_due(T0, None, 3)
    marks = SentMarks(store)
    await store.close()  # the database goes away under the runner
    results = await asyncio.gather(*(marks.mark(r.id, T0, "<x@test>") for r in rows), return_exceptions=True)
    assert all(isinstance(r, sqlite3.ProgrammingError) for r in results)


async def test_a_cancelled_waiter_does_not_cancel_the_others(tmp_path: Path) -> None:
    store = await _store(tmp_path)
    rows = await store.claim_due(T0, None, 2)
    marks = SentMarks(store)
    first = asyncio.create_task(marks.mark(rows[0].id, T0, "<a@test>"))
    second = asyncio.create_task(marks.mark(rows[1].id, T0, "<b@test>"))
    await asyncio.sleep(0)
    first.cancel()
    await second
    with pytest.raises(asyncio.CancelledError):
        await first
    await marks.settle()
    # Both were confirmed by their channel, so both are marked, the cancelled waiter's too.
    assert len(await store.list_messages(SESSION, statuses=["sent"])) == 2
