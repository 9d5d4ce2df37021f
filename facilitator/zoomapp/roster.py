"""Who is who: each physician (an email in the plan) mapped to a Zoom participant uuid.

In order of trust: the director's one-click confirmation in the console; the `participant_joined`
webhook (email and participant uuid, kept by LiveRoomState, re-read on every move so a rejoin or a
role change that gives a new uuid is picked up); nothing else is guessed. The console's own
participant list (`getMeetingParticipants`) says each uuid's role: a host or co-host cannot be
moved by any app, so such a physician is reported, not attempted.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from facilitator.schedule.model import Schedule
from facilitator.zoom.live import LiveRoomState
from facilitator.zoomapp.protocol import Ack

STAFF_ROLES = {"host", "cohost", "co-host", "coHost"}


@dataclass(frozen=True)
class Resolution:
    participant_uuid: str | None
    source: str  # director | webhook | none
    problem: str | None = None


@dataclass(frozen=True)
class Participant:
    participant_uuid: str
    screen_name: str
    role: str


class ParticipantDirectory:
    def __init__(self, schedule: Schedule, live: LiveRoomState) -> None:
        self.schedule = schedule
        self.live = live
        self.confirmed: dict[str, str] = {}  # facilitator id -> uuid, confirmed by the director
        self.participants: dict[str, Participant] = {}  # from the console, by uuid

    def confirm(self, facilitator_id: str, participant_uuid: str) -> None:
        self.schedule.facilitator(facilitator_id)  # KeyError for an unknown physician
        self.confirmed[facilitator_id] = participant_uuid

    async def refresh(self, call: Callable[[str, str, dict[str, Any]], Awaitable[Ack]]) -> None:
        ack = await call("participants", "getMeetingParticipants", {})
        if not ack.ok or not isinstance(ack.result, dict):
            return
        found: dict[str, Participant] = {}
        for p in ack.result.get("participants") or []:
            if isinstance(p, dict) and isinstance(p.get("participantUUID"), str):
                found[p["participantUUID"]] = Participant(
                    p["participantUUID"], str(p.get("screenName", ""))[:100], str(p.get("role", "")).lower()
                )
        self.participants = found

    def resolve(self, facilitator_id: str) -> Resolution:
        fac = self.schedule.facilitator(facilitator_id)
        webhook = self.live.participant_uuids.get(fac.email.lower())
        director = self.confirmed.get(facilitator_id)
        # The director's word wins unless the console no longer sees that uuid and a webhook has a newer one.
        if director is not None and (director in self.participants or not webhook or not self.participants):
            uuid, source = director, "director"
        elif webhook is not None:
            uuid, source = webhook, "webhook"
        else:
            return Resolution(None, "none", f"{fac.name} is not identified yet: confirm them in the console")
        seen = self.participants.get(uuid)
        if seen is not None and seen.role in {r.lower() for r in STAFF_ROLES}:
            return Resolution(
                uuid,
                source,
                f"{fac.name} is {seen.role} in Zoom, and no app can move a host or co-host: "
                "make them a plain participant",
            )
        return Resolution(uuid, source)

    def warnings(self) -> list[str]:
        return [
            r.problem
            for r in (self.resolve(f.id) for f in self.schedule.facilitators)
            if r.problem is not None
        ]
