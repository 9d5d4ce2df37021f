"""Scripted play of a simulated meeting: who does what, and when, on a Clock.

`FacilitatorScript` walks a Schedule and calls the LiveMeeting's actions (start, open rooms, move
each facilitator, close rooms, end) at their times, with optional lateness and forgotten moves so
the bot's escalation can be seen. `Pacer` does the waiting and lets a test ask whether the script
has caught up with a ManualClock (`settled()`), so tests never sleep for real.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Protocol

from facilitator.clock import Clock
from facilitator.schedule.model import Schedule

# The live meeting's logger, as before this module was split out of it, so log filters keep working.
log = logging.getLogger("facilitator.zoomsim.live")


class MeetingActions(Protocol):
    """What a script does to a meeting (`live.LiveMeeting` is the simulated one)."""

    async def start(self) -> None: ...

    async def open_rooms(self) -> None: ...

    async def move(self, email: str, room_name: str | None) -> None: ...

    async def close_rooms(self) -> None: ...

    async def end(self) -> None: ...

    async def settled(self) -> None: ...


class Pacer:
    """Waits on a Clock and lets a test know when the waiting task has caught up with time."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.waiting_for: datetime | None = None
        self.done = False
        self._changed = asyncio.Event()

    async def sleep_until(self, when: datetime) -> None:
        self.waiting_for = when
        self._changed.set()
        await self.clock.sleep_until(when)
        self.waiting_for = None

    def finish(self) -> None:
        self.done = True
        self._changed.set()

    def idle(self) -> bool:
        return self.done or (self.waiting_for is not None and self.waiting_for > self.clock.now())

    async def settled(self) -> None:
        """Return once the task is waiting for a future time, or has finished."""
        while not self.idle():
            self._changed.clear()
            await self._changed.wait()


class FacilitatorScript:
    """Plays a Schedule on a LiveMeeting, as obedient (or forgetful) people would.

    Start at the session start, open rooms at the first slot, move each facilitator to their
    room at every slot start plus `lateness` (a facilitator with no visit goes back to the main
    room), close rooms at the last slot's end and end the meeting at the session end. A move
    listed in `forget` as (facilitator id, slot index) is never made, so the facilitator stays
    where they were and the bot's escalation can be seen.
    """

    def __init__(
        self,
        schedule: Schedule,
        meeting: MeetingActions,
        clock: Clock,
        lateness: timedelta = timedelta(0),
        lateness_by: Mapping[str, timedelta] | None = None,
        forget: Iterable[tuple[str, int]] = (),
        room_names: Mapping[str, str] | None = None,
        host_runs_rooms: bool = False,
    ) -> None:
        self.schedule = schedule
        # With the host console, the host's client opens/closes rooms and moves physicians: the
        # people only join and leave (and follow a fallback cue, which the simulation plays).
        self.host_runs_rooms = host_runs_rooms
        self.meeting = meeting
        self.clock = clock
        self.forget = frozenset(forget)
        self.room_names = dict(room_names or {g.id: g.name for g in schedule.groups})
        self.lateness_by = dict(lateness_by or {})
        self.lateness = lateness
        self._pacer = Pacer(clock)
        self.steps = self._plan()

    def _plan(self) -> list[tuple[datetime, str, Callable[[], Awaitable[None]]]]:
        session, slots = self.schedule.session, self.schedule.rotation.slots
        steps: list[tuple[datetime, int, str, Callable[[], Awaitable[None]]]] = []

        def add(when: datetime, label: str, action: Callable[[], Awaitable[None]]) -> None:
            steps.append((when, len(steps), label, action))

        add(session.start, "start", self.meeting.start)
        if slots and not self.host_runs_rooms:
            add(slots[0].start, "open rooms", self.meeting.open_rooms)
            for slot in slots:
                for f in self.schedule.facilitators:
                    if (f.id, slot.index) in self.forget:
                        continue
                    when = slot.start + self.lateness_by.get(f.id, self.lateness)
                    if when >= slots[-1].end:
                        continue  # too late: the rooms are closed by then
                    group = self.schedule.rotation.room_of(f.id, slot.index)
                    if group is not None and group not in self.room_names:
                        raise ValueError(f"group {group!r} has no breakout room name")
                    room = self.room_names[group] if group is not None else None
                    add(when, f"move {f.id} to {group or 'main'}", self._mover(f.email, room))
            add(slots[-1].end, "close rooms", self.meeting.close_rooms)
        add(session.end, "end", self.meeting.end)
        return [(when, label, action) for when, _, label, action in sorted(steps, key=lambda s: s[:2])]

    def _mover(self, email: str, room: str | None) -> Callable[[], Awaitable[None]]:
        async def move() -> None:
            await self.meeting.move(email, room)

        return move

    async def run(self) -> None:
        try:
            for when, label, action in self.steps:
                await self._pacer.sleep_until(when)
                log.debug("simulated meeting: %s", label)
                await action()
        finally:
            self._pacer.finish()

    async def settled(self) -> None:
        """Return once the script and the meeting's late joiners have caught up with the clock."""
        await self._pacer.settled()
        await self.meeting.settled()
