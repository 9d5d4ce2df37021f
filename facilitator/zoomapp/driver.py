"""`ZoomAppDriver`: the MeetingDriver that runs the rotation through the host's console.

At the breakout start it opens the rooms Zoom already has from the REST pre-assignment (never
`createBreakoutRooms`, which deletes them); at each slot boundary it assigns every physician to
their next room; it posts the prompt and time warnings to the meeting chat where the client can;
at the end it closes the rooms. Strategy `move` (default) moves physicians while rooms stay open;
`reopen` closes, re-assigns and re-opens with automatic moves (no click, everyone shuffles).

Fallback, always: no console, a client too old, an SDK refusal after bounded retries, or a move
the webhooks do not confirm in time, and that physician gets today's move cue at once (the
planned MOVE_NOW cue is held back only while a capable console is in control). The escalation
watcher still checks, 2 minutes in, where the webhooks say people are.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from facilitator.clock import Clock
from facilitator.schedule.model import PlannedMessage, Schedule, Slot, Visit
from facilitator.store.base import OutboxMessage
from facilitator.zoom.live import LiveRoomState
from facilitator.zoom.meeting_driver import CueingDriver
from facilitator.zoomapp.actions import Action, ActionLog
from facilitator.zoomapp.fallback import FallbackCues
from facilitator.zoomapp.hub import ConsoleHub
from facilitator.zoomapp.protocol import RETRYABLE, Ack
from facilitator.zoomapp.roster import ParticipantDirectory

log = logging.getLogger(__name__)

STRATEGIES = ("move", "reopen")
WARN_BEFORE = timedelta(minutes=2)


@dataclass(frozen=True)
class ConsoleTimings:
    ack_timeout: float = 5.0  # real seconds for the console to answer one SDK call
    attempts: int = 3  # per command, for answers that say "failed" or none at all
    retry_pause: timedelta = timedelta(seconds=1)  # clock time between attempts
    confirm_within: timedelta = timedelta(seconds=30)  # clock time for the webhooks to show the move
    confirm_step: timedelta = timedelta(seconds=1)


class ZoomAppDriver:
    def __init__(
        self,
        schedule: Schedule,
        live: LiveRoomState,
        clock: Clock,
        hub: ConsoleHub,
        meeting_uuid: str | None,
        enqueue: Callable[[PlannedMessage], Awaitable[None]],
        strategy: str = "move",
        timings: ConsoleTimings | None = None,
        log: ActionLog | None = None,
    ) -> None:
        if strategy not in STRATEGIES:
            raise ValueError(f"unknown console strategy {strategy!r}")
        self.schedule = schedule
        self.live = live
        self.clock = clock
        self.hub = hub
        self.meeting_uuid = meeting_uuid
        self.enqueue = enqueue
        self.strategy = strategy
        self.timings = timings or ConsoleTimings()
        self.log = log or ActionLog()
        self.cueing = CueingDriver(live, clock)  # the expectations the escalation watcher shares
        self.directory = ParticipantDirectory(schedule, live)
        self.paused = False
        self.cues = FallbackCues(schedule, clock, enqueue, self._note)
        self.visits = self.cues.visits  # (physician, round) -> what happened to that visit
        self._slots: dict[int, asyncio.Task[None]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._ids = itertools.count(1)
        self._room_ids: dict[str, str] = {}
        self._room_list: dict[str, Any] = {}

    # -- MeetingDriver ----------------------------------------------------------------------------

    async def open_rooms(self) -> None:
        await self.cueing.open_rooms()
        if self._unusable() is not None:
            self._note("open_rooms", False, f"not opened by the console: {self._unusable()}")
            return
        if self.strategy == "reopen":
            await self._call("configure", "configureBreakoutRooms", _AUTO_MOVE)
        ack = await self._call("open", "openBreakoutRooms", {})
        ok = ack.ok or ack.code == 10121
        self._note("open_rooms", ok, "rooms opened" if ack.ok else ack.reason, evidence={"code": ack.code})
        if ok:
            self._spawn(self._post_prompts())

    async def move_facilitator(self, facilitator_id: str, group_id: str | None, slot: int) -> None:
        await self.cueing.move_facilitator(facilitator_id, group_id, slot)
        self.cues.state(facilitator_id, slot)
        if slot not in self._slots:  # the first move of a slot starts the whole slot's moves
            self._slots[slot] = self._spawn(self._run_slot(self.schedule.rotation.slots[slot]))

    async def close_rooms(self) -> None:
        await self.cueing.close_rooms()
        if self._unusable() is not None:
            self._note("close_rooms", False, f"not closed by the console: {self._unusable()}")
            return
        ack = await self._call("close", "closeBreakoutRooms", {})
        ok = ack.ok or ack.code == 10092
        self._note("close_rooms", ok, "rooms closed" if ack.ok else ack.reason)

    async def broadcast(self, text: str) -> None:
        await self.cueing.broadcast(text)
        link = self.hub.controller(self.meeting_uuid)
        why = self._unusable() or (
            None if link is None or link.chat_supported else "the client has no chat API"
        )
        if link is None or why is not None:
            self._note("chat", False, f"not posted to the meeting chat: {why}")
            return
        ack = await self._call("chat", "sendMessageToChat", {"message": text[:1000]})
        self._note("chat", ack.ok, text if ack.ok else ack.reason)

    async def refresh_participants(self) -> None:
        """Re-read who is in the meeting (and their roles), so the host can confirm who is who."""
        if self._unusable() is None:
            await self.directory.refresh(self._call)

    async def move_now(self, facilitator_id: str, slot: Slot) -> None:
        """The host's "move now" button: this physician to this round's room, at once."""
        visit = next((v for v in slot.visits if v.facilitator == facilitator_id), None)
        if visit is None:
            self._note("warn", False, "no visit this round", facilitator_id, slot.index)
            return
        rooms = await self._rooms()
        if rooms is None:
            self._note("warn", False, "the console could not read the breakout rooms", facilitator_id)
            return
        await self.directory.refresh(self._call)
        if await self._move(visit, slot, rooms):
            self._spawn(self._confirm(visit, slot))

    # -- the outbox asks whether to hold the planned move cue ---------------------------------------

    def acting(self) -> bool:
        """A connected, capable, unpaused console is running the rotation now (host cues and the
        facilitator page then say what it does instead of asking for clicks)."""
        return self._unusable() is None

    def skip_reason(self, row: OutboxMessage) -> str | None:
        """Hold a planned MOVE_NOW cue while a capable console moves that physician."""
        return self.cues.skip_reason(row, self._unusable() is None)

    # -- the rotation ---------------------------------------------------------------------------------

    def _unusable(self) -> str | None:
        if self.paused:
            return "automation is paused in the console"
        link = self.hub.controller(self.meeting_uuid)
        if link is None:
            return "no host console is connected"
        return link.unusable_because()

    async def _run_slot(self, slot: Slot) -> None:
        why = self._unusable()
        if why is not None:
            for v in slot.visits:
                await self._fallback(v, slot, why)
            return
        # Both reads at once (the page runs SDK calls concurrently): the moves wait for them.
        rooms, _ = await asyncio.gather(self._rooms(), self.directory.refresh(self._call))
        if rooms is None:
            for v in slot.visits:
                await self._fallback(v, slot, "the console could not read the breakout rooms")
            return
        self._record_evidence(slot)
        reopen = self.strategy == "reopen" and slot.index > 0
        if reopen:
            await self._call(f"configure-{slot.index}", "configureBreakoutRooms", _AUTO_MOVE)
            ack = await self._call(f"close-{slot.index}", "closeBreakoutRooms", {})
            self._note(
                "close_rooms", ack.ok or ack.code == 10092, f"closed to re-assign slot {slot.index + 1}"
            )
        moves = [self._move(v, slot, rooms) for v in slot.visits]
        if reopen:
            await asyncio.gather(*(m for m in moves))
            ack = await self._call(f"open-{slot.index}", "openBreakoutRooms", {})
            self._note("open_rooms", ack.ok or ack.code == 10121, f"re-opened for slot {slot.index + 1}")
            await asyncio.gather(*(self._confirm(v, slot) for v in slot.visits if self._accepted(v, slot)))
        else:
            await asyncio.gather(
                *(self._then_confirm(m, v, slot) for m, v in zip(moves, slot.visits, strict=True))
            )
        if slot.end - slot.start > 2 * WARN_BEFORE:
            self._spawn(self._warn(slot))

    def _record_evidence(self, slot: Slot) -> None:
        """What a real session should tell us (README, "Still unverified"): whether the room list
        shows participants to this console, and whether each physician's webhook participant uuid
        is one the SDK knows (are the two ids the same?)."""
        seen = self.directory.participants
        same_uuid = {
            f.id: uuid in seen
            for f in self.schedule.facilitators
            if (uuid := self.live.participant_uuids.get(f.email.lower())) is not None
        }
        self._note(
            "evidence",
            True,
            f"round {slot.index + 1}: SDK lists {len(seen)} participant(s)",
            slot=slot.index,
            evidence={**self._room_list, "webhook_uuid_known_to_sdk": same_uuid},
        )

    async def _then_confirm(self, move: Awaitable[bool], visit: Visit, slot: Slot) -> None:
        if await move:
            await self._confirm(visit, slot)

    def _accepted(self, visit: Visit, slot: Slot) -> bool:
        return self.visits[(visit.facilitator, slot.index)].accepted

    async def _rooms(self) -> dict[str, str] | None:
        ack = await self._call("rooms", "getBreakoutRoomList", {})
        if not ack.ok or not isinstance(ack.result, dict):
            return None
        rooms = ack.result.get("rooms")
        if not isinstance(rooms, list):
            return None
        found = {
            str(r.get("name")): str(r.get("breakoutRoomId"))
            for r in rooms
            if isinstance(r, dict) and r.get("name") and r.get("breakoutRoomId")
        }
        self._room_ids = found
        # Evidence for what Zoom leaves open: does this console see who is in each room (owner only?)
        self._room_list = {
            "room_list_state": str(ack.result.get("state")),
            "room_list_has_participants": any(isinstance(r, dict) and "participants" in r for r in rooms),
        }
        return found

    async def _move(self, visit: Visit, slot: Slot, rooms: dict[str, str]) -> bool:
        state = self.cues.state(visit.facilitator, slot.index)
        group = self.schedule.group(visit.group)
        room_id = rooms.get(group.name)
        who = self.directory.resolve(visit.facilitator)
        if room_id is None:
            await self._fallback(visit, slot, f"Zoom has no breakout room named {group.name!r}")
            return False
        if who.problem is not None or who.participant_uuid is None:
            await self._fallback(visit, slot, who.problem or "not identified in the meeting")
            return False
        state.issued_at = self.clock.now()
        data = {"participantUUID": who.participant_uuid, "uuid": room_id}
        tries: list[int] = []
        ack = await self._call(
            f"move-{visit.facilitator}-{slot.index}", "assignParticipantToBreakoutRoom", data, tries
        )
        lag = (state.issued_at - slot.start).total_seconds()
        self._note(
            "move",
            ack.ok,
            (f"assigned to {group.name}" if ack.ok else ack.reason)
            + (f" (after {tries[0]} attempts)" if tries[0] > 1 else ""),
            visit.facilitator,
            slot.index,
            {"issued_after_boundary_s": round(lag, 3), "code": ack.code, "attempts": tries[0]},
        )
        if not ack.ok:
            await self._fallback(visit, slot, ack.reason)
            return False
        state.accepted = True
        return True

    async def _confirm(self, visit: Visit, slot: Slot) -> None:
        """Wait (on the clock) for the webhooks to show the physician in the room."""
        state = self.visits[(visit.facilitator, slot.index)]
        asked = state.issued_at or self.clock.now()
        deadline = asked + self.timings.confirm_within
        while True:
            if self.live.facilitator_positions().get(visit.facilitator) == visit.group:
                state.confirmed = True
                took = (self.clock.now() - asked).total_seconds()
                self._note(
                    "confirm", True, f"in {self.schedule.group(visit.group).name} (webhook)",
                    visit.facilitator, slot.index,
                    {"confirmed_after_s": round(took, 1), "cue_sent": state.planned_cue_sent},
                )  # fmt: skip
                return
            now = self.clock.now()
            if now >= deadline:
                break
            await self.clock.sleep_until(min(deadline, now + self.timings.confirm_step))
        self._note(
            "confirm", False, "the webhooks do not show the move; the physician may have to accept a prompt",
            visit.facilitator, slot.index, {"waited_s": self.timings.confirm_within.total_seconds()},
        )  # fmt: skip
        await self._fallback(visit, slot, "the move was not confirmed in time")

    async def _fallback(self, visit: Visit, slot: Slot, reason: str) -> None:
        await self.cues.send(visit.facilitator, slot.index, reason)

    async def _post_prompts(self) -> None:
        lines = [f"{g.name}: {g.prompt}" for g in self.schedule.groups]
        await self.broadcast("Breakout rooms are open. Prompts —\n" + "\n".join(lines))

    async def _warn(self, slot: Slot) -> None:
        await self.clock.sleep_until(slot.end - WARN_BEFORE)
        minutes = int(WARN_BEFORE.total_seconds() // 60)
        await self.broadcast(f"{minutes} minutes left in this round.")

    # -- plumbing ---------------------------------------------------------------------------------------

    async def _call(self, name: str, api: str, data: dict[str, Any], tries: list[int] | None = None) -> Ack:
        """One SDK call with bounded retries for "failed" answers and timeouts (never for refusals).

        `tries`, when given, gets the number of attempts made (the move log keeps it as evidence).
        """
        ack = Ack("", ok=False, message="not sent")
        for attempt in range(1, self.timings.attempts + 1):
            command_id = f"{self.meeting_uuid}:{name}:{next(self._ids)}"
            ack = await self.hub.call(self.meeting_uuid, command_id, api, data, self.timings.ack_timeout)
            retry = not ack.ok and (ack.code in RETRYABLE or (ack.code is None and "within" in ack.message))
            if not retry or attempt == self.timings.attempts:
                break
            await self.clock.sleep_until(self.clock.now() + self.timings.retry_pause)
        if tries is not None:
            tries.append(attempt)
        return ack

    def _note(
        self,
        what: str,
        ok: bool,
        detail: str,
        facilitator_id: str | None = None,
        slot: int | None = None,
        evidence: dict[str, Any] | None = None,
    ) -> None:
        self.log.add(Action(self.clock.now(), what, ok, detail, facilitator_id, slot, evidence or {}))

    def _spawn(self, coro: Awaitable[Any]) -> asyncio.Task[Any]:
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        """A bug in a slot's work must be seen, not swallowed: log it (the watcher still escalates)."""
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("host console task failed", exc_info=task.exception())
            self._note(
                "warn",
                False,
                f"internal error: {type(task.exception()).__name__}; cues and escalations continue",
            )

    async def settled(self) -> None:
        """Wait for the slot work started so far (tests and the benchmark)."""
        while any(not t.done() for t in self._slots.values()):
            await asyncio.gather(*self._slots.values(), return_exceptions=True)

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


_AUTO_MOVE = {
    "automaticallyMoveParticipantsIntoRooms": True,
    "automaticallyMoveParticipantsIntoMainRoom": True,
    "allowParticipantsReturnToMainSession": True,
}
