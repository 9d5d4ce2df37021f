"""Request and response bodies for the Zoom endpoints the bot uses.

Written from Zoom's published OpenAPI data (Meeting API, Oct-2023 snapshot; see
../shared/zoom/API-NOTES.md) and limited to the fields we send or read. Request models keep the
spec's limits (lengths, enums, 30 registrants per batch) because the simulator validates bodies
with these same models, so a body the bot would get wrong fails in tests, not on Zoom.
Response models ignore fields they do not name: Zoom adds fields often.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    SecretStr,
    model_validator,
)

MAX_BATCH_REGISTRANTS = 30  # POST /meetings/{id}/batch_registrants takes at most 30 per call
MAX_BREAKOUT_ROOMS = 100  # pre-assignment limit (Zoom support KB0061353)
MAX_PREASSIGNED = 1000
MAX_PAGE_SIZE = 300

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _email(value: object) -> object:
    if isinstance(value, str) and not _EMAIL.match(value):
        raise ValueError("Invalid field.")
    return value


def zoom_time(value: datetime) -> str:
    """Zoom's `yyyy-MM-ddTHH:mm:ssZ` (UTC) for aware datetimes; local time as given otherwise."""
    if value.tzinfo is None:
        return value.strftime("%Y-%m-%dT%H:%M:%S")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


Email = Annotated[str, BeforeValidator(_email), Field(max_length=128)]
ZoomTime = Annotated[datetime, PlainSerializer(zoom_time, return_type=str)]


class _Request(BaseModel):
    """Request bodies: unknown keys are tolerated (Zoom ignores them), known keys are checked."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    def body(self) -> dict[str, Any]:
        """The JSON we send: unset fields left out, so Zoom applies its own defaults."""
        return self.model_dump(mode="json", exclude_none=True)


class _Response(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


# --- meetings -------------------------------------------------------------------------------


class BreakoutRoom(_Request):
    name: str = Field(min_length=1, max_length=255)
    participants: list[Email] = Field(default_factory=list)


class BreakoutRoomSettings(_Request):
    enable: bool | None = None
    rooms: list[BreakoutRoom] | None = Field(None, max_length=MAX_BREAKOUT_ROOMS)

    @model_validator(mode="after")
    def _preassigned_limit(self) -> BreakoutRoomSettings:
        people = sum(len(r.participants) for r in self.rooms or [])
        if people > MAX_PREASSIGNED:
            raise ValueError(f"at most {MAX_PREASSIGNED} participants can be pre-assigned, got {people}")
        return self


class MeetingSettings(_Request):
    waiting_room: bool | None = None
    join_before_host: bool | None = None
    jbh_time: Literal[0, 5, 10] | None = None
    mute_upon_entry: bool | None = None
    host_video: bool | None = None
    participant_video: bool | None = None
    approval_type: Literal[0, 1, 2] | None = None
    registration_type: Literal[1, 2, 3] | None = None
    registrants_confirmation_email: bool | None = None
    registrants_email_notification: bool | None = None
    alternative_hosts: str | None = None  # semicolon-separated emails
    alternative_hosts_email_notification: bool | None = None
    auto_recording: Literal["local", "cloud", "none"] | None = None
    email_notification: bool | None = None
    breakout_room: BreakoutRoomSettings | None = None

    def alternative_host_list(self) -> list[str]:
        return [h.strip() for h in (self.alternative_hosts or "").split(";") if h.strip()]


class MeetingRequest(_Request):
    """Body of `POST /users/{userId}/meetings` and `PATCH /meetings/{id}` (all fields optional)."""

    topic: str | None = Field(None, max_length=200)
    type: Literal[1, 2, 3, 8] | None = None
    start_time: ZoomTime | None = None
    duration: int | None = Field(None, ge=0)
    timezone: str | None = None
    agenda: str | None = Field(None, max_length=2000)
    password: str | None = Field(None, max_length=10, pattern=r"^[A-Za-z0-9@_*-]*$")
    settings: MeetingSettings | None = None


MeetingCreate = MeetingRequest
MeetingUpdate = MeetingRequest


class BreakoutRoomEcho(_Response):
    name: str = ""
    participants: list[str] = Field(default_factory=list)


class BreakoutEcho(_Response):
    enable: bool | None = None
    rooms: list[BreakoutRoomEcho] | None = None


class MeetingSettingsEcho(_Response):
    """The settings Zoom reports back: read leniently (Zoom adds values and keys over time)."""

    approval_type: int | None = None
    alternative_hosts: str | None = None
    waiting_room: bool | None = None
    join_before_host: bool | None = None
    mute_upon_entry: bool | None = None
    auto_recording: str | None = None
    breakout_room: BreakoutEcho | None = None


class Meeting(_Response):
    """Create-meeting (201) and get-meeting (200) responses."""

    id: int
    uuid: str | None = None
    host_id: str | None = None
    host_email: str | None = None
    topic: str | None = None
    type: int | None = None
    status: str | None = None  # "waiting" | "started" (GET only)
    start_time: datetime | None = None
    duration: int | None = None
    timezone: str | None = None
    agenda: str | None = None
    created_at: datetime | None = None
    join_url: str | None = None
    start_url: str | None = Field(None, repr=False)  # lets anyone start the meeting as host
    registration_url: str | None = None
    password: str | None = Field(None, repr=False)
    settings: MeetingSettingsEcho | None = None


class MeetingSummary(_Response):
    """An item of `GET /users/{userId}/meetings`."""

    id: int
    uuid: str | None = None
    topic: str | None = None
    type: int | None = None
    start_time: datetime | None = None
    duration: int | None = None
    timezone: str | None = None
    join_url: str | None = None


class _Page(_Response):
    next_page_token: str | None = None
    page_size: int | None = None
    total_records: int | None = None


class MeetingList(_Page):
    meetings: list[MeetingSummary] = Field(default_factory=list)


# --- registrants ----------------------------------------------------------------------------


class RegistrantCreate(_Request):
    """Body of `POST /meetings/{id}/registrants`."""

    email: Email
    first_name: str = Field(min_length=1, max_length=64)
    last_name: str | None = Field(None, max_length=64)
    auto_approve: bool | None = None


class RegistrantCreated(_Response):
    id: int | None = None  # the meeting id
    registrant_id: str
    join_url: str
    participant_pin_code: int | None = None
    topic: str | None = None
    start_time: datetime | None = None


class BatchRegistrant(_Request):
    email: Email
    first_name: str = Field(min_length=1, max_length=64)
    last_name: str | None = Field(None, max_length=64)


class BatchRegistrantsRequest(_Request):
    """Body of `POST /meetings/{id}/batch_registrants`: at most 30 registrants."""

    auto_approve: bool | None = None
    registrants_confirmation_email: bool | None = None
    registrants: list[BatchRegistrant] = Field(min_length=1, max_length=MAX_BATCH_REGISTRANTS)


class BatchRegistrantResult(_Response):
    email: str
    registrant_id: str
    join_url: str
    participant_pin_code: int | None = None


class BatchRegistrantsResponse(_Response):
    registrants: list[BatchRegistrantResult] = Field(default_factory=list)


class Registrant(_Response):
    """An item of `GET /meetings/{id}/registrants`."""

    id: str
    email: str
    first_name: str
    last_name: str | None = None
    status: str | None = None
    create_time: datetime | None = None
    join_url: str | None = None
    participant_pin_code: int | None = None


class RegistrantList(_Page):
    registrants: list[Registrant] = Field(default_factory=list)


# --- after the meeting ----------------------------------------------------------------------


class PastParticipant(_Response):
    id: str | None = None
    name: str | None = None
    user_id: str | None = None
    registrant_id: str | None = None
    user_email: str | None = None
    join_time: datetime | None = None
    leave_time: datetime | None = None
    duration: int | None = None
    failover: bool | None = None
    status: str | None = None


class PastParticipantList(_Page):
    participants: list[PastParticipant] = Field(default_factory=list)


# --- users, chat, auth, errors --------------------------------------------------------------


class ZoomUser(_Response):
    """`GET /users/{userId}` (the fields `doctor` looks at). type: 1 basic, 2 licensed, 99 none."""

    id: str
    email: str
    first_name: str | None = None
    last_name: str | None = None
    type: int | None = None
    status: str | None = None
    account_id: str | None = None
    timezone: str | None = None


class ChatMessageRequest(_Request):
    """Body of `POST /chat/users/{userId}/messages`: exactly one of `to_contact` / `to_channel`."""

    message: str = Field(min_length=1, max_length=4096)
    to_contact: Email | None = None
    to_channel: str | None = None

    @model_validator(mode="after")
    def _one_recipient(self) -> ChatMessageRequest:
        if (self.to_contact is None) == (self.to_channel is None):
            raise ValueError("give exactly one of to_contact or to_channel")
        return self


class ChatMessageSent(_Response):
    id: str


class TokenResponse(_Response):
    """`POST /oauth/token` (account_credentials). The token itself stays a SecretStr."""

    access_token: SecretStr
    token_type: str = "bearer"
    expires_in: int
    scope: str = ""

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(self.scope.split())


class ZoomFieldError(_Response):
    field: str = ""
    message: str = ""


class ZoomErrorBody(_Response):
    """Zoom's error body: `{code, message}` plus `errors[]` for validation failures."""

    code: int | None = None
    message: str = ""
    errors: list[ZoomFieldError] | None = None
