"""Carrying out the rotation and noticing when it slips.

At each slot start the watcher asks the meeting driver for the moves the slot needs (the default
`CueingDriver` acts through people: the cues are already in the outbox, so it only records what
is now expected; a driver that acts inside the meeting could do the moves itself). 2 minutes into
each slot it compares the live rooms with the schedule.

A facilitator who is not where the schedule says gets an escalation cue (an outbox row like any
other, keyed by facilitator and slot, so it is sent once). Every check is recorded, so the run's
summary can report adherence: who was in place on time, who was late, who never arrived.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from facilitator.clock import Clock
from facilitator.schedule.messages import visit_context
from facilitator.schedule.model import (
    Audience,
    FacilitatorInfo,
    Lane,
    MessageKind,
    PlannedMessage,
    Schedule,
    Slot,
)
from facilitator.schedule.wording import ESCALATION_AFTER, missed_move
from facilitator.zoom.live import MAIN, UNMAPPED, LiveRoomState, Misplacement
from facilitator.zoom.meeting_driver import CueingDriver, MeetingDriver

CHECK_AFTER = ESCALATION_AFTER  # one grace for the cue and the dashboard's alarm


@dataclass
class VisitOutcome:
    facilitator: str
    group: str
    slot: int
    on_time: bool | None = None  # in place at the check (None: not checked yet)
    escalated: bool = False
    arrived: bool | None = None  # in place by the end of the slot


@dataclass
class Adherence:
    """Per visit: was the facilitator in place 2 minutes in, and by the end of the slot."""

    visits: dict[tuple[str, int], VisitOutcome] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        values = list(self.visits.values())
        return {
            "visits": len(values),
            "on_time": sum(1 for v in values if v.on_time),
            "late": sum(1 for v in values if v.on_time is False and v.arrived),
            "missed": sum(1 for v in values if v.on_time is False and not v.arrived),
            "escalated": sum(1 for v in values if v.escalated),
        }


def _missed_move_message(
    schedule: Schedule,
    slot: Slot,
    miss: Misplacement,
    kind: MessageKind,
    audience: Audience,
    person: FacilitatorInfo,
    key: str,
    extra: dict[str, object],
) -> PlannedMessage:
    """One cue about a missed move, due 2 minutes into the slot and useless after it."""
    group = schedule.group(miss.expected_group)
    return PlannedMessage(
        key=key,
        kind=kind,
        audience=audience,
        recipient=person.email,
        recipient_id=person.id,
        channel=person.channel,
        template=kind.value,
        due=slot.start + CHECK_AFTER,
        deadline=slot.end,
        lane=Lane.CUE,
        context={
            "session_id": schedule.session.id,
            "session_title": schedule.session.title,
            **visit_context(miss.facilitator_id, group, slot),
            **extra,
        },
    )


def escalation_message(schedule: Schedule, slot: Slot, miss: Misplacement) -> PlannedMessage:
    """The late facilitator's own cue: where they are due, and where Zoom shows them."""
    fac = schedule.facilitator(miss.facilitator_id)
    actual = miss.actual_group
    extra: dict[str, object] = {
        "current_group_id": actual if actual not in (None, MAIN, UNMAPPED) else None,
        "in_meeting": actual is not None,
    }
    key = f"{schedule.session.id}/escalation/{fac.id}/{slot.index}"
    return _missed_move_message(
        schedule, slot, miss, MessageKind.ESCALATION, Audience.FACILITATOR, fac, key, extra
    )


def miss_in_words(schedule: Schedule, slot: Slot, miss: Misplacement) -> str:
    """ "Dr. Amara Okafor is not in Group 5, 2 minutes into slot 2 (Zoom shows them in Group 2)":
    the dashboard's alarm, the host's escalation and the run summary all say it this way."""
    fac = schedule.facilitator(miss.facilitator_id)
    group = schedule.group(miss.expected_group)
    names = {g.id: g.name for g in schedule.groups}
    minutes = int(CHECK_AFTER / timedelta(minutes=1))
    return missed_move(fac.name, group.name, slot.index + 1, minutes, miss.whereabouts(names))


def host_escalation_messages(schedule: Schedule, slot: Slot, miss: Misplacement) -> list[PlannedMessage]:
    """The same miss, told to the host and co-directors in words: who, where due, where they are."""
    fac = schedule.facilitator(miss.facilitator_id)
    text = miss_in_words(schedule, slot, miss) + "; they have been told."
    extra: dict[str, object] = {"facilitator_name": fac.name, "escalation_text": text}
    return [
        _missed_move_message(
            schedule,
            slot,
            miss,
            MessageKind.HOST_ESCALATION,
            Audience.HOST,
            host,
            f"{schedule.session.id}/host_escalation/{host.id}/{fac.id}/{slot.index}",
            extra,
        )
        for host in schedule.hosts
    ]


class EscalationWatcher:
    """Checks each slot at start + 2 minutes and at its end; queues escalations for misses."""

    def __init__(
        self,
        schedule: Schedule,
        live: LiveRoomState,
        clock: Clock,
        enqueue: Callable[[PlannedMessage], Awaitable[None]],
        on_miss: Callable[[Misplacement, Slot], None] | None = None,
        driver: MeetingDriver | None = None,
    ) -> None:
        self.driver: MeetingDriver = driver or CueingDriver(live, clock)
        # Awaited before each look at the rooms: a simulation uses it to let the meeting's
        # webhooks catch up with a fast clock, so what is checked is what the script did.
        self.ready: Callable[[], Awaitable[None]] | None = None
        self.schedule = schedule
        self.live = live
        self.clock = clock
        self.enqueue = enqueue
        self.on_miss = on_miss
        self.adherence = Adherence()
        for slot in schedule.rotation.slots:
            for v in slot.visits:
                self.adherence.visits[(v.facilitator, slot.index)] = VisitOutcome(
                    v.facilitator, v.group, slot.index
                )

    async def run(self) -> None:
        slots = self.schedule.rotation.slots
        started = self.clock.now()
        for slot in slots:
            if self.clock.now() > slot.end:
                continue  # a restart after this slot: nothing useful to say now
            await self.clock.sleep_until(slot.start)
            if slot.index == 0:
                await self.driver.open_rooms()
            for visit in slot.visits:
                await self.driver.move_facilitator(visit.facilitator, visit.group, slot.index)
            await self.clock.sleep_until(slot.start + CHECK_AFTER)
            if self.ready is not None:
                await self.ready()
            await self.check(slot, self.clock.now())
            await self.clock.sleep_until(slot.end - timedelta(seconds=1))
            if self.ready is not None:
                await self.ready()
            self.settle(slot)
        if slots and started <= slots[-1].end:
            await self.clock.sleep_until(slots[-1].end)
            await self.driver.close_rooms()

    async def check(self, slot: Slot, now: datetime) -> list[Misplacement]:
        expected = {v.facilitator: v.group for v in slot.visits}
        misses = self.live.misplaced_against(expected, since=slot.start)
        missed_ids = {m.facilitator_id for m in misses}
        for v in slot.visits:
            self.adherence.visits[(v.facilitator, slot.index)].on_time = v.facilitator not in missed_ids
        for miss in misses:
            self.adherence.visits[(miss.facilitator_id, slot.index)].escalated = True
            if self.on_miss is not None:
                self.on_miss(miss, slot)
            await self.enqueue(escalation_message(self.schedule, slot, miss))
            for message in host_escalation_messages(self.schedule, slot, miss):
                await self.enqueue(message)
        return misses

    def settle(self, slot: Slot) -> None:
        positions = self.live.facilitator_positions()
        mapping = set(self.live.room_mapping().values())
        for v in slot.visits:
            outcome = self.adherence.visits[(v.facilitator, slot.index)]
            where = positions.get(v.facilitator)
            outcome.arrived = where == v.group or (where == UNMAPPED and v.group not in mapping)

    def start(self) -> asyncio.Task[None]:
        return asyncio.get_running_loop().create_task(
            self.run(), name=f"escalations:{self.schedule.session.id}"
        )
