"""The schedule: everything a session will do, with absolute UTC times. Plain frozen data.

A `Schedule` is built once from a plan (see `schedule/build.py`) and is the input of every later
stage: Zoom provisioning reads its groups, the outbox its planned messages, the web pages its
timeline and rotation. It holds no secrets and nothing that needs I/O to know.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any


class Audience(StrEnum):
    STUDENT = "student"
    FACILITATOR = "facilitator"
    HOST = "host"  # the Zoom host and co-directors: only they can open and close rooms


class Lane(StrEnum):
    """Cues jump the queue: a facilitator's cue never waits behind bulk student mail."""

    CUE = "cue"
    BULK = "bulk"


class MessageKind(StrEnum):
    INVITATION = "invitation"
    FACILITATOR_WELCOME = "facilitator_welcome"
    PRE_SURVEY = "pre_survey"
    PRE_SURVEY_REMINDER = "pre_survey_reminder"
    BOARD_LINK = "board_link"
    HEADS_UP = "heads_up"
    MOVE_NOW = "move_now"
    SELF_GUIDED_PROMPT = "self_guided_prompt"
    BREAKOUT_END = "breakout_end"
    POST_SURVEY = "post_survey"
    POST_SURVEY_REMINDER = "post_survey_reminder"
    RESOURCES = "resources"
    FOCUS_GROUP = "focus_group"
    HOST_OPEN_ROOMS = "host_open_rooms"
    HOST_TIME_WARNING = "host_time_warning"
    HOST_CLOSE_ROOMS = "host_close_rooms"
    # Not planned ahead: created at run time when live room state shows a missed move.
    ESCALATION = "escalation"
    HOST_ESCALATION = "host_escalation"
    # Not planned ahead: the Zoom meeting was recreated, so everyone already invited gets the new link.
    LINK_CHANGED = "link_changed"
    # Not planned ahead: a plan edit changed something a person was already told.
    CORRECTION = "correction"
    # Not planned ahead: a plan edit removed someone already invited; carries the calendar's CANCEL.
    REMOVED = "removed"


@dataclass(frozen=True)
class SupportContact:
    """A support resource the plan names (shown on the board and in the follow-up email)."""

    name: str
    phone: str | None = None
    url: str | None = None
    hours: str | None = None


@dataclass(frozen=True)
class SessionSummary:
    id: str  # stable slug: title + local start date
    title: str
    start: datetime  # UTC
    end: datetime  # UTC
    timezone: str  # the plan's IANA zone
    study: str  # keys survey codes
    host_email: str
    zoom: Mapping[str, Any]  # meeting options from the plan (waiting_room, ...)
    board_enabled: bool = True
    board_moderation: bool = False
    board_chat_prefix: str | None = None
    board_posts_per_minute: int = 6
    support: tuple[SupportContact, ...] = ()
    sender_name: str = ""  # emails' From name: the course, else the title
    reply_to: str = ""  # emails' Reply-To: the plan's, else the host


@dataclass(frozen=True)
class FacilitatorInfo:
    id: str
    name: str
    email: str
    timezone: str  # their own zone, or the plan's
    channel: str  # email | zoom_chat | webhook | console
    webhook_url: str | None = None


@dataclass(frozen=True)
class StudentInfo:
    email: str
    name: str
    timezone: str
    group: str  # group id


@dataclass(frozen=True)
class Group:
    id: str
    name: str
    students: tuple[str, ...]  # emails, sorted
    prompt: str


@dataclass(frozen=True)
class TimelineItem:
    """A phase, a talk within a plenary, or a slot/transition within the breakout."""

    kind: str  # plenary | talk | breakout | slot | transition | break
    title: str
    start: datetime
    end: datetime
    phase: int  # index of the phase in the plan
    speaker: str | None = None  # facilitator id for talks
    slot: int | None = None  # slot index for slots


@dataclass(frozen=True)
class Visit:
    facilitator: str
    group: str


@dataclass(frozen=True)
class Slot:
    index: int
    start: datetime
    end: datetime
    visits: tuple[Visit, ...]


@dataclass(frozen=True)
class Rotation:
    lower_bound: int  # König: the largest number of visits any facilitator or group has
    optimal: bool  # the number of slots equals the lower bound
    slots: tuple[Slot, ...]
    per_room: int = 1

    def visits_of(self, facilitator: str) -> list[tuple[Slot, Visit]]:
        return [(s, v) for s in self.slots for v in s.visits if v.facilitator == facilitator]

    def room_of(self, facilitator: str, slot: int) -> str | None:
        for v in self.slots[slot].visits:
            if v.facilitator == facilitator:
                return v.group
        return None


@dataclass(frozen=True)
class PlannedMessage:
    key: str  # deterministic idempotency key: session/kind/recipient/slot
    kind: MessageKind
    audience: Audience
    recipient: str  # the person's email address
    recipient_id: str  # facilitator id, or the student's email
    channel: str
    template: str  # name under templates/messages/ (without extension)
    due: datetime  # UTC
    deadline: datetime  # UTC: after this the message is no longer useful (cues: expired)
    lane: Lane
    context: Mapping[str, Any] = field(default_factory=dict)  # JSON-safe facts for the template
    unless_completed: str | None = None  # "pre"/"post": skip when that survey is already done


@dataclass(frozen=True)
class Warning:
    message: str


@dataclass(frozen=True)
class Schedule:
    session: SessionSummary
    timeline: tuple[TimelineItem, ...]
    facilitators: tuple[FacilitatorInfo, ...]
    students: tuple[StudentInfo, ...]
    groups: tuple[Group, ...]
    rotation: Rotation
    messages: tuple[PlannedMessage, ...]
    warnings: tuple[Warning, ...] = ()
    cue_lead: timedelta = timedelta(minutes=2)
    # The Zoom host (id `host`) and co-directors (`co-director-1`, ...): room cues and escalations.
    hosts: tuple[FacilitatorInfo, ...] = ()

    @property
    def phases(self) -> tuple[TimelineItem, ...]:
        return tuple(t for t in self.timeline if t.kind in {"plenary", "breakout", "break"})

    def host(self, hid: str) -> FacilitatorInfo:
        return next(h for h in self.hosts if h.id == hid)

    def facilitator(self, fid: str) -> FacilitatorInfo:
        return next(f for f in self.facilitators if f.id == fid)

    def group(self, gid: str) -> Group:
        return next(g for g in self.groups if g.id == gid)

    def student(self, email: str) -> StudentInfo:
        return next(s for s in self.students if s.email == email)
