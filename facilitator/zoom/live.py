"""Live room state: who is in the main room and in which breakout room, from Zoom's webhooks.

Zoom's breakout events name a room only by `breakout_room_uuid`, never by its name, so the
mapping from uuid to our group is learned from where pre-assigned students land: each student
votes for their own group, and a room is the group most of its students belong to. One student
in the wrong room does not confuse it. From that, a facilitator's position is known and can be
compared with the rotation: "facilitator dr-a is in Group 2 but is due in Group 4 since 14:30".

Chat content never enters this module, and its history names facilitators by id only.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from facilitator.schedule.model import Schedule, Slot
from facilitator.zoom.events import (
    ChatMessageSent,
    MeetingEnded,
    MeetingStarted,
    ParticipantJoined,
    ParticipantJoinedBreakoutRoom,
    ParticipantLeft,
    ParticipantLeftBreakoutRoom,
    ZoomEvent,
)

MAIN = "main"  # in the meeting, not in any breakout room
UNMAPPED = "unmapped"  # in a breakout room whose group is not known (yet)


@dataclass(frozen=True)
class Misplacement:
    """A facilitator who is not where the rotation wants them."""

    facilitator_id: str
    actual_group: str | None  # a group id, MAIN, UNMAPPED, or None when not in the meeting
    expected_group: str
    since: datetime  # when they became due there (the slot start)

    def whereabouts(self, group_names: Mapping[str, str] | None = None) -> str:
        """Where they actually are: "in Group 2", "in the main room", "not in the meeting", ..."""
        names = group_names or {}
        if self.actual_group is None:
            return "not in the meeting"
        if self.actual_group == MAIN:
            return "in the main room"
        if self.actual_group == UNMAPPED:
            return "in an unidentified breakout room"
        return f"in {names.get(self.actual_group, self.actual_group)}"

    def render(self, group_names: Mapping[str, str] | None = None, tz: tzinfo = UTC) -> str:
        names = group_names or {}
        due = names.get(self.expected_group, self.expected_group)
        at = self.since.astimezone(tz).strftime("%H:%M")
        return (
            f"facilitator {self.facilitator_id} is {self.whereabouts(names)} but is due in {due} since {at}"
        )

    def render_for(self, schedule: Schedule) -> str:
        """Rendered with the schedule's group names, in the session's time zone."""
        names = {g.id: g.name for g in schedule.groups}
        return self.render(names, ZoneInfo(schedule.session.timezone))

    def __str__(self) -> str:
        return self.render()


@dataclass(frozen=True)
class HistoryEntry:
    """One line of the director's live feed. `who` is a facilitator id, "student" or "guest"."""

    at: datetime
    what: str
    who: str | None = None
    room: str | None = None


@dataclass
class _Presence:
    room_uuid: str | None  # None: in the main room
    last_ts: datetime


class LiveRoomState:
    """Everyone's current place, kept up to date by `apply(event)`; all methods are cheap reads."""

    def __init__(
        self,
        preassigned: Mapping[str, str],
        facilitators: Mapping[str, str],
        meeting_id: str | None = None,
        history_size: int = 500,
    ) -> None:
        """`preassigned`: student email -> group id; `facilitators`: email -> facilitator id."""
        self._preassigned = {e.strip().lower(): g for e, g in preassigned.items()}
        self._facilitators = {e.strip().lower(): f for e, f in facilitators.items()}
        self._meeting_id = meeting_id
        self._people: dict[str, _Presence] = {}
        self._votes: dict[str, dict[str, set[str]]] = {}  # uuid -> group -> student emails
        self.history: deque[HistoryEntry] = deque(maxlen=history_size)
        # email -> Zoom's participant uuid from the latest join (the host console maps people with it)
        self.participant_uuids: dict[str, str] = {}
        self.started: datetime | None = None
        self.ended: datetime | None = None

    @classmethod
    def from_schedule(cls, schedule: Schedule, meeting_id: str | None = None) -> LiveRoomState:
        return cls(
            {s.email: s.group for s in schedule.students},
            {f.email: f.id for f in schedule.facilitators},
            meeting_id=meeting_id,
        )

    # -- updates ---------------------------------------------------------------------------

    async def on_event(self, event: ZoomEvent) -> None:
        """The webhook route's consumer: a quick in-memory update."""
        self.apply(event)

    def apply(self, event: ZoomEvent) -> None:
        if self._meeting_id is not None and event.meeting_id != self._meeting_id:
            return
        if isinstance(event, ChatMessageSent):
            return  # chat is for the board, never for room state
        if isinstance(event, MeetingStarted):
            self.started, self.ended = event.event_ts, None
            self.history.append(HistoryEntry(event.event_ts, "meeting started"))
        elif isinstance(event, MeetingEnded):
            self.ended = event.event_ts
            self._people.clear()
            self.history.append(HistoryEntry(event.event_ts, "meeting ended"))
        elif isinstance(event, ParticipantJoined | ParticipantLeft):
            self._apply_main(event)
        elif isinstance(event, ParticipantJoinedBreakoutRoom | ParticipantLeftBreakoutRoom):
            self._apply_breakout(event)

    def _fresh(self, key: str, ts: datetime) -> bool:
        """Deliveries can arrive out of order: an event older than what we know is ignored."""
        known = self._people.get(key)
        return known is None or ts >= known.last_ts

    def _apply_main(self, event: ParticipantJoined | ParticipantLeft) -> None:
        key = event.participant.key
        if not self._fresh(key, event.event_ts):
            return
        if isinstance(event, ParticipantJoined):
            if event.participant.email and event.participant.participant_uuid:
                self.participant_uuids[event.participant.email] = event.participant.participant_uuid
            self._people[key] = _Presence(None, event.event_ts)
            self._log(event.event_ts, "joined the meeting", key, MAIN)
            return
        if event.leave_reason and "breakout" in event.leave_reason.lower():
            return  # leaving the main session for a breakout room is not leaving the meeting
        self._people.pop(key, None)
        self._log(event.event_ts, "left the meeting", key, None)

    def _apply_breakout(self, event: ParticipantJoinedBreakoutRoom | ParticipantLeftBreakoutRoom) -> None:
        key = event.participant.key
        uuid = event.breakout_room_uuid
        if isinstance(event, ParticipantJoinedBreakoutRoom):
            group = self._preassigned.get(key)
            if group is not None:
                self._votes.setdefault(uuid, {}).setdefault(group, set()).add(key)
            if not self._fresh(key, event.event_ts):
                return
            self._people[key] = _Presence(uuid, event.event_ts)
            self._log(event.event_ts, "joined a breakout room", key, self._room_label(uuid))
            return
        known = self._people.get(key)
        if known is None or known.room_uuid != uuid or event.event_ts < known.last_ts:
            return  # already elsewhere: a late "left" must not undo a newer "joined"
        self._people[key] = _Presence(None, event.event_ts)
        self._log(event.event_ts, "left a breakout room", key, self._room_label(uuid))

    def _log(self, at: datetime, what: str, key: str, room: str | None) -> None:
        who = self._facilitators.get(key) or ("student" if key in self._preassigned else "guest")
        self.history.append(HistoryEntry(at, what, who, room))

    # -- queries ---------------------------------------------------------------------------

    def room_mapping(self) -> dict[str, str]:
        """breakout_room_uuid -> group id, by majority of the pre-assigned students seen there.

        A tie at the top leaves the room unmapped: guessing would risk a false escalation.
        """
        mapping: dict[str, str] = {}
        for uuid, groups in self._votes.items():
            tally = Counter({g: len(emails) for g, emails in groups.items()}).most_common(2)
            if tally and (len(tally) == 1 or tally[0][1] > tally[1][1]):
                mapping[uuid] = tally[0][0]
        return mapping

    def _room_label(self, uuid: str | None, mapping: Mapping[str, str] | None = None) -> str:
        if uuid is None:
            return MAIN
        return (mapping if mapping is not None else self.room_mapping()).get(uuid, UNMAPPED)

    def room_of(self, email: str) -> str | None:
        """A group id, MAIN, UNMAPPED, or None when the person is not in the meeting."""
        presence = self._people.get(email.strip().lower())
        return None if presence is None else self._room_label(presence.room_uuid)

    def occupancy(self) -> dict[str, list[str]]:
        """Room (group id, MAIN, UNMAPPED) -> who is there: facilitator ids, else emails."""
        mapping = self.room_mapping()
        rooms: dict[str, list[str]] = {}
        for key, presence in self._people.items():
            label = self._room_label(presence.room_uuid, mapping)
            rooms.setdefault(label, []).append(self._facilitators.get(key, key))
        return {room: sorted(people) for room, people in sorted(rooms.items())}

    def counts(self) -> dict[str, int]:
        return {room: len(people) for room, people in self.occupancy().items()}

    def facilitator_positions(self) -> dict[str, str | None]:
        """Facilitator id -> group id, MAIN, UNMAPPED, or None when not in the meeting."""
        mapping = self.room_mapping()
        positions: dict[str, str | None] = {}
        for email, fid in self._facilitators.items():
            presence = self._people.get(email)
            positions[fid] = None if presence is None else self._room_label(presence.room_uuid, mapping)
        return positions

    def misplaced_against(self, expected: Mapping[str, str], since: datetime) -> list[Misplacement]:
        """Facilitators not in their expected group, when we can tell for sure.

        A facilitator in a room we cannot identify yet, while the expected group has no room
        identified either, may well be in the right place: that is not reported.
        """
        mapping = self.room_mapping()
        mapped_groups = set(mapping.values())
        positions = self.facilitator_positions()
        out: list[Misplacement] = []
        for fid, group in sorted(expected.items()):
            actual = positions.get(fid)
            if actual == group or (actual == UNMAPPED and group not in mapped_groups):
                continue
            out.append(Misplacement(fid, actual, group, since))
        return out

    def misplaced(
        self, schedule: Schedule, now: datetime, grace: timedelta = timedelta(0)
    ) -> list[Misplacement]:
        """Who is not where the rotation says they should be at `now` (after `grace`)."""
        slot = current_slot(schedule, now)
        if slot is None or now < slot.start + grace:
            return []
        expected = {v.facilitator: v.group for v in slot.visits}
        return self.misplaced_against(expected, since=slot.start)


def current_slot(schedule: Schedule, now: datetime) -> Slot | None:
    for slot in schedule.rotation.slots:
        if slot.start <= now < slot.end:
            return slot
    return None


def anonymous_board_post(event: ChatMessageSent, prefix: str, host_email: str) -> str | None:
    """The text of a private-to-host chat message that starts with `prefix`, without its sender.

    Only the returned string leaves this function: no name, email or Zoom id travels with it,
    so nothing downstream can store who wrote it. Public messages are never taken: their author
    did not choose to post anonymously.
    """
    to_host = event.recipient_type == "host" or (
        event.recipient_type not in {"everyone", "group"}
        and event.recipient_email is not None
        and event.recipient_email == host_email.strip().lower()
    )
    if not to_host:
        return None
    text = event.message_content.strip()
    if not text.lower().startswith(prefix.strip().lower()):
        return None
    body = text[len(prefix.strip()) :].strip()
    return body or None
