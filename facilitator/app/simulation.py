"""`run --simulate`: a whole session without Zoom, mail server or waiting.

It starts the Zoom simulator and a local SMTP server in-process, points the settings at them,
plays the live meeting as obedient people would (one facilitator forgets one move, so the
escalation shows), and skips the idle stretches (the day before, the weeks after) on a scaled
clock, so the seed study runs from invitations to focus-group invitation in about a minute.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import ClientSession, web

from facilitator.app.mailsink import LocalSmtpServer, MailSink
from facilitator.clock import ScaledClock
from facilitator.config import Settings, SmtpSecurity
from facilitator.schedule.model import Schedule
from facilitator.store.base import MessageStatus, Store
from facilitator.zoom.provision import is_pending, meeting_request
from facilitator.zoomapp.context import encrypt_context
from facilitator.zoomsim.host_client import ConsolePlayer, SimulatedHostClient
from facilitator.zoomsim.live import FacilitatorScript, LiveMeeting
from facilitator.zoomsim.meetings import DEFAULT_SETTINGS
from facilitator.zoomsim.simulator import SimulatorConfig, ZoomSimulator
from facilitator.zoomsim.state import SimMeeting, SimRegistrant

SIM_APP_CLIENT_ID = "sim-zoom-app-client"
SIM_APP_CLIENT_SECRET = "sim-zoom-app-secret-0123456789abcdef"
CUE_FOLLOWED_AFTER = timedelta(minutes=3)  # a refused physician follows the fallback cue this late
FLAKY_MOVES = 0.2  # share of the console's moves Zoom refuses once (the retry succeeds)

LIVE_MARGIN = timedelta(minutes=10)  # real-speed play around the live session
SKIP_THRESHOLD = timedelta(minutes=2)  # idle gaps longer than this are jumped over
OPEN = (MessageStatus.PENDING, MessageStatus.SENDING)


def default_speed(schedule: Schedule) -> float:
    """The live part of the session takes about a minute of wall time."""
    return max(1.0, (schedule.session.end - schedule.session.start + 2 * LIVE_MARGIN).total_seconds() / 60.0)


def plan_users(schedule: Schedule) -> frozenset[str]:
    """Every address the plan names for Zoom: the host, the facilitators (alternative hosts)."""
    return frozenset({schedule.session.host_email, *(f.email for f in schedule.facilitators)})


def forgotten_move(schedule: Schedule) -> tuple[str, int] | None:
    """The move the simulated facilitators forget: the first facilitator's second visit."""
    for fac in schedule.facilitators:
        visits = schedule.rotation.visits_of(fac.id)
        if len(visits) >= 2:
            return fac.id, visits[1][0].index
        if visits:
            return fac.id, visits[0][0].index
    return None


@dataclass
class SimulatedServices:
    """The Zoom simulator and local SMTP server, and the settings that point at them."""

    clock: ScaledClock
    maildir: Path | None = None
    users: frozenset[str] = frozenset()  # addresses the simulated Zoom account treats as its users
    sink: MailSink = field(init=False)
    zoom: ZoomSimulator = field(init=False)
    _zoom_runner: web.AppRunner | None = None
    _smtp: LocalSmtpServer | None = None
    zoom_url: str = ""

    async def start(self) -> None:
        self.sink = MailSink(self.maildir)
        self._smtp = LocalSmtpServer(self.sink)
        await self._smtp.start()
        self.zoom = ZoomSimulator(SimulatorConfig(plan_users=self.users), self.clock)
        self._zoom_runner = web.AppRunner(self.zoom.app, access_log=None)
        await self._zoom_runner.setup()
        site = web.TCPSite(self._zoom_runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None and isinstance(server, asyncio.Server)
        port = server.sockets[0].getsockname()[1]
        self.zoom_url = f"http://127.0.0.1:{port}"

    def settings_overrides(self) -> dict[str, Any]:
        assert self._smtp is not None
        config = self.zoom.config
        return {
            "zoom_api_base_url": f"{self.zoom_url}/v2",
            "zoom_oauth_base_url": self.zoom_url,
            "zoom_account_id": config.account_id,
            "zoom_client_id": config.client_id,
            "zoom_client_secret": config.client_secret,
            "zoom_webhook_secret": config.webhook_secret,
            "zoom_chat_user": "facilitator.bot@example.edu",
            "smtp_host": "127.0.0.1",
            "smtp_port": self._smtp.port,
            "smtp_security": SmtpSecurity.PLAIN,
            "smtp_username": None,
            "smtp_password": None,
            "cookie_secure": False,
        }

    @staticmethod
    def console_overrides() -> dict[str, Any]:
        """Settings that turn on the host console with the simulator's Zoom App credentials."""
        return {"zoom_app_client_id": SIM_APP_CLIENT_ID, "zoom_app_client_secret": SIM_APP_CLIENT_SECRET}

    async def stop(self) -> None:
        if self._zoom_runner is not None:
            await self._zoom_runner.cleanup()
        if self._smtp is not None:
            await self._smtp.stop()


class LiveSimulation:
    """The simulated meeting for one session: people join, rooms open, facilitators move."""

    def __init__(
        self,
        services: SimulatedServices,
        schedule: Schedule,
        meeting_id: int,
        webhook_url: str,
        settings: Settings,
        forget: tuple[tuple[str, int], ...] = (),
        lateness: timedelta = timedelta(seconds=20),
        console_url: str | None = None,
    ) -> None:
        """`console_url`: play the host console (the base URL of the bot's web app); `forget` then
        names the moves the host's client refuses, which fall back to a cue followed late."""
        self._http = ClientSession()
        secret = settings.zoom_webhook_secret
        self.meeting = LiveMeeting(
            services.zoom.meeting_view(meeting_id),
            services.clock,
            webhook_url,
            secret.get_secret_value() if secret else "",
            services.zoom.config.account_id,
            http=self._http,
        )
        self.schedule = schedule
        self.clock = services.clock
        self.host: SimulatedHostClient | None = None
        self.player: ConsolePlayer | None = None
        self._followers: list[asyncio.Task[None]] = []
        if console_url is not None:
            refuse = frozenset(
                (schedule.facilitator(fid).email.lower(), slot + 1) for fid, slot in forget
            )  # the n-th assignment of a physician with one visit per round is round n's
            self.host = SimulatedHostClient(
                self.meeting, refuse=refuse, on_refused=self._follow_cue_later, flaky=FLAKY_MOVES, seed=1
            )
            self.player = ConsolePlayer(self.host, console_url, self._http)
        self.script = FacilitatorScript(
            schedule,
            self.meeting,
            services.clock,
            lateness=lateness,
            forget=forget,
            host_runs_rooms=console_url is not None,
        )
        self._task: asyncio.Task[None] | None = None
        self._console_task: asyncio.Task[None] | None = None

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._task = loop.create_task(self.script.run(), name="simulated-meeting")
        if self.player is not None:
            self._console_task = loop.create_task(self._open_console(), name="simulated-console-open")

    async def _open_console(self) -> None:
        """The host opens the Zoom App a minute into the meeting, as Zoom would load its Home URL."""
        assert self.player is not None
        await self.clock.sleep_until(self.schedule.session.start + timedelta(minutes=1))
        view = self.meeting.view
        now_ms = int(self.clock.now().timestamp() * 1000)
        claims = {
            "typ": "meeting", "uid": "sim-host-user", "mid": view.uuid, "attendrole": "host",
            "iss": "marketplace.zoom.us", "aud": SIM_APP_CLIENT_ID, "ts": now_ms, "exp": now_ms + 3_600_000,
        }  # fmt: skip
        token = await self.player.open_app(encrypt_context(claims, SIM_APP_CLIENT_SECRET))
        self.player.start(token)

    def _follow_cue_later(self, email: str, room: str) -> None:
        """A refused physician gets the fallback cue and moves by hand, a few minutes late."""

        async def follow() -> None:
            await self.clock.sleep_until(self.clock.now() + CUE_FOLLOWED_AFTER)
            if self.meeting.rooms_open:
                await self.meeting.move(email, room)

        self._followers.append(asyncio.get_running_loop().create_task(follow()))

    async def caught_up(self) -> None:
        """Wait until the meeting has done (and told the bot) everything due by now."""
        await self.script.settled()
        await asyncio.sleep(0.05)  # the webhook receiver applies events on its own tasks

    async def stop(self) -> None:
        for task in (*self._followers, self._console_task):
            if task is not None:
                task.cancel()
        if self.player is not None:
            await self.player.stop()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        await self.meeting.aclose()
        await self._http.close()


async def resume_point(store: Store, session_id: str, schedule: Schedule) -> datetime:
    """Where a simulated clock starts: just before the earliest message not yet confirmed sent."""
    open_rows = await store.list_messages(session_id, statuses=list(OPEN))
    earliest = min((m.next_attempt for m in open_rows), default=schedule.session.start)
    first_due = min((m.due for m in schedule.messages), default=schedule.session.start)
    return max(min(earliest, schedule.session.start - LIVE_MARGIN), first_due) - timedelta(seconds=1)


async def skip_idle(clock: ScaledClock, store: Store, schedule: Schedule, idle: Any) -> None:
    """Jump the clock over stretches where nothing is due and the meeting is not live.

    `idle` is an awaitable factory (the runner's wait_idle), so a jump never overtakes a send.
    """
    live_from = schedule.session.start - LIVE_MARGIN
    live_until = schedule.session.end + LIVE_MARGIN
    while True:
        await idle()
        now = clock.now()
        if live_from <= now <= live_until:
            await clock.sleep_until(live_until)
            continue
        nxt = await store.next_due()
        targets = [t for t in (nxt, live_from if now < live_from else None) if t is not None]
        if not targets:
            return
        target = min(targets)
        if target - now > SKIP_THRESHOLD:
            clock.jump_to(target - timedelta(seconds=1))
        await asyncio.sleep(0.02)


async def restore_meeting(zoom: ZoomSimulator, store: Store, schedule: Schedule) -> bool:
    """A resumed simulation keeps its Zoom meeting. The simulator lives inside the `run --simulate`
    process, so a restart begins with an empty one and provisioning would create another meeting
    (and now tell everyone its link changed). So the saved meeting and its registrants are put
    back first, with the same id and join links. False when there is nothing to restore."""
    sid = schedule.session.id
    record = await store.load_meeting(sid)
    if record is None or is_pending(record):
        return False
    body = meeting_request(schedule)
    state, now = zoom.state, zoom.clock.now()
    settings = DEFAULT_SETTINGS | (body.settings.body() if body.settings else {})
    meeting = SimMeeting(
        id=record.meeting_id,
        uuid=record.uuid,
        host_email=record.host_email.lower(),
        host_id=state.user(record.host_email).id,
        topic=body.topic or schedule.session.title,
        type=body.type or 2,
        start_time=schedule.session.start,
        duration=body.duration or 60,
        timezone=body.timezone or "UTC",
        agenda=body.agenda or "",
        password=secrets.token_hex(4),
        created_at=now,
        join_url=record.join_url,
        start_url=state.start_url(record.meeting_id),
        settings=settings,
        registration_token=state.new_registrant_id(),
    )
    names = {s.email.lower(): s.name for s in schedule.students}
    names |= {f.email.lower(): f.name for f in schedule.facilitators}
    for email, reg in (await store.load_registrants(sid)).items():
        if str(record.meeting_id) not in reg.join_url:
            continue  # a link of an earlier meeting
        meeting.registrants[email.lower()] = SimRegistrant(
            id=reg.registrant_id,
            email=email.lower(),
            first_name=names.get(email.lower(), "Participant"),
            last_name=None,
            status="approved",
            create_time=now,
            join_url=reg.join_url,
            pin=state.rng.randint(100_000, 999_999),
        )
    state.meetings[meeting.id] = meeting
    return True
