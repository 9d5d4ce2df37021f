"""What the Zoom simulator remembers: meetings, registrants, users, chat, daily counters, pages.

Plain data plus the id and URL generators, so handlers stay short and tests can look inside.
Ids look like Zoom's (11-digit meeting numbers, base64 UUIDs that may contain `/`, 22-character
registrant ids) so code that mishandles a real id fails here too.
"""

from __future__ import annotations

import base64
import random
import secrets
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from facilitator.zoom.models import zoom_time

PAGE_TOKEN_TTL = timedelta(minutes=15)  # Zoom: "This token's expiration period is 15 minutes"


@dataclass
class SimRegistrant:
    id: str
    email: str
    first_name: str
    last_name: str | None
    status: str  # approved | pending | denied
    create_time: datetime
    join_url: str
    pin: int

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "email": self.email,
            "first_name": self.first_name,
            "last_name": self.last_name or "",
            "status": self.status,
            "create_time": zoom_time(self.create_time),
            "join_url": self.join_url,
            "participant_pin_code": self.pin,
        }


@dataclass
class SimMeeting:
    id: int
    uuid: str
    host_email: str
    host_id: str
    topic: str
    type: int
    start_time: datetime
    duration: int
    timezone: str
    agenda: str
    password: str
    created_at: datetime
    join_url: str
    start_url: str
    settings: dict[str, Any]
    status: str = "waiting"  # waiting | started (the live simulation may change it)
    registration_token: str = ""
    registrants: dict[str, SimRegistrant] = field(default_factory=dict)  # by lower-cased email
    past_participants: list[dict[str, Any]] = field(default_factory=list)
    ended: bool = False

    @property
    def registration_open(self) -> bool:
        return self.type in (2, 8) and self.settings.get("approval_type", 2) in (0, 1)

    def as_json(self, registration_base: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "uuid": self.uuid,
            "host_id": self.host_id,
            "host_email": self.host_email,
            "topic": self.topic,
            "type": self.type,
            "status": self.status,
            "start_time": zoom_time(self.start_time),
            "duration": self.duration,
            "timezone": self.timezone,
            "agenda": self.agenda,
            "created_at": zoom_time(self.created_at),
            "start_url": self.start_url,
            "join_url": self.join_url,
            "password": self.password,
            "h323_password": self.password,
            "pre_schedule": False,
            "settings": self.settings,
        }
        if self.registration_open:
            body["registration_url"] = f"{registration_base}/meeting/register/{self.registration_token}"
        return body

    def summary_json(self) -> dict[str, Any]:
        keys = ("id", "uuid", "topic", "type", "start_time", "duration", "timezone", "join_url")
        full = self.as_json("")
        return {k: full[k] for k in keys} | {"host_id": self.host_id, "created_at": full["created_at"]}


@dataclass
class SimUser:
    id: str
    email: str
    first_name: str
    last_name: str
    type: int = 2  # licensed
    status: str = "active"  # active | inactive | pending (invited, not yet accepted)

    def as_json(self, account_id: str, tz: str = "UTC") -> dict[str, Any]:
        return {
            "id": self.id,
            "email": self.email,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "display_name": f"{self.first_name} {self.last_name}".strip(),
            "type": self.type,
            "status": self.status,
            "account_id": account_id,
            "timezone": tz,
            "verified": 1,
        }


@dataclass(frozen=True)
class ChatMessage:
    id: str
    sender: str
    to_contact: str | None
    to_channel: str | None
    message: str
    at: datetime


@dataclass
class PageCursor:
    endpoint: str
    key: str  # the resource listed (meeting id, host email)
    query: tuple[tuple[str, str], ...]  # the original query, which every page must repeat
    offset: int
    expires: datetime


class SimState:
    """Everything the simulator holds. `rng` makes ids reproducible when seeded."""

    def __init__(self, seed: int | None, public_base: str) -> None:
        self.rng = random.Random(seed)
        self.public_base = public_base.rstrip("/")
        self.meetings: dict[int, SimMeeting] = {}
        self.deleted: set[int] = set()
        self.users: dict[str, SimUser] = {}
        self.chat: list[ChatMessage] = []
        self.daily: Counter[tuple[str, str, date]] = Counter()
        self.pages: dict[str, PageCursor] = {}

    # --- ids and URLs -----------------------------------------------------------------------

    def _b64(self, n: int, *, urlsafe: bool) -> str:
        raw = self.rng.getrandbits(8 * n).to_bytes(n, "big")
        if urlsafe:
            return base64.urlsafe_b64encode(raw).decode().rstrip("=")
        return base64.b64encode(raw).decode()

    def new_meeting_id(self) -> int:
        while True:
            candidate = self.rng.randint(81_000_000_000, 99_999_999_999)
            if candidate not in self.meetings and candidate not in self.deleted:
                return candidate

    def new_uuid(self) -> str:
        return self._b64(16, urlsafe=False)  # e.g. "aDYlohsHRtCd4ii1uC2+hA==", may contain "/"

    def new_registrant_id(self) -> str:
        return self._b64(16, urlsafe=True)  # 22 characters, like "9tboDiHUQAeOnbmudzWa5g"

    def new_password(self) -> str:
        return "".join(self.rng.choice("abcdefghjkmnpqrstuvwxyz23456789") for _ in range(8))

    def meeting_join_url(self, meeting_id: int) -> str:
        return f"{self.public_base}/j/{meeting_id}?pwd={self._b64(24, urlsafe=True)}"

    def registrant_join_url(self, meeting_id: int) -> str:
        """A personal link: whoever opens it joins as that registrant."""
        token = f"{self._b64(32, urlsafe=True)}.DQ{self._b64(6, urlsafe=True)}"
        return f"{self.public_base}/w/{meeting_id}?tk={token}"

    def start_url(self, meeting_id: int) -> str:
        return f"{self.public_base}/s/{meeting_id}?zak={secrets.token_urlsafe(24)}"

    def user(self, email: str) -> SimUser:
        key = email.lower()
        if key not in self.users:
            local = key.split("@", 1)[0].replace(".", " ").replace("-", " ").split()
            first = local[0].title() if local else "Host"
            last = " ".join(p.title() for p in local[1:])
            self.users[key] = SimUser(self._b64(16, urlsafe=True), key, first, last)
        return self.users[key]

    # --- daily limits -------------------------------------------------------------------------

    def count_today(self, kind: str, key: str, today: date) -> int:
        return self.daily[(kind, key, today)]

    def add_today(self, kind: str, key: str, today: date, n: int = 1) -> None:
        self.daily[(kind, key, today)] += n

    # --- pagination -------------------------------------------------------------------------

    def open_page(self, cursor: PageCursor) -> str:
        token = secrets.token_urlsafe(24)
        self.pages[token] = cursor
        return token
