"""The simulator's live meeting: people join, rooms open, facilitators move, and Zoom's webhooks
are emitted, signed exactly as Zoom signs them, to the bot's webhook URL.

The REST simulator (simulator.py) hands a `MeetingView` to `LiveMeeting`. `FacilitatorScript`
(sim_script.py) plays a whole session on a Clock, including a late or forgotten move, so the
bot's escalation can be seen working. Everything waits on the Clock: with a ScaledClock a session
plays in seconds, and with a ManualClock a test decides when each step happens (`settled()` tells
it when the simulation has caught up).
"""

from __future__ import annotations

import asyncio
import base64
import json
import random
import uuid as uuidlib
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiohttp

from facilitator.clock import Clock
from facilitator.zoom import events as ev
from facilitator.zoom.webhooks import WebhookSender, url_validation_answer
from facilitator.zoomsim.script import FacilitatorScript, Pacer

__all__ = ["FacilitatorScript", "LiveMeeting", "MeetingView", "Pacer"]  # the script: re-exported


@dataclass(frozen=True)
class MeetingView:
    """Everything the live meeting needs to know about a scheduled meeting."""

    meeting_id: int
    uuid: str
    topic: str
    host_email: str
    start_time: datetime
    duration_minutes: int
    rooms: tuple[tuple[str, tuple[str, ...]], ...]  # (room name, pre-assigned emails)
    registrants: tuple[tuple[str, str, str], ...]  # (email, first_name, registrant_id)
    alternative_hosts: tuple[str, ...]


@dataclass
class _Person:
    email: str
    name: str
    registrant_id: str | None
    user_id: str  # in the main session; Zoom gives another one in each breakout room
    participant_uuid: str
    present: bool = False
    room: str | None = None  # breakout room name, None in the main room
    room_user_id: str | None = None


class LiveMeeting:
    """One simulated meeting in progress. Methods emit the webhooks Zoom would emit."""

    def __init__(
        self,
        view: MeetingView,
        clock: Clock,
        webhook_url: str | None,
        webhook_secret: str,
        account_id: str,
        http: aiohttp.ClientSession | None = None,
        rng_seed: int = 0,
        late_share: float = 0.1,
        absent_share: float = 0.05,
        late_by: tuple[timedelta, timedelta] = (timedelta(minutes=2), timedelta(minutes=8)),
    ) -> None:
        self.view = view
        self.clock = clock
        self.account_id = account_id
        self._secret = webhook_secret
        self._rng = random.Random(rng_seed)
        self._sender = (
            WebhookSender(webhook_url, webhook_secret, clock, http) if webhook_url is not None else None
        )
        self._lock = asyncio.Lock()  # one delivery at a time, in event order
        self._last_ts = 0
        self.emitted: deque[dict[str, Any]] = deque(maxlen=10_000)
        self.people: dict[str, _Person] = {}
        self._preassigned = {e.lower(): name for name, emails in view.rooms for e in emails}
        self._room_names = [name for name, _ in view.rooms]
        self.room_uuids: dict[str, str] = {}
        self.rooms_open = False
        self.started_at: datetime | None = None
        self.ended = False
        for email, first_name, registrant_id in view.registrants:
            self._person(email, first_name, registrant_id)
        for email in (view.host_email, *view.alternative_hosts):
            self._person(email)
        staff = {view.host_email.lower(), *(e.lower() for e in view.alternative_hosts)}
        students = sorted(e for e in self.people if e not in staff)
        self.absent = set(self._rng.sample(students, round(len(students) * absent_share)))
        others = [e for e in students if e not in self.absent]
        late = self._rng.sample(others, min(len(others), round(len(students) * late_share)))
        lo, hi = (d.total_seconds() for d in late_by)
        self.late = {e: timedelta(seconds=round(self._rng.uniform(lo, hi))) for e in sorted(late)}
        self._pacer = Pacer(clock)
        self._pacer.finish()  # nothing to wait for until start()
        self._late_task: asyncio.Task[None] | None = None

    # -- people -----------------------------------------------------------------------------

    def _person(self, email: str, first_name: str | None = None, registrant_id: str | None = None) -> _Person:
        key = email.strip().lower()
        if key not in self.people:
            self.people[key] = _Person(
                email=key,
                name=first_name or key.split("@")[0].replace(".", " ").title(),
                registrant_id=registrant_id,
                user_id=str(16_778_240 + len(self.people) * 1024),
                participant_uuid=str(uuidlib.UUID(int=self._rng.getrandbits(128))).upper(),
            )
        return self.people[key]

    def _participant(self, p: _Person, time_key: str, in_room: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "user_id": p.room_user_id if in_room and p.room_user_id else p.user_id,
            "user_name": p.name,
            "id": "",
            "participant_uuid": p.participant_uuid,
            time_key: self._iso(),
            "email": p.email,
        }
        if in_room:
            data["parent_user_id"] = p.user_id
        if p.registrant_id:
            data["registrant_id"] = p.registrant_id
        return data

    # -- emitting ---------------------------------------------------------------------------

    def _iso(self) -> str:
        return self.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")

    def _meeting_object(self, numeric_id: bool) -> dict[str, Any]:
        host = self._person(self.view.host_email)
        return {
            "id": self.view.meeting_id if numeric_id else str(self.view.meeting_id),
            "uuid": self.view.uuid,
            "host_id": host.user_id,
            "topic": self.view.topic,
            "type": 2,
            "start_time": self.view.start_time.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "timezone": "UTC",
            "duration": self.view.duration_minutes,
        }

    async def _emit(self, event: str, obj: dict[str, Any]) -> None:
        async with self._lock:
            # Zoom's event_ts is in ms; keep it strictly increasing even when the clock stands still.
            ts = max(int(self.clock.now().timestamp() * 1000), self._last_ts + 1)
            self._last_ts = ts
            envelope = {
                "event": event,
                "event_ts": ts,
                "payload": {"account_id": self.account_id, "object": obj},
            }
            self.emitted.append(envelope)
            if self._sender is not None:
                await self._sender.send(envelope)

    @property
    def delivery_failures(self) -> int:
        return 0 if self._sender is None else self._sender.failed

    # -- the meeting --------------------------------------------------------------------------

    async def start(self) -> None:
        """The host starts the meeting; on-time participants join; late ones join later."""
        self.started_at = self.clock.now()
        await self._emit(ev.MEETING_STARTED, self._meeting_object(numeric_id=True))
        for email in (self.view.host_email.lower(), *sorted(self.people)):
            if email not in self.absent and email not in self.late:
                await self.join(email)
        self._pacer = Pacer(self.clock)
        self._late_task = asyncio.create_task(self._late_joins(self.started_at))

    async def _late_joins(self, started: datetime) -> None:
        try:
            for email, delay in sorted(self.late.items(), key=lambda item: (item[1], item[0])):
                await self._pacer.sleep_until(started + delay)
                if self.ended:
                    return
                await self.join(email)
        finally:
            self._pacer.finish()

    async def settled(self) -> None:
        await self._pacer.settled()

    async def join(self, email: str) -> None:
        """Someone joins; if rooms are open, a pre-assigned student goes straight to their room."""
        p = self._person(email)
        if p.present:
            return
        p.present = True
        obj = {**self._meeting_object(numeric_id=False), "participant": self._participant(p, "join_time")}
        await self._emit(ev.PARTICIPANT_JOINED, obj)
        room = self._preassigned.get(p.email)
        if self.rooms_open and room is not None:
            await self._enter(p, room)

    async def leave(self, email: str) -> None:
        p = self._person(email)
        if not p.present:
            return
        if p.room is not None:
            await self._exit(p)
        p.present = False
        obj = {**self._meeting_object(numeric_id=False), "participant": self._participant(p, "leave_time")}
        obj["participant"]["leave_reason"] = "left the meeting"
        await self._emit(ev.PARTICIPANT_LEFT, obj)

    async def _enter(self, p: _Person, room: str) -> None:
        p.room = room
        p.room_user_id = str(int(p.user_id) + 1 + self._room_names.index(room))
        obj = {**self._meeting_object(numeric_id=False), "breakout_room_uuid": self.room_uuids[room]}
        obj["participant"] = self._participant(p, "join_time", in_room=True)
        await self._emit(ev.JOINED_BREAKOUT, obj)

    async def _exit(self, p: _Person) -> None:
        assert p.room is not None
        obj = {**self._meeting_object(numeric_id=False), "breakout_room_uuid": self.room_uuids[p.room]}
        obj["participant"] = self._participant(p, "leave_time", in_room=True)
        p.room, p.room_user_id = None, None
        await self._emit(ev.LEFT_BREAKOUT, obj)

    async def open_rooms(self) -> None:
        """The host opens the pre-assigned rooms: each gets a fresh uuid; students go to theirs."""
        if self.rooms_open:
            return
        for name in self._room_names:
            self.room_uuids[name] = base64.b64encode(self._rng.randbytes(16)).decode()
        self.rooms_open = True
        for name, emails in self.view.rooms:
            for email in emails:
                p = self.people.get(email.lower())
                if p is not None and p.present and p.room is None:
                    await self._enter(p, name)

    async def move(self, email: str, room_name: str | None) -> None:
        """Move someone (a facilitator, usually) to `room_name`, or to the main room with None."""
        if room_name is not None and room_name not in self._room_names:
            raise ValueError(f"no breakout room named {room_name!r}")
        if room_name is not None and not self.rooms_open:
            raise RuntimeError("breakout rooms are not open")
        p = self._person(email)
        if not p.present:
            await self.join(email)
        if p.room == room_name:
            return
        if p.room is not None:
            await self._exit(p)
        if room_name is not None:
            await self._enter(p, room_name)

    async def close_rooms(self) -> None:
        """Everyone returns to the main room."""
        for p in sorted(self.people.values(), key=lambda q: q.email):
            if p.room is not None:
                await self._exit(p)
        self.rooms_open = False

    async def chat(self, sender_email: str, text: str, to_host: bool = True) -> None:
        """A chat message, identifying its sender as Zoom's payload does."""
        sender = self._person(sender_email)
        host = self._person(self.view.host_email)
        staff = {self.view.host_email.lower(), *(e.lower() for e in self.view.alternative_hosts)}
        message: dict[str, Any] = {
            "date_time": self._iso(),
            "sender_session_id": sender.participant_uuid,
            "sender_name": sender.name,
            "sender_email": sender.email,
            "sender_type": "host" if sender.email in staff else "guest",
            "recipient_type": "host" if to_host else "everyone",
            "message_id": str(uuidlib.UUID(int=self._rng.getrandbits(128))),
            "message_content": text,
        }
        if to_host:
            message.update(
                recipient_session_id=host.participant_uuid,
                recipient_name=host.name,
                recipient_email=host.email,
            )
        obj = {"id": self.view.meeting_id, "uuid": self.view.uuid, "chat_message": message}
        await self._emit(ev.CHAT_MESSAGE_SENT, obj)

    async def end(self) -> None:
        """The host ends the meeting for all."""
        if self.ended:
            return
        self.ended = True
        if self._late_task is not None:
            self._late_task.cancel()
        if self.rooms_open:
            await self.close_rooms()
        for p in self.people.values():
            p.present = False
        obj = {**self._meeting_object(numeric_id=True), "end_time": self._iso()}
        await self._emit(ev.MEETING_ENDED, obj)

    async def run_until_end(self, open_rooms_after: timedelta | None = timedelta(minutes=5)) -> None:
        """Play the meeting without a schedule: start on time, open rooms, end after its duration."""
        await self.clock.sleep_until(self.view.start_time)
        await self.start()
        if open_rooms_after is not None:
            await self.clock.sleep_until(self.view.start_time + open_rooms_after)
            await self.open_rooms()
        await self.clock.sleep_until(self.view.start_time + timedelta(minutes=self.view.duration_minutes))
        await self.end()

    async def validate_endpoint(self) -> bool:
        """Zoom's `endpoint.url_validation` handshake against the webhook URL; True when answered right."""
        if self._sender is None:
            raise RuntimeError("no webhook URL to validate")
        token = base64.urlsafe_b64encode(self._rng.randbytes(16)).decode().rstrip("=")
        envelope = {
            "payload": {"plainToken": token},
            "event_ts": int(self.clock.now().timestamp() * 1000),
            "event": ev.URL_VALIDATION,
        }
        delivery = await self._sender.send(envelope)
        if not delivery.ok:
            return False
        try:
            answer = json.loads(delivery.body)
        except ValueError:
            return False
        return bool(answer == url_validation_answer(self._secret, token))

    async def aclose(self) -> None:
        if self._late_task is not None and not self._late_task.done():
            self._late_task.cancel()
        if self._sender is not None:
            await self._sender.aclose()
