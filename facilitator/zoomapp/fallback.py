"""Fallback cues: today's move cue for a physician the console could not move, sent at once.

While a capable console is in control, the planned MOVE_NOW cue is held (the outbox asks
`skip_reason` before sending it); when the console fails for a visit, a copy of that planned cue
goes out at once under its own key. Whichever comes first, the physician gets one cue, never two.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from facilitator.clock import Clock
from facilitator.schedule.model import MessageKind, PlannedMessage, Schedule
from facilitator.store.base import OutboxMessage

FALLBACK_MARK = "/console-fallback/"
Note = Callable[[str, bool, str, str | None, int | None], None]  # what, ok, detail, physician, slot


@dataclass
class VisitState:
    issued_at: datetime | None = None  # when the move command went (None: not issued)
    accepted: bool = False
    confirmed: bool = False
    fallback_sent: bool = False
    planned_cue_sent: bool = False
    planned_cue_held: bool = False


class FallbackCues:
    def __init__(
        self,
        schedule: Schedule,
        clock: Clock,
        enqueue: Callable[[PlannedMessage], Awaitable[None]],
        note: Note,
    ) -> None:
        self.schedule = schedule
        self.clock = clock
        self.enqueue = enqueue
        self.note = note
        self.visits: dict[tuple[str, int], VisitState] = {}

    def state(self, facilitator_id: str, slot: int) -> VisitState:
        return self.visits.setdefault((facilitator_id, slot), VisitState())

    def skip_reason(self, row: OutboxMessage, console_usable: bool) -> str | None:
        """Hold a planned MOVE_NOW cue while a capable console moves that physician."""
        if row.kind != MessageKind.MOVE_NOW.value or FALLBACK_MARK in row.key:
            return None
        slot = row.context.get("slot")
        if not isinstance(slot, int):
            return None
        state = self.state(row.recipient_id, slot)
        if state.fallback_sent:
            return "the console's fallback cue for this move was already sent"
        if console_usable:
            state.planned_cue_held = True
            return "the host console moves this physician"
        state.planned_cue_sent = True
        return None

    async def send(self, facilitator_id: str, slot: int, reason: str) -> None:
        state = self.state(facilitator_id, slot)
        if state.fallback_sent or state.planned_cue_sent:
            self.note("warn", True, f"{reason}; the move cue already went", facilitator_id, slot)
            return
        planned = next(
            (
                m
                for m in self.schedule.messages
                if m.kind is MessageKind.MOVE_NOW
                and m.recipient_id == facilitator_id
                and m.context.get("slot") == slot
            ),
            None,
        )
        if planned is None:
            self.note("fallback", False, f"{reason}; no move cue is planned", facilitator_id, slot)
            return
        now = self.clock.now()
        cue = dataclasses.replace(
            planned,
            key=f"{self.schedule.session.id}{FALLBACK_MARK}{facilitator_id}/{slot}",
            due=now,
            deadline=max(planned.deadline, now + timedelta(minutes=2)),
        )
        state.fallback_sent = True
        await self.enqueue(cue)
        self.note("fallback", True, f"move cue sent: {reason}", facilitator_id, slot)
