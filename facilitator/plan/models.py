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
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, model_validator

from facilitator.plan.times import When, format_duration, parse_duration, parse_local_datetime

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


def _gap(value: object) -> timedelta:
    """A duration that may be zero (transitions between slots)."""
    if value in (0, "0", "0m"):
        return timedelta()
    return _duration(value)


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
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        from difflib import get_close_matches
        from zoneinfo import available_timezones

        close = get_close_matches(value, sorted(available_timezones()), n=1)
        hint = f"; did you mean `{close[0]}`?" if close else "; use an IANA name like `Europe/Berlin`"
        raise ValueError(f"unknown time zone {value!r}{hint}") from None
    return value


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


class SessionInfo(Strict):
    title: str = Field(min_length=1, max_length=200)
    start: LocalDateTime
    timezone: TimeZoneName
    zoom: ZoomOptions
    study: str | None = Field(None, description="study id that keys survey codes; defaults to the title")
    seed: int = 0


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
    minutes: int = Field(gt=0)


class Pair(Strict):
    facilitator: Identifier
    group: str


class PlenaryPhase(Strict):
    kind: Literal["plenary"]
    title: str = "Plenary"
    duration: Duration
    talks: list[Talk] = Field(default_factory=list)


class BreakPhase(Strict):
    kind: Literal["break"]
    title: str = "Break"
    duration: Duration


class BreakoutPhase(Strict):
    kind: Literal["breakout"]
    title: str = "Breakout groups"
    duration: Duration
    groups: int | list[str]
    slot: Duration
    transition: Gap = timedelta()
    visits_per_group: int | None = Field(None, gt=0)
    rotation: Literal["full"] | None = None
    pairs: list[Pair] | None = None
    facilitators_per_room: int = Field(1, gt=0)
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
        if isinstance(self.groups, int) and not 1 <= self.groups <= 100:
            raise ValueError("`groups` must be between 1 and 100 (Zoom allows at most 100 breakout rooms)")
        if isinstance(self.groups, list) and len(set(self.groups)) != len(self.groups):
            raise ValueError("group names must be different from each other")
        return self

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


class FocusGroup(Strict):
    send: WhenField
    url: str | None = None


class Board(Strict):
    enabled: bool = True
    moderation: bool = Field(False, description="hold posts until the director approves them")
    zoom_chat_prefix: str | None = Field(
        None, description="private chat messages to the host starting with this go to the board"
    )
    posts_per_minute: int = Field(6, gt=0)


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
