"""The session plan: what a course director writes, as validated models.

These models check each field on its own (types, formats, ranges). Checks that span fields
(references between people and phases, duplicates) live in `plan/checks.py` so that every
problem can be reported at once with its line and column.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
    model_validator,
)

from facilitator.plan.times import When, format_duration, parse_duration, parse_local_datetime
from facilitator.plan.zones import check_zone

_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def _duration(value: object) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if not isinstance(value, str | int):
        raise ValueError("expected a duration like `25m`, `1h30m` or `PT25M`")
    delta = parse_duration(value)
    if delta <= timedelta():
        raise ValueError(f"{value!r} must be longer than zero, e.g. `25m`")
    return delta


MAX_PHASE = timedelta(hours=24)
"""A phase, a slot or a gap lasts at most a day: a session is one sitting (and the solver stays fast)."""


def _phase_length(value: object) -> timedelta:
    delta = _duration(value)
    if delta > MAX_PHASE:
        raise ValueError(f"{value!r} is longer than the limit of 24h for a phase, slot or transition")
    return delta


def _gap(value: object) -> timedelta:
    """A duration that may be zero (transitions between slots)."""
    if value in (0, "0", "0m"):
        return timedelta()
    return _phase_length(value)


def _email(value: object) -> str:
    if not isinstance(value, str) or not _EMAIL.match(value.strip()):
        raise ValueError(f"{value!r} is not an email address like `name@example.edu`")
    return value.strip().lower()


def _identifier(value: object) -> str:
    if not isinstance(value, str | int) or not _ID.match(str(value)):
        raise ValueError(
            f"{value!r} is not an id: use lower-case letters, digits, `-` or `_`, like `dr-okafor`"
        )
    return str(value)


def _timezone(value: object) -> str:
    if isinstance(value, ZoneInfo):
        return str(value.key)
    if not isinstance(value, str):
        raise ValueError("expected an IANA time zone like `America/New_York`")
    return check_zone(value.strip())


def _local_datetime(value: object) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            raise ValueError("give the local time without an offset; the time zone is a separate field")
        return value
    if not isinstance(value, str):
        raise ValueError("expected a local date-time like `2026-12-03 13:00`")
    return parse_local_datetime(value)


def _when(value: object) -> When:
    if isinstance(value, When):
        return value
    return When.parse(str(value))


Duration = Annotated[timedelta, BeforeValidator(_duration), PlainSerializer(format_duration)]
PhaseLength = Annotated[timedelta, BeforeValidator(_phase_length), PlainSerializer(format_duration)]
Gap = Annotated[timedelta, BeforeValidator(_gap), PlainSerializer(format_duration)]
Email = Annotated[str, BeforeValidator(_email)]
Identifier = Annotated[str, BeforeValidator(_identifier)]
TimeZoneName = Annotated[str, BeforeValidator(_timezone)]
LocalDateTime = Annotated[datetime, BeforeValidator(_local_datetime)]
WhenField = Annotated[When, BeforeValidator(_when), PlainSerializer(str)]


class Channel(StrEnum):
    """How a person is reached."""

    EMAIL = "email"
    ZOOM_CHAT = "zoom_chat"
    WEBHOOK = "webhook"
    CONSOLE = "console"


class Strict(BaseModel):
    """Base for plan models: unknown keys are errors (a typo must not be silently ignored)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ZoomOptions(Strict):
    host_email: Email
    waiting_room: bool = True
    mute_upon_entry: bool = True
    join_before_host: bool = False
    auto_recording: Literal["none", "local", "cloud"] = "none"
    alternative_hosts: bool = Field(True, description="make every facilitator an alternative host")
    console_strategy: Literal["move", "reopen"] = Field(
        "move",
        description="host console (Zoom App): move physicians while rooms stay open, or close, "
        "re-assign and re-open the rooms at each round",
    )


class HostContact(Strict):
    """How the Zoom host (`zoom.host_email`) gets room cues; every field optional."""

    name: str = Field("Course director", min_length=1)
    timezone: TimeZoneName | None = None
    channel: Channel | None = None
    webhook_url: str | None = None


class CoDirector(Strict):
    """Someone who runs the session beside the host and gets the same room cues."""

    name: str = Field(min_length=1)
    email: Email
    timezone: TimeZoneName | None = None
    channel: Channel | None = None
    webhook_url: str | None = None


class SessionInfo(Strict):
    id: Identifier | None = Field(
        None,
        description="the session's identity across plan edits (moving the start keeps it); "
        "defaults to the title and start",
    )
    title: str = Field(min_length=1, max_length=200)
    start: LocalDateTime
    timezone: TimeZoneName
    zoom: ZoomOptions
    study: str | None = Field(None, description="study id that keys survey codes; defaults to the title")
    seed: int = Field(0, ge=-(2**63), lt=2**63)
    host: HostContact = HostContact()
    co_directors: list[CoDirector] = Field(default_factory=list)
    course: str | None = Field(None, max_length=100, description="sender name of emails; default: the title")
    reply_to: Email | None = Field(None, description="Reply-To of emails; default: the host")


class Window(Strict):
    """A stretch of local time (in the facilitator's own zone) when someone is available."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    start: LocalDateTime = Field(alias="from")
    until: LocalDateTime

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.until <= self.start:
            raise ValueError("`until` must be after `from`")
        return self


class Facilitator(Strict):
    id: Identifier
    name: str = Field(min_length=1)
    email: Email
    timezone: TimeZoneName | None = None
    channel: Channel | None = None
    webhook_url: str | None = None
    available: list[Window] = Field(default_factory=list)


class Student(Strict):
    email: Email
    name: str = Field(min_length=1)
    group: str | None = None
    timezone: TimeZoneName | None = None


class Students(Strict):
    roster: str | None = Field(None, description="CSV path, relative to the plan file")
    inline: list[Student] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_source(self) -> Students:
        if self.roster is None and not self.inline:
            raise ValueError("give either `roster: students.csv` or an `inline:` list of students")
        return self


class Talk(Strict):
    speaker: Identifier
    title: str | None = None
    minutes: int = Field(gt=0, le=1440)


class Pair(Strict):
    facilitator: Identifier
    group: str


class PlenaryPhase(Strict):
    kind: Literal["plenary"]
    title: str = "Plenary"
    duration: PhaseLength
    talks: list[Talk] = Field(default_factory=list)


class BreakPhase(Strict):
    kind: Literal["break"]
    title: str = "Break"
    duration: PhaseLength


class BreakoutPhase(Strict):
    kind: Literal["breakout"]
    title: str = "Breakout groups"
    duration: PhaseLength
    groups: int | list[str]
    slot: PhaseLength
    transition: Gap = timedelta()
    visits_per_group: int | None = Field(None, gt=0, le=100)
    rotation: Literal["full"] | None = None
    pairs: list[Pair] | None = None
    facilitators_per_room: int = Field(1, gt=0, le=100)
    exclude: list[Pair] = Field(default_factory=list)
    assignment: Literal["balanced", "roster", "random"] = "balanced"
    prompt: str = (
        "Take turns: which part of today's stories stayed with you, and why? "
        "What would make it easier to ask for help during training?"
    )

    @model_validator(mode="after")
    def _one_visit_rule(self) -> BreakoutPhase:
        given = [x for x in (self.visits_per_group, self.rotation, self.pairs) if x is not None]
        if len(given) != 1:
            raise ValueError(
                "say which visits you want with exactly one of `visits_per_group: 1`, "
                "`rotation: full` or `pairs: [...]`"
            )
        return self

    @field_validator("groups")
    @classmethod
    def _some_groups(cls, groups: int | list[str]) -> int | list[str]:
        if isinstance(groups, int) and not 1 <= groups <= 100:
            raise ValueError("`groups` must be between 1 and 100 (Zoom allows at most 100 breakout rooms)")
        if isinstance(groups, list) and not groups:
            raise ValueError("`groups` needs at least one group: a number like `6`, or a list of names")
        if isinstance(groups, list) and not all(name.strip() for name in groups):
            raise ValueError("group names must not be empty")
        if isinstance(groups, list) and len(set(groups)) != len(groups):
            raise ValueError("group names must be different from each other")
        return groups

    @property
    def group_names(self) -> list[str]:
        if isinstance(self.groups, int):
            return [f"Group {i + 1}" for i in range(self.groups)]
        return list(self.groups)


Phase = Annotated[PlenaryPhase | BreakoutPhase | BreakPhase, Field(discriminator="kind")]


class Survey(Strict):
    url: str
    send: WhenField
    reminders: list[WhenField] = Field(default_factory=list)
    close: WhenField | None = None


class Resource(Strict):
    title: str
    url: str


class Resources(Strict):
    send: WhenField = When(anchor="end", offset=timedelta(minutes=5))
    items: list[Resource] = Field(min_length=1)


class SupportContact(Strict):
    """Somewhere a student can turn (the school's counselling service, a crisis line).

    The topic is mental health: the board and the follow-up email name these, so a student who
    is shaken by the session knows where to go without searching for it.
    """

    name: str = Field(min_length=1, max_length=120)
    phone: str | None = Field(None, min_length=1, max_length=40)
    url: str | None = Field(None, pattern=r"^https?://\S+$", max_length=500)
    hours: str | None = Field(None, min_length=1, max_length=80, description="e.g. `24/7` or `Mon-Fri 9-17`")

    @model_validator(mode="after")
    def _reachable(self) -> SupportContact:
        if self.phone is None and self.url is None:
            raise ValueError("give a `phone` or a `url` (or both), so a student can reach it")
        return self


class FocusGroup(Strict):
    send: WhenField
    url: str | None = None


class Board(Strict):
    enabled: bool = True
    moderation: bool = Field(False, description="hold posts until the director approves them")
    zoom_chat_prefix: str | None = Field(
        None, description="private chat messages to the host starting with this go to the board"
    )
    posts_per_minute: int = Field(6, gt=0, le=600)


class Channels(Strict):
    students: Channel = Channel.EMAIL
    facilitators: Channel = Channel.EMAIL


class Messages(Strict):
    channels: Channels = Channels()
    cue_lead: Duration = timedelta(minutes=2)
    cue_grace: Duration = timedelta(minutes=1)
    invitation: WhenField = When(anchor="start", offset=timedelta(days=-1))
    pre_survey: Survey | None = None
    post_survey: Survey | None = None
    resources: Resources | None = None
    focus_group: FocusGroup | None = None
    board: Board = Board()


class Plan(Strict):
    session: SessionInfo
    facilitators: list[Facilitator] = Field(min_length=1)
    students: Students
    phases: list[Phase] = Field(min_length=1)
    messages: Messages = Messages()
    support: list[SupportContact] = Field(default_factory=list, max_length=10)
