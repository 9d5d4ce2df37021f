"""An async Zoom REST client: Server-to-Server OAuth, pacing, retries, typed calls.

One `ZoomClient` per process talks to one Zoom account. It keeps one token (fetched ~60 s before
expiry, by one caller while the others wait, and once more if Zoom says code 124; see auth.py),
paces every call per rate-limit category so Zoom rarely needs to say 429, and retries what is
worth retrying: 429s (honouring `Retry-After`), 5xx, timeouts and dropped connections; never other
4xx (the request loop is in transport.py). This module is the typed surface: one method per Zoom
operation the bot uses. Base URLs come from settings, so the same client talks to Zoom or to the
simulator. Only method, endpoint template and status are logged: no tokens, no bodies, no emails.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Self
from urllib.parse import quote

import aiohttp

from facilitator.config import Settings
from facilitator.zoom.auth import TOKEN_REFRESH_EARLY_SECONDS, ZoomAuth
from facilitator.zoom.models import (
    MAX_BATCH_REGISTRANTS,
    BatchRegistrant,
    BatchRegistrantResult,
    BatchRegistrantsRequest,
    BatchRegistrantsResponse,
    ChatMessageRequest,
    ChatMessageSent,
    Meeting,
    MeetingRequest,
    MeetingSummary,
    PastParticipant,
    Registrant,
    RegistrantCreate,
    RegistrantCreated,
    TokenResponse,
    ZoomUser,
)
from facilitator.zoom.ratelimit import DEFAULT_MARGIN_SECONDS, RateLimiter, pacing_trace
from facilitator.zoom.transport import RetryPolicy, Sleep, Waits, ZoomStats, ZoomTransport

__all__ = ["TOKEN_REFRESH_EARLY_SECONDS", "RetryPolicy", "Sleep", "ZoomClient", "ZoomStats"]


class ZoomClient:
    """Use as `async with ZoomClient(settings) as zoom: ...`."""

    def __init__(
        self,
        settings: Settings,
        *,
        sleep: Sleep = asyncio.sleep,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        monotonic: Callable[[], float] = time.monotonic,
        retry: RetryPolicy | None = None,
        rate_margin: float = DEFAULT_MARGIN_SECONDS,
    ) -> None:
        self.settings = settings
        self.retry = retry or RetryPolicy()
        self.stats = ZoomStats()
        self.limiter = RateLimiter(settings.zoom_plan, margin=rate_margin)
        self._session: aiohttp.ClientSession | None = None
        waits = Waits(self.retry, self.stats, sleep, now)
        self._auth = ZoomAuth(settings, lambda: self.session, waits, self.stats, monotonic)
        self._http = ZoomTransport(
            settings.zoom_api_base_url, lambda: self.session, self._auth, self.limiter, waits, self.stats
        )

    async def __aenter__(self) -> Self:
        timeout = aiohttp.ClientTimeout(total=self.settings.zoom_timeout_seconds)
        self._session = aiohttp.ClientSession(timeout=timeout, trace_configs=[pacing_trace()])
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("use `async with ZoomClient(settings) as zoom:`")
        return self._session

    async def token(self) -> TokenResponse:
        """A valid access token (see ZoomAuth.token: single-flight, refreshed before expiry)."""
        return await self._auth.token()

    # --- typed operations -------------------------------------------------------------------

    async def create_meeting(self, host_email: str, body: MeetingRequest) -> Meeting:
        """Create a meeting for `host_email`; never twice, even when a first attempt timed out."""

        async def already_made() -> Meeting | None:
            if body.topic is None or body.start_time is None or body.start_time.tzinfo is None:
                return None
            found = await self.find_meeting(host_email, body.topic, body.start_time)
            return None if found is None else await self.get_meeting(found.id)

        data = await self._http.call(
            "create_meeting", {"userId": host_email}, body=body.body(), before_retry=already_made
        )
        return data if isinstance(data, Meeting) else Meeting.model_validate(data)

    async def list_meetings(
        self, host_email: str, *, kind: str = "scheduled"
    ) -> AsyncIterator[MeetingSummary]:
        async for item in self._http.pages(
            "list_meetings", {"userId": host_email}, {"type": kind, "page_size": 300}, "meetings"
        ):
            yield MeetingSummary.model_validate(item)

    async def find_meeting(self, host_email: str, topic: str, start_time: datetime) -> MeetingSummary | None:
        """The host's scheduled meeting with this topic and start time, if there is one."""
        async for meeting in self.list_meetings(host_email):
            if meeting.topic == topic and meeting.start_time == start_time.astimezone(UTC):
                return meeting
        return None

    async def get_meeting(self, meeting_id: int) -> Meeting:
        return Meeting.model_validate(await self._http.call("get_meeting", {"meetingId": meeting_id}))

    async def update_meeting(self, meeting_id: int, body: MeetingRequest) -> None:
        await self._http.call("update_meeting", {"meetingId": meeting_id}, body=body.body())

    async def delete_meeting(self, meeting_id: int) -> None:
        await self._http.call("delete_meeting", {"meetingId": meeting_id})

    async def add_registrant(self, meeting_id: int, body: RegistrantCreate) -> RegistrantCreated:
        data = await self._http.call("add_registrant", {"meetingId": meeting_id}, body=body.body())
        return RegistrantCreated.model_validate(data)

    async def batch_registrants(
        self,
        meeting_id: int,
        registrants: Sequence[BatchRegistrant],
        *,
        auto_approve: bool = True,
        confirmation_email: bool = False,
    ) -> list[BatchRegistrantResult]:
        """Register everyone, 30 per call (Zoom's maximum), in order.

        A call whose answer was lost (a timeout, a dropped connection, a 5xx after Zoom acted) is
        not simply sent again: Zoom allows only 3 adds per person per meeting per day. Before the
        retry the meeting's registrants are read, and only those not registered yet are sent."""
        results: list[BatchRegistrantResult] = []
        for start in range(0, len(registrants), MAX_BATCH_REGISTRANTS):
            chunk = list(registrants[start : start + MAX_BATCH_REGISTRANTS])
            req = BatchRegistrantsRequest(
                auto_approve=auto_approve,
                registrants_confirmation_email=confirmation_email,
                registrants=chunk,
            )
            body = req.body()
            found: dict[str, BatchRegistrantResult] = {}

            async def registered_already(body: dict[str, Any] = body, found: dict[str, Any] = found) -> Any:
                waiting = {str(r["email"]).lower() for r in body["registrants"]}
                async for reg in self.list_registrants(meeting_id):
                    if reg.email.lower() in waiting and reg.join_url:
                        found[reg.email.lower()] = BatchRegistrantResult(
                            email=reg.email, registrant_id=reg.id, join_url=reg.join_url
                        )
                body["registrants"] = [r for r in body["registrants"] if str(r["email"]).lower() not in found]
                return None if body["registrants"] else {"registrants": []}

            data = await self._http.call(
                "batch_registrants", {"meetingId": meeting_id}, body=body, before_retry=registered_already
            )
            made = {r.email.lower(): r for r in BatchRegistrantsResponse.model_validate(data).registrants}
            made.update(found)
            results.extend(made[r.email.lower()] for r in chunk if r.email.lower() in made)
        return results

    async def list_registrants(
        self, meeting_id: int, *, status: str | None = None, page_size: int = 300
    ) -> AsyncIterator[Registrant]:
        params: dict[str, str | int] = {"page_size": page_size}
        if status is not None:
            params["status"] = status
        async for item in self._http.pages(
            "list_registrants", {"meetingId": meeting_id}, params, "registrants"
        ):
            yield Registrant.model_validate(item)

    async def list_past_participants(
        self, meeting: int | str, *, page_size: int = 300
    ) -> AsyncIterator[PastParticipant]:
        """Participants of an ended meeting; `meeting` is its id or (better) its UUID."""
        ref = str(meeting)
        if ref.startswith("/") or "//" in ref:
            ref = quote(ref, safe="")  # Zoom wants such UUIDs encoded twice
        params: dict[str, str | int] = {"page_size": page_size}
        async for item in self._http.pages(
            "list_past_participants", {"meetingId": ref}, params, "participants"
        ):
            yield PastParticipant.model_validate(item)

    async def send_chat_message(self, user: str, to_contact: str, message: str) -> ChatMessageSent:
        body = ChatMessageRequest(message=message, to_contact=to_contact)
        data = await self._http.call("send_chat_message", {"userId": user}, body=body.body())
        return ChatMessageSent.model_validate(data)

    async def get_user(self, email: str) -> ZoomUser:
        return ZoomUser.model_validate(await self._http.call("get_user", {"userId": email}))
