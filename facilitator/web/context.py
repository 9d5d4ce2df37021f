"""What the web app is given: settings, store, clock, signer, the live sessions and the event hub.

The app never builds its own collaborators: `facilitator serve`/`run` (and tests) construct a
`WebContext` and hand it to `create_app`, so a test can drive the real app with a manual clock
and a real SQLite file, and the runner and the pages share one view of each session.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from facilitator.clock import Clock, ManualClock, ScaledClock
from facilitator.config import Settings
from facilitator.links import LinkSigner
from facilitator.schedule.model import Schedule
from facilitator.store.base import Store
from facilitator.web.hub import EventHub
from facilitator.zoom.events import ZoomEvent
from facilitator.zoom.live import LiveRoomState

_REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class SessionEntry:
    """One active session as the pages see it.

    `survey_urls` maps a survey kind ("pre"/"post") to the plan's URL template; `on_outbox_change`
    lets a runner re-read the outbox at once after a director retries or cancels a message.
    """

    schedule: Schedule
    live: LiveRoomState | None = None
    meeting_id: str | None = None  # the Zoom meeting, to route webhooks (None: accept any)
    survey_urls: Mapping[str, str] = field(default_factory=dict)
    on_outbox_change: Callable[[], None] | None = None
    on_new_message: Callable[..., Awaitable[None]] | None = None
    console_acting: Callable[[], bool] | None = None  # the host console moves people now

    @property
    def id(self) -> str:
        return self.schedule.session.id


class SessionRegistry:
    """session id -> SessionEntry, for the sessions this process runs."""

    def __init__(self) -> None:
        self._entries: dict[str, SessionEntry] = {}

    def add(self, entry: SessionEntry) -> None:
        self._entries[entry.id] = entry

    def get(self, session_id: str) -> SessionEntry | None:
        return self._entries.get(session_id)

    def remove(self, session_id: str) -> None:
        self._entries.pop(session_id, None)

    def __iter__(self) -> Iterator[SessionEntry]:
        return iter(list(self._entries.values()))

    def __contains__(self, session_id: object) -> bool:
        return session_id in self._entries

    def __len__(self) -> int:
        return len(self._entries)


SessionAdded = Callable[[Any, Schedule], Awaitable[SessionEntry | None]]


@dataclass
class WebContext:
    """Everything the app needs; built by the CLI or by tests, never from globals."""

    settings: Settings
    store: Store
    clock: Clock
    signer: LinkSigner
    sessions: SessionRegistry = field(default_factory=SessionRegistry)
    hub: EventHub = field(default_factory=EventHub)
    templates_dir: Path = _REPO_ROOT / "templates" / "pages"
    # Called with (LoadedPlan, Schedule) when a director adds a session; may return the entry to
    # register (e.g. with a runner attached). Default: register the schedule on its own.
    on_session_added: SessionAdded | None = None
    # Called with every verified Zoom webhook event after the live room state has it (the runner
    # watches for missed moves this way). Never given chat text for storage: see zoom_route.py.
    on_zoom_event: Callable[[ZoomEvent], Awaitable[None]] | None = None
    # The nonce the one-time director login link of this process carries.
    login_nonce: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    max_body_bytes: int = 2 * 1024 * 1024
    board_body_bytes: int = 16 * 1024
    # Open event streams per client address: enough for a classroom behind one campus NAT,
    # not for one client holding hundreds (the load benchmark raises it for its 500 viewers).
    max_streams_per_client: int = 100

    def now(self) -> datetime:
        return self.clock.now()

    @classmethod
    def from_settings(cls, settings: Settings, store: Store, clock: Clock, **extra: Any) -> WebContext:
        """The usual wiring: links signed with the app secret, pointing at the public URL."""
        signer = LinkSigner(settings.secret_key.get_secret_value(), settings.public_url)
        return cls(settings=settings, store=store, clock=clock, signer=signer, **extra)


def clock_rate(clock: Clock) -> float:
    """Virtual seconds per wall second, so a page can run its own countdown between ticks."""
    if isinstance(clock, ManualClock):
        return 0.0
    if isinstance(clock, ScaledClock):
        return clock.speed
    return 1.0
