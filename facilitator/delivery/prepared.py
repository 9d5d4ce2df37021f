"""Cues rendered shortly before they fall due, so that at the due moment only send and mark remain.

When every session's cues fall due at the same second, rendering them then (context, links,
three Jinja templates each) is what makes the last of them late. Cue renders do not depend on
the time they are made: they come from the row's columns that never change once it is
inserted (template, context, recipient, kind) and from the session's schedule and links (when
those change, `Runner.forget_prepared` drops the session's renders). So the runner makes them
a few seconds early, during the quiet before the moment, and keeps them here by row id.

This is a cache, never a state. The rows stay `pending` in the database until they are claimed
at their due time, exactly as without it; so a crash with prepared cues loses nothing (they are
rendered again after the restart), a cue cancelled meanwhile is simply never claimed, and a
cue claimed after its deadline is expired by the usual check before its render is even looked
up. A render that fails here is dropped: the row renders again when due, and that error then
fails that one message with its reason. Memory is bounded by `limit` entries; an entry whose
row is past its deadline is dropped (such a row can no longer be sent).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from facilitator.delivery.channels.base import Rendered
from facilitator.store.base import OutboxMessage, Store

log = logging.getLogger(__name__)

CHUNK = 8  # rows rendered between two yields to the event loop (about a millisecond of CPU)
DEFAULT_LIMIT = 5000  # prepared renders kept at most (a cue is a few KiB)
_AFTER_ALL = 2**62  # a keyset id past every row: "strictly after this due time"

RenderFn = Callable[[OutboxMessage], Awaitable[Rendered]]


class PreparedRenders:
    """Renders of one lane's rows due within `ahead`, made before they are due."""

    def __init__(self, render: RenderFn, lane: str, ahead: timedelta, *, limit: int = DEFAULT_LIMIT) -> None:
        self._render = render
        self.lane = lane
        self.ahead = max(ahead, timedelta(0))
        self._limit = limit
        self._entries: dict[int, tuple[str, datetime, Rendered]] = {}  # id: session, deadline, render
        self._horizon: datetime | None = None  # rows due up to here have been looked at
        self._soonest: datetime | None = None  # the earliest deadline among the entries

    @property
    def enabled(self) -> bool:
        return self.ahead > timedelta(0)

    def __len__(self) -> int:
        return len(self._entries)

    def take(self, message_id: int) -> Rendered | None:
        """The prepared render of a claimed row (used once), or None: render it now."""
        entry = self._entries.pop(message_id, None)
        return None if entry is None else entry[2]

    def discard(self, message_id: int) -> None:
        self._entries.pop(message_id, None)

    def forget(self, session_id: str | None = None) -> None:
        """Drop the renders of one session (or all): what they were made from has changed.
        Its rows due within `ahead` are prepared again at the next look, or rendered when due."""
        for mid in [m for m, e in self._entries.items() if session_id in (None, e[0])]:
            del self._entries[mid]
        self._horizon = None

    async def next_start(self, store: Store, now: datetime) -> datetime | None:
        """When preparing should next begin: `ahead` before the next due row not yet looked at
        (at or before `now`: preparing is due now)."""
        if not self.enabled:
            return None
        self._evict(now)
        after = self._horizon if self._horizon is not None else now
        due = await store.next_due_after(self.lane, after)
        return None if due is None else due - self.ahead

    async def fill(self, store: Store, now: datetime, *, pause: Callable[[], Awaitable[None]]) -> int:
        """Render the lane's pending rows due in (horizon, now + ahead]; returns how many.

        `pause` is awaited between chunks, so sends already in flight are not held up by
        more than one chunk's CPU at a time.
        """
        until = now + self.ahead
        self._evict(now)
        # Strictly after the horizon (or now: rows due now are being claimed, not prepared).
        after, after_id = (self._horizon if self._horizon is not None else now), _AFTER_ALL
        if until <= after:
            return 0
        made = 0
        try:
            while len(self._entries) < self._limit:
                rows = await store.pending_between(self.lane, after, after_id, until, CHUNK)
                for row in rows:
                    if row.id in self._entries or len(self._entries) >= self._limit:
                        continue
                    try:
                        rendered = await self._render(row)
                        self._entries[row.id] = (row.session_id, row.deadline, rendered)
                        if self._soonest is None or row.deadline < self._soonest:
                            self._soonest = row.deadline
                        made += 1
                    except Exception:  # rendered again when due; the error then fails that message
                        log.debug("could not prepare message %s; it will be rendered when due", row.id)
                if len(rows) < CHUNK:
                    break
                after, after_id = rows[-1].due, rows[-1].id
                await pause()
        finally:  # whatever happened, this window has had its chance: never loop on it
            self._horizon = until
        return made

    def _evict(self, now: datetime) -> None:
        """Drop renders of rows past their deadline (never sent now: a cancelled cue, say)."""
        if self._soonest is None or now <= self._soonest:
            return
        for mid in [m for m, (_, deadline, _) in self._entries.items() if deadline < now]:
            del self._entries[mid]
        self._soonest = min((e[1] for e in self._entries.values()), default=None)


async def yield_once() -> None:
    """The default pause between chunks: one turn of the event loop."""
    await asyncio.sleep(0)
