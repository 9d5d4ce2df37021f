"""Typed Zoom webhook events: the few the bot acts on, parsed from Zoom's JSON envelope.

Zoom's payload shapes vary in small ways (the meeting `id` is a number in some events and a
string in others; optional fields come and go), so everything is normalised here once and the
rest of the code sees plain, typed values. Names and emails are kept out of `repr` so an event
that ends up in a log line by accident does not leak who took part.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


class EventFormatError(ValueError):
    """A known event whose payload lacks what Zoom always sends: the request is bad (400)."""


@dataclass(frozen=True)
class Participant:
    """One person as Zoom describes them in a participant or breakout-room event."""

    user_id: str
    user_name: str = field(repr=False)
    email: str | None = field(repr=False)  # lower-cased; None when they are not signed in
    participant_uuid: str | None = None
    registrant_id: str | None = None
    at: datetime | None = None  # join_time or leave_time

    @property
    def key(self) -> str:
        """A stable identity across rooms: the email when known, else Zoom's ids.

        Zoom gives a person a different `user_id` in each breakout room (rooms are separate
        meetings), so the email, or failing that the participant uuid, is what ties them together.
        """
        if self.email:
            return self.email
        if self.participant_uuid:
            return f"participant:{self.participant_uuid}"
        return f"user:{self.user_id}"


@dataclass(frozen=True)
class ZoomEvent:
    """Fields every meeting event carries."""

    event: str
    event_ts: datetime
    account_id: str
    meeting_id: str  # normalised to a string: Zoom sends a number or a string
    meeting_uuid: str


@dataclass(frozen=True)
class MeetingStarted(ZoomEvent):
    topic: str = ""
    start_time: datetime | None = None


@dataclass(frozen=True)
class MeetingEnded(ZoomEvent):
    topic: str = ""
    end_time: datetime | None = None


@dataclass(frozen=True)
class ParticipantJoined(ZoomEvent):
    participant: Participant = field(kw_only=True)


@dataclass(frozen=True)
class ParticipantLeft(ZoomEvent):
    participant: Participant = field(kw_only=True)
    leave_reason: str | None = None


@dataclass(frozen=True)
class ParticipantJoinedBreakoutRoom(ZoomEvent):
    breakout_room_uuid: str = field(kw_only=True)
    participant: Participant = field(kw_only=True)


@dataclass(frozen=True)
class ParticipantLeftBreakoutRoom(ZoomEvent):
    breakout_room_uuid: str = field(kw_only=True)
    participant: Participant = field(kw_only=True)
    leave_reason: str | None = None


@dataclass(frozen=True)
class ChatMessageSent(ZoomEvent):
    """An in-meeting chat message. It names its sender: strip that before storing anything."""

    message_id: str = field(kw_only=True)
    message_content: str = field(kw_only=True, repr=False)
    sender_name: str = field(kw_only=True, repr=False)
    sender_email: str | None = field(kw_only=True, repr=False)
    sender_type: str = field(kw_only=True)  # host | guest
    recipient_type: str = field(kw_only=True)  # everyone | host | guest | group
    recipient_name: str | None = field(default=None, kw_only=True, repr=False)
    recipient_email: str | None = field(default=None, kw_only=True, repr=False)
    date_time: datetime | None = field(default=None, kw_only=True)


MEETING_STARTED = "meeting.started"
MEETING_ENDED = "meeting.ended"
PARTICIPANT_JOINED = "meeting.participant_joined"
PARTICIPANT_LEFT = "meeting.participant_left"
JOINED_BREAKOUT = "meeting.participant_joined_breakout_room"
LEFT_BREAKOUT = "meeting.participant_left_breakout_room"
CHAT_MESSAGE_SENT = "meeting.chat_message_sent"
URL_VALIDATION = "endpoint.url_validation"


def parse_time(value: Any) -> datetime | None:
    """Zoom's ISO-8601 instants ("2024-05-01T14:30:05Z"); None when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _text(obj: Mapping[str, Any], key: str, *, required: bool = False) -> str | None:
    value = obj.get(key)
    if value is None or value == "":
        if required:
            raise EventFormatError(f"missing field {key!r}")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise EventFormatError(f"field {key!r} has the wrong type")
    if isinstance(value, float) and not math.isfinite(value):
        raise EventFormatError(f"field {key!r} is not a finite number")
    return str(value) if not isinstance(value, float) else str(int(value))


def _email(obj: Mapping[str, Any], key: str) -> str | None:
    value = _text(obj, key)
    return value.strip().lower() if value else None


def _participant(obj: Mapping[str, Any], time_key: str) -> Participant:
    raw = obj.get("participant")
    if not isinstance(raw, Mapping):
        raise EventFormatError("missing object 'participant'")
    user_id = _text(raw, "user_id") or _text(raw, "id") or _text(raw, "participant_uuid")
    if user_id is None:
        raise EventFormatError("participant has no user_id")
    return Participant(
        user_id=user_id,
        user_name=_text(raw, "user_name") or "",
        email=_email(raw, "email"),
        participant_uuid=_text(raw, "participant_uuid"),
        registrant_id=_text(raw, "registrant_id"),
        at=parse_time(raw.get(time_key)),
    )


_LATEST_EVENT_TS = 253_402_300_799_000  # 9999-12-31T23:59:59Z in milliseconds, datetime's limit


def parse_event(envelope: Mapping[str, Any]) -> ZoomEvent | None:
    """Turn a verified webhook body into a typed event; None for events the bot does not use.

    Raises EventFormatError when a known event lacks a field Zoom always sends.
    """
    name = envelope.get("event")
    if not isinstance(name, str):
        raise EventFormatError("missing field 'event'")
    if name not in _BUILDERS:
        return None
    payload = envelope.get("payload")
    if not isinstance(payload, Mapping):
        raise EventFormatError("missing object 'payload'")
    obj = payload.get("object")
    if not isinstance(obj, Mapping):
        raise EventFormatError("missing object 'payload.object'")
    ts_raw = envelope.get("event_ts")
    if isinstance(ts_raw, bool) or not isinstance(ts_raw, int | float):
        raise EventFormatError("missing numeric field 'event_ts'")
    if not 0 <= ts_raw <= _LATEST_EVENT_TS:
        raise EventFormatError("'event_ts' is not a time in milliseconds since 1970")
    common: dict[str, Any] = {
        "event": name,
        "event_ts": datetime.fromtimestamp(ts_raw / 1000, UTC),
        "account_id": _text(payload, "account_id") or "",
        "meeting_id": _text(obj, "id", required=True),
        "meeting_uuid": _text(obj, "uuid") or "",
    }
    return _BUILDERS[name](common, obj)


def _started(common: dict[str, Any], obj: Mapping[str, Any]) -> ZoomEvent:
    return MeetingStarted(
        **common, topic=_text(obj, "topic") or "", start_time=parse_time(obj.get("start_time"))
    )


def _ended(common: dict[str, Any], obj: Mapping[str, Any]) -> ZoomEvent:
    return MeetingEnded(**common, topic=_text(obj, "topic") or "", end_time=parse_time(obj.get("end_time")))


def _joined(common: dict[str, Any], obj: Mapping[str, Any]) -> ZoomEvent:
    return ParticipantJoined(**common, participant=_participant(obj, "join_time"))


def _left(common: dict[str, Any], obj: Mapping[str, Any]) -> ZoomEvent:
    participant = _participant(obj, "leave_time")
    raw = obj.get("participant")
    reason = _text(raw, "leave_reason") if isinstance(raw, Mapping) else None
    return ParticipantLeft(**common, participant=participant, leave_reason=reason)


def _breakout_uuid(obj: Mapping[str, Any]) -> str:
    value = _text(obj, "breakout_room_uuid", required=True)
    assert value is not None  # required=True raised otherwise
    return value


def _joined_bo(common: dict[str, Any], obj: Mapping[str, Any]) -> ZoomEvent:
    return ParticipantJoinedBreakoutRoom(
        **common, breakout_room_uuid=_breakout_uuid(obj), participant=_participant(obj, "join_time")
    )


def _left_bo(common: dict[str, Any], obj: Mapping[str, Any]) -> ZoomEvent:
    raw = obj.get("participant")
    return ParticipantLeftBreakoutRoom(
        **common,
        breakout_room_uuid=_breakout_uuid(obj),
        participant=_participant(obj, "leave_time"),
        leave_reason=_text(raw, "leave_reason") if isinstance(raw, Mapping) else None,
    )


def _chat(common: dict[str, Any], obj: Mapping[str, Any]) -> ZoomEvent:
    msg = obj.get("chat_message")
    if not isinstance(msg, Mapping):
        raise EventFormatError("missing object 'chat_message'")
    content = msg.get("message_content")
    if not isinstance(content, str):
        raise EventFormatError("missing field 'message_content'")
    return ChatMessageSent(
        **common,
        message_id=_text(msg, "message_id") or "",
        message_content=content,
        sender_name=_text(msg, "sender_name") or "",
        sender_email=_email(msg, "sender_email"),
        sender_type=_text(msg, "sender_type") or "",
        recipient_type=(_text(msg, "recipient_type") or "").lower(),
        recipient_name=_text(msg, "recipient_name"),
        recipient_email=_email(msg, "recipient_email"),
        date_time=parse_time(msg.get("date_time")),
    )


_BUILDERS = {
    MEETING_STARTED: _started,
    MEETING_ENDED: _ended,
    PARTICIPANT_JOINED: _joined,
    PARTICIPANT_LEFT: _left,
    JOINED_BREAKOUT: _joined_bo,
    LEFT_BREAKOUT: _left_bo,
    CHAT_MESSAGE_SENT: _chat,
}
