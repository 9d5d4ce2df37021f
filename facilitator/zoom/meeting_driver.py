"""What the meeting itself should do, behind one small interface.

Zoom's REST API cannot open rooms, move anyone or broadcast (see API-NOTES §2.9), so the default
driver does not act: the people in the meeting do, on the cues the outbox sends them. The driver
records what is now expected and answers, from the live room state, whether it has happened.
A driver that acts inside the meeting (a Meeting-SDK bot) can later implement the same Protocol
without touching the scheduling.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from facilitator.clock import Clock
from facilitator.zoom.live import MAIN, LiveRoomState


class MeetingDriver(Protocol):
    async def open_rooms(self) -> None: ...

    async def move_facilitator(self, facilitator_id: str, group_id: str | None, slot: int) -> None:
        """Get the facilitator into `group_id`'s room (None: the main room) for `slot`."""
        ...

    async def close_rooms(self) -> None: ...

    async def broadcast(self, text: str) -> None: ...


class Outcome(StrEnum):
    DONE = "done"
    PENDING = "pending"
    UNOBSERVABLE = "unobservable"  # Zoom sends no webhook for it (a broadcast)


@dataclass(frozen=True)
class Expectation:
    kind: str  # open_rooms | move | close_rooms | broadcast
    asked_at: datetime
    facilitator_id: str | None = None
    group_id: str | None = None
    slot: int | None = None
    text: str | None = None


class CueingDriver:
    """The default driver: a person is cued elsewhere; here we only remember and check."""

    def __init__(self, state: LiveRoomState, clock: Clock) -> None:
        self.state = state
        self.clock = clock
        self.expectations: list[Expectation] = []

    def _expect(
        self,
        kind: str,
        facilitator_id: str | None = None,
        group_id: str | None = None,
        slot: int | None = None,
        text: str | None = None,
    ) -> None:
        self.expectations.append(Expectation(kind, self.clock.now(), facilitator_id, group_id, slot, text))

    async def open_rooms(self) -> None:
        self._expect("open_rooms")

    async def move_facilitator(self, facilitator_id: str, group_id: str | None, slot: int) -> None:
        self._expect("move", facilitator_id=facilitator_id, group_id=group_id, slot=slot)

    async def close_rooms(self) -> None:
        self._expect("close_rooms")

    async def broadcast(self, text: str) -> None:
        self._expect("broadcast", text=text)

    def outcome(self, e: Expectation) -> Outcome:
        rooms_in_use = any(room != MAIN for room in self.state.occupancy())
        if e.kind == "open_rooms":
            return Outcome.DONE if rooms_in_use else Outcome.PENDING
        if e.kind == "close_rooms":
            return Outcome.PENDING if rooms_in_use else Outcome.DONE
        if e.kind == "move" and e.facilitator_id is not None:
            actual = self.state.facilitator_positions().get(e.facilitator_id)
            return Outcome.DONE if actual == (e.group_id or MAIN) else Outcome.PENDING
        return Outcome.UNOBSERVABLE

    def current(self) -> list[Expectation]:
        """The latest expectation per facilitator (moves) and for the rooms (open/close)."""
        latest: dict[str, Expectation] = {}
        for e in self.expectations:
            if e.kind == "move":
                latest[f"move:{e.facilitator_id}"] = e
            elif e.kind in {"open_rooms", "close_rooms"}:
                latest["rooms"] = e
        return list(latest.values())

    def pending(self) -> list[Expectation]:
        """Current expectations that the webhooks do not show done yet."""
        return [e for e in self.current() if self.outcome(e) is Outcome.PENDING]
