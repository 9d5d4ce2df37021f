"""A real server on 127.0.0.1 in a background thread, for browser tests and the screenshot script.

The server's event loop lives in its own thread; `call` runs a coroutine (or a plain function,
such as advancing the manual clock) on that loop and waits for it, so tests stay deterministic.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web

from facilitator.clock import Clock, ManualClock
from facilitator.config import Settings
from facilitator.links import LinkSigner, link_expiry
from facilitator.plan.loader import LoadedPlan, load_plan
from facilitator.schedule.build import build_schedule
from facilitator.schedule.model import Schedule
from facilitator.store.base import SessionRecord
from facilitator.store.sqlite import SqliteStore
from facilitator.web.app import start
from facilitator.web.auth import hash_password
from facilitator.web.context import WebContext
from facilitator.web.hub import EventHub
from facilitator.web.login import login_url
from facilitator.web.position import publish_positions
from facilitator.web.sessions import entry_for_plan
from facilitator.zoom.events import Participant, ParticipantJoined, ParticipantJoinedBreakoutRoom

REPO = Path(__file__).resolve().parents[2]
PLAN = REPO / "session_plans" / "shared-living-experiences.yaml"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SECRET = "browser-test-secret-0123456789abcdef0123"
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """The whole app, served for real, with a clock the test controls."""

    def __init__(
        self,
        tmp: Path,
        clock: Clock | None = None,
        schedule: Schedule | None = None,
        loaded: LoadedPlan | None = None,
    ) -> None:
        self.loaded = loaded or load_plan(PLAN)
        self.schedule = schedule or build_schedule(self.loaded)
        self.clock = clock or ManualClock(self.schedule.session.start)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            facilitator_db_path=tmp / "facilitator.db",
            facilitator_public_url=self.url,
            facilitator_secret_key=SECRET,
            facilitator_survey_secret="browser-survey-secret",
            facilitator_director_password_hash=hash_password("browser-password"),
            facilitator_cookie_secure=False,
        )
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="live-server", daemon=True)
        self._runner: web.AppRunner | None = None
        self.ctx: WebContext | None = None
        self.store: SqliteStore | None = None

    def call(self, fn: Callable[[], Awaitable[T]] | Callable[[], T]) -> T:
        """Run `fn` on the server's loop (awaiting it if it returns an awaitable) and return its result."""

        async def run() -> Any:
            result = fn()
            if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
                return await result
            return result

        future: Future[T] = asyncio.run_coroutine_threadsafe(run(), self.loop)
        return future.result(timeout=30)

    def start(self) -> LiveServer:
        self._thread.start()
        self.call(self._start)
        return self

    async def _start(self) -> None:
        self.store = await SqliteStore.open(self.settings.db_path)
        s = self.schedule.session
        await self.store.upsert_session(
            SessionRecord(
                id=s.id,
                title=s.title,
                plan_file=str(PLAN),
                plan_text=PLAN.read_text(),
                start=s.start,
                end=s.end,
                status="active",
                created_at=self.clock.now(),
            )
        )
        self.ctx = WebContext(
            settings=self.settings, store=self.store, clock=self.clock, signer=LinkSigner(SECRET, self.url)
        )
        self.ctx.sessions.add(entry_for_plan(self.loaded, self.schedule))
        self._runner = await start(self.ctx, "127.0.0.1", self.port)

    def stop(self) -> None:
        async def _stop() -> None:
            if self._runner is not None:
                await self._runner.cleanup()
            if self.store is not None:
                await self.store.close()

        self.call(_stop)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)

    # links
    def board_url(self, group_id: str) -> str:
        assert self.ctx is not None
        return self.ctx.signer.board_url(
            self.schedule.session.id, group_id, link_expiry(self.schedule.session.end)
        )

    def facilitator_url(self, fid: str) -> str:
        assert self.ctx is not None
        return self.ctx.signer.facilitator_url(
            self.schedule.session.id, fid, link_expiry(self.schedule.session.end)
        )

    def login_url(self, next_path: str = "/sessions") -> str:
        assert self.ctx is not None
        return login_url(self.ctx, next_path)

    def restart_web(self, between: Callable[[], None] | None = None) -> None:
        """Stop the web server (every open event stream drops), run `between` while it is down
        (on the server's loop: use `place_now`, not `place`), and serve again on the same port:
        what a page sees when the network or the server blips."""

        async def bounce() -> None:
            assert self._runner is not None and self.ctx is not None
            self.ctx.hub.close()  # end the open streams first: a graceful shutdown waits for them
            await self._runner.cleanup()
            if between is not None:
                between()
            self.ctx.hub = EventHub()
            self._runner = await start(self.ctx, "127.0.0.1", self.port)

        self.call(bounce)

    def place(self, email: str, group_id: str | None, *, publish: bool = True) -> None:
        """Zoom says `email` joined the breakout room of `group_id` (None: the main room), as a
        webhook would; `publish=False` changes the live state without telling open pages."""
        self.call(lambda: self.place_now(email, group_id, publish=publish))

    def place_now(self, email: str, group_id: str | None, *, publish: bool = True) -> None:
        """`place`, for code already running on the server's loop."""
        assert self.ctx is not None
        ctx = self.ctx
        entry = ctx.sessions.get(self.schedule.session.id)
        assert entry is not None and entry.live is not None
        who = Participant(user_id=f"u-{email}", user_name="Test Person", email=email.lower())
        common = {
            "event_ts": ctx.now(),
            "account_id": "acct",
            "meeting_id": "85012345678",
            "meeting_uuid": "m-uuid",
        }
        if group_id is None:
            entry.live.apply(ParticipantJoined(event="meeting.participant_joined", participant=who, **common))
        else:
            entry.live.apply(
                ParticipantJoinedBreakoutRoom(
                    event="meeting.participant_joined_breakout_room",
                    breakout_room_uuid=f"uuid-{group_id}",
                    participant=who,
                    **common,
                )
            )
        if publish:
            publish_positions(ctx.hub, entry, ctx.now())

    def set_time(self, when: datetime) -> None:
        clock = self.clock
        assert isinstance(clock, ManualClock)
        self.call(lambda: clock.set(when))
