"""Simulator handlers for registrants and past participants.

Zoom's rules as the bot meets them (API-NOTES 2.3, 2.5, 4.1): registration only on meetings with
`approval_type` 0 or 1 (batch only on type 2), at most 30 per batch, at most 3 adds per email per
meeting per day (429, reset at 00:00 UTC), re-adding someone returns the registrant they already
are, and every registrant gets a personal join URL.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import unquote

from aiohttp import web

from facilitator.zoom.models import BatchRegistrantsRequest, RegistrantCreate
from facilitator.zoomsim.core import SimulatorCore
from facilitator.zoomsim.http import ZoomHTTPError, paginate, validated, validation_failed
from facilitator.zoomsim.meetings import MeetingRoutes
from facilitator.zoomsim.state import SimMeeting, SimRegistrant

DAILY_ADDS_PER_REGISTRANT = 3
MAX_REGISTRANTS = 4999


def _daily_add_limit(email: str, *, batch: bool) -> ZoomHTTPError:
    if batch:
        message = (
            f"You have exceeded the daily rate limit ({DAILY_ADDS_PER_REGISTRANT}) of Meeting Batch "
            f"Registration API requests permitted for ({email}) this particular registrant. "
            "You may resume these requests at GMT 00:00:00."
        )
    else:
        message = (
            f"You have exceeded the daily rate limit of ({DAILY_ADDS_PER_REGISTRANT}) for Add a meeting "
            f"registrant API requests for the registrant ({email}). "
            "You can resume these API requests at GMT 00:00:00."
        )
    headers = {"X-RateLimit-Limit": str(DAILY_ADDS_PER_REGISTRANT), "X-RateLimit-Remaining": "0"}
    return ZoomHTTPError(429, 429, message, headers=headers)


class RegistrantRoutes:
    def __init__(self, sim: SimulatorCore, meetings: MeetingRoutes) -> None:
        self.sim = sim
        self.meetings = meetings
        self.state = sim.state

    def register(self, app: web.Application) -> None:
        r = app.router
        r.add_post("/v2/meetings/{meetingId}/registrants", self.add)
        r.add_post("/v2/meetings/{meetingId}/batch_registrants", self.batch)
        r.add_get("/v2/meetings/{meetingId}/registrants", self.list)
        r.add_get("/v2/past_meetings/{meetingId}/participants", self.past_participants)

    def _open(self, meeting: SimMeeting, *, batch: bool) -> None:
        if batch and meeting.type != 2:
            raise ZoomHTTPError(
                400,
                303,
                "This API can only be used for scheduled meeting(meeting type: 2). "
                "Batch registration is not supported for other meeting types.",
            )
        if not meeting.registration_open:
            raise ZoomHTTPError(
                404, 404, f"Registration has not been enabled for this meeting: {meeting.id}."
            )
        if meeting.start_time + timedelta(minutes=meeting.duration) < self.sim.clock.now():
            raise ZoomHTTPError(
                400,
                3038,
                "Meeting is over, you can not register now. "
                "If you have any questions, please contact the Meeting host.",
            )

    def _count_adds(self, meeting: SimMeeting, emails: list[str], *, batch: bool) -> None:
        """All or nothing: one address over its daily limit refuses the whole request."""
        today = self.sim.clock.now().date()
        for email in emails:
            if self.state.count_today("registrant_add", f"{meeting.id}:{email}", today) >= (
                DAILY_ADDS_PER_REGISTRANT
            ):
                raise _daily_add_limit(email, batch=batch)
        for email in emails:
            self.state.add_today("registrant_add", f"{meeting.id}:{email}", today)

    def _register(
        self, meeting: SimMeeting, email: str, first: str, last: str | None, auto_approve: bool | None
    ) -> SimRegistrant:
        key = email.lower()
        existing = meeting.registrants.get(key)
        if existing is not None:
            return existing  # Zoom hands back the registrant they already are
        if len(meeting.registrants) >= MAX_REGISTRANTS:
            raise ZoomHTTPError(404, 3043, "Meeting has reached maximum attendee capacity.")
        approved = meeting.settings.get("approval_type") == 0 or bool(auto_approve)
        registrant = SimRegistrant(
            id=self.state.new_registrant_id(),
            email=key,
            first_name=first,
            last_name=last,
            status="approved" if approved else "pending",
            create_time=self.sim.clock.now(),
            join_url=self.state.registrant_join_url(meeting.id),
            pin=self.state.rng.randint(100_000, 999_999),
        )
        meeting.registrants[key] = registrant
        return registrant

    async def add(self, request: web.Request) -> web.Response:
        meeting = self.meetings.meeting(request.match_info["meetingId"])
        body = await validated(request, RegistrantCreate)
        self._open(meeting, batch=False)
        self._count_adds(meeting, [body.email.lower()], batch=False)
        reg = self._register(meeting, body.email, body.first_name, body.last_name, body.auto_approve)
        answer = {
            "id": meeting.id,
            "registrant_id": reg.id,
            "join_url": reg.join_url,
            "participant_pin_code": reg.pin,
            "topic": meeting.topic,
            "start_time": meeting.as_json("")["start_time"],
            "occurrences": [],
        }
        return web.json_response(answer, status=201)

    async def batch(self, request: web.Request) -> web.Response:
        meeting = self.meetings.meeting(request.match_info["meetingId"])
        body = await validated(request, BatchRegistrantsRequest)
        self._open(meeting, batch=True)
        self._count_adds(meeting, [r.email.lower() for r in body.registrants], batch=True)
        out = []
        for item in body.registrants:
            reg = self._register(meeting, item.email, item.first_name, item.last_name, body.auto_approve)
            out.append(
                {
                    "email": reg.email,
                    "join_url": reg.join_url,
                    "registrant_id": reg.id,
                    "participant_pin_code": reg.pin,
                }
            )
        return web.json_response({"registrants": out}, status=201)

    async def list(self, request: web.Request) -> web.Response:
        meeting = self.meetings.meeting(request.match_info["meetingId"])
        status = request.query.get("status", "approved")
        if status not in ("pending", "approved", "denied"):
            raise validation_failed([{"field": "status", "message": "Invalid field."}])
        items = [r.as_json() for r in meeting.registrants.values() if r.status == status]
        page = paginate(
            request,
            self.state,
            self.sim.clock.now(),
            endpoint="list_registrants",
            key=str(meeting.id),
            items=items,
            item_key="registrants",
        )
        return web.json_response(page)

    async def past_participants(self, request: web.Request) -> web.Response:
        ref = request.match_info["meetingId"]
        if "%" in ref:
            ref = unquote(ref)  # a UUID with "/" arrives encoded twice
        meeting = next(
            (m for m in self.state.meetings.values() if ref in (m.uuid, str(m.id))),
            None,
        )
        if meeting is None or not meeting.ended:
            raise ZoomHTTPError(404, 3001, "This meeting is not available or ID is not valid.")
        page = paginate(
            request,
            self.state,
            self.sim.clock.now(),
            endpoint="list_past_participants",
            key=meeting.uuid,
            items=list(meeting.past_participants),
            item_key="participants",
        )
        return web.json_response(page)
