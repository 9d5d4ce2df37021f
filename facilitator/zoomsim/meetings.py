"""Simulator handlers for meetings, users and Team Chat (`/v2/users/...`, `/v2/meetings/{id}`).

Behaviour follows API-NOTES section 2: hosts must be users of the account (404, code 1001),
unknown meetings are 404 code 3001, creates and updates count toward 100 per host per day
(429 with Zoom's wording, reset at 00:00 UTC on the simulator's clock), `PATCH` answers 204 and
replaces `settings.breakout_room` as a whole (send the full room list every time).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web

from facilitator.zoom.models import ChatMessageRequest, MeetingRequest, MeetingSettings
from facilitator.zoomsim.core import SimulatorCore
from facilitator.zoomsim.http import ZoomHTTPError, paginate, validated, validation_failed
from facilitator.zoomsim.state import ChatMessage, SimMeeting

DAILY_MEETING_WRITES = 100
DEFAULT_SETTINGS: dict[str, Any] = {
    "host_video": False,
    "participant_video": False,
    "join_before_host": False,
    "mute_upon_entry": False,
    "waiting_room": False,
    "approval_type": 2,
    "auto_recording": "none",
    "alternative_hosts": "",
    "registrants_confirmation_email": True,
    "registrants_email_notification": True,
    "breakout_room": {"enable": False, "rooms": []},
}


def _daily_write_limit(host: str) -> ZoomHTTPError:
    return ZoomHTTPError(
        429,
        429,
        f"You have exceeded the daily rate limit ({DAILY_MEETING_WRITES}) of Meeting Create/Update API "
        "requests permitted for this particular user. You may resume these requests at GMT 00:00:00.",
        headers={
            "X-RateLimit-Category": "Medium",
            "X-RateLimit-Limit": str(DAILY_MEETING_WRITES),
            "X-RateLimit-Remaining": "0",
        },
    )  # no X-RateLimit-Type and no Retry-After: what a real per-user 429 looked like


def _start_time(body: MeetingRequest, default: datetime) -> datetime:
    if body.start_time is None:
        return default
    if body.start_time.tzinfo is not None:
        return body.start_time.astimezone(UTC)
    try:
        zone = ZoneInfo(body.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise validation_failed([{"field": "timezone", "message": "Invalid field."}]) from None
    return body.start_time.replace(tzinfo=zone).astimezone(UTC)


class MeetingRoutes:
    def __init__(self, sim: SimulatorCore) -> None:
        self.sim = sim
        self.state = sim.state

    def register(self, app: web.Application) -> None:
        r = app.router
        r.add_post("/v2/users/{userId}/meetings", self.create)
        r.add_get("/v2/users/{userId}/meetings", self.list)
        r.add_get("/v2/meetings/{meetingId}", self.get)
        r.add_patch("/v2/meetings/{meetingId}", self.update)
        r.add_delete("/v2/meetings/{meetingId}", self.delete)
        r.add_get("/v2/users/{userId}", self.get_user)
        r.add_post("/v2/chat/users/{userId}/messages", self.send_chat)

    # --- helpers ----------------------------------------------------------------------------

    def _host(self, user_id: str) -> str:
        email = user_id.lower()
        if not self.sim.is_known_user(email):
            raise ZoomHTTPError(404, 1001, f"User {user_id} not exist or not belong to this account.")
        return email

    def meeting(self, raw_id: str) -> SimMeeting:
        try:
            meeting = self.state.meetings.get(int(raw_id))
        except ValueError:
            meeting = None
        if meeting is None:
            raise ZoomHTTPError(404, 3001, f"Meeting {raw_id} is not found or has expired.")
        return meeting

    def _count_write(self, host: str) -> None:
        today = self.sim.clock.now().date()
        if self.state.count_today("meeting_write", host, today) >= DAILY_MEETING_WRITES:
            raise _daily_write_limit(host)
        self.state.add_today("meeting_write", host, today)

    def _check_settings(self, settings: MeetingSettings | None) -> dict[str, Any]:
        if settings is None:
            return {}
        bad = [h for h in settings.alternative_host_list() if not self.sim.is_known_user(h.lower())]
        if bad:
            raise validation_failed(
                [
                    {"field": "settings.alternative_hosts", "message": f"{h} is not a user in this account"}
                    for h in bad
                ]
            )
        return settings.body()

    # --- handlers ---------------------------------------------------------------------------

    async def create(self, request: web.Request) -> web.Response:
        host = self._host(request.match_info["userId"])
        body = await validated(request, MeetingRequest)
        settings = DEFAULT_SETTINGS | self._check_settings(body.settings)
        if settings.get("waiting_room"):
            settings["join_before_host"] = False  # Zoom: a waiting room disables join-before-host
        self._count_write(host)
        now = self.sim.clock.now()
        meeting_id, password = self.state.new_meeting_id(), self.state.new_password()
        meeting = SimMeeting(
            id=meeting_id,
            uuid=self.state.new_uuid(),
            host_email=host,
            host_id=self.state.user(host).id,
            topic=body.topic or "Zoom meeting",
            type=body.type or 2,
            start_time=_start_time(body, now),
            duration=body.duration if body.duration is not None else 60,
            timezone=body.timezone or "UTC",
            agenda=body.agenda or "",
            password=body.password or password,
            created_at=now,
            join_url=self.state.meeting_join_url(meeting_id),
            start_url=self.state.start_url(meeting_id),
            settings=settings,
            registration_token=self.state.new_registrant_id(),
        )
        self.state.meetings[meeting.id] = meeting
        return web.json_response(meeting.as_json(self.state.public_base), status=201)

    async def list(self, request: web.Request) -> web.Response:
        host = self._host(request.match_info["userId"])
        kind = request.query.get("type", "scheduled")
        now = self.sim.clock.now()
        if kind not in ("scheduled", "upcoming", "upcoming_meetings", "live", "previous_meetings"):
            raise validation_failed([{"field": "type", "message": "Invalid field."}])

        def chosen(m: SimMeeting) -> bool:
            if kind == "live":
                return m.status == "started"
            if kind == "previous_meetings":
                return m.ended
            return not m.ended and (kind == "scheduled" or m.start_time >= now)

        mine = sorted(
            (m for m in self.state.meetings.values() if m.host_email == host and chosen(m)),
            key=lambda m: (m.start_time, m.id),
        )
        page = paginate(
            request,
            self.state,
            now,
            endpoint="list_meetings",
            key=host,
            items=[m.summary_json() for m in mine],
            item_key="meetings",
        )
        return web.json_response(page)

    async def get(self, request: web.Request) -> web.Response:
        meeting = self.meeting(request.match_info["meetingId"])
        return web.json_response(meeting.as_json(self.state.public_base))

    async def update(self, request: web.Request) -> web.Response:
        meeting = self.meeting(request.match_info["meetingId"])
        body = await validated(request, MeetingRequest)
        new_settings = self._check_settings(body.settings)
        self._count_write(meeting.host_email)
        for name in ("topic", "type", "duration", "timezone", "agenda", "password"):
            value = getattr(body, name)
            if value is not None:
                setattr(meeting, name, value)
        if body.start_time is not None:
            meeting.start_time = _start_time(body, meeting.start_time)
        meeting.settings.update(new_settings)  # breakout_room, when given, replaces the old one
        if meeting.settings.get("waiting_room"):
            meeting.settings["join_before_host"] = False
        return web.Response(status=204)

    async def delete(self, request: web.Request) -> web.Response:
        meeting = self.meeting(request.match_info["meetingId"])
        del self.state.meetings[meeting.id]
        self.state.deleted.add(meeting.id)
        return web.Response(status=204)

    async def get_user(self, request: web.Request) -> web.Response:
        user_id = request.match_info["userId"]
        if not self.sim.is_known_user(user_id.lower()):
            raise ZoomHTTPError(404, 1001, f"User does not exist: {user_id}.")
        user = self.state.user(user_id)
        return web.json_response(user.as_json(self.sim.config.account_id))

    async def send_chat(self, request: web.Request) -> web.Response:
        sender = self._host(request.match_info["userId"])
        body = await validated(request, ChatMessageRequest)
        if body.to_contact is not None and not self.sim.is_known_user(body.to_contact.lower()):
            raise ZoomHTTPError(404, 1001, f"User does not exist: {body.to_contact}.")
        message = ChatMessage(
            id=str(uuid.UUID(int=self.state.rng.getrandbits(128), version=4)),
            sender=sender,
            to_contact=body.to_contact,
            to_channel=body.to_channel,
            message=body.message,
            at=self.sim.clock.now(),
        )
        self.state.chat.append(message)
        return web.json_response({"id": message.id}, status=201)
