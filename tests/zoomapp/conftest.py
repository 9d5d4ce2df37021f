"""The host console for real over loopback: the web app with the console mounted, a simulated
meeting whose webhooks reach it, and the simulated host client playing the console page."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from facilitator.clock import ManualClock
from facilitator.links import LinkSigner
from facilitator.schedule.model import PlannedMessage, Schedule
from facilitator.store.sqlite import SqliteStore
from facilitator.web.app import RUNNER_KWARGS, create_app
from facilitator.web.context import WebContext
from facilitator.web.sessions import entry_for_plan
from facilitator.zoom.live import LiveRoomState
from facilitator.zoomapp import routes
from facilitator.zoomapp.context import encrypt_context
from facilitator.zoomapp.driver import ConsoleTimings, ZoomAppDriver
from facilitator.zoomapp.service import ConsoleService
from facilitator.zoomsim.host_client import ConsolePlayer, SimulatedHostClient
from facilitator.zoomsim.live import LiveMeeting, MeetingView
from tests.web.conftest import PUBLIC_URL, SECRET, ZOOM_SECRET, loaded_plan, make_settings, seed_schedule

CLIENT_ID = "console-test-client"
CLIENT_SECRET = "console-test-client-secret-0123456789"
MEETING_UUID = "aDYlohsHRtCd4ii1uC2+hA=="
FAST = ConsoleTimings(
    ack_timeout=1.0, attempts=3, retry_pause=timedelta(0), confirm_within=timedelta(seconds=20)
)


def claims(clock: ManualClock, **extra: Any) -> dict[str, Any]:
    now_ms = int(clock.now().timestamp() * 1000)
    base = {
        "typ": "meeting", "uid": "host-user-1", "mid": MEETING_UUID, "attendrole": "host",
        "iss": "marketplace.zoom.us", "aud": CLIENT_ID, "ts": now_ms, "exp": now_ms + 600_000,
    }  # fmt: skip
    base.update(extra)
    return {k: v for k, v in base.items() if v is not None}


def header(clock: ManualClock, secret: str = CLIENT_SECRET, **extra: Any) -> str:
    return encrypt_context(claims(clock, **extra), secret)


def view_for(schedule: Schedule) -> MeetingView:
    return MeetingView(
        meeting_id=85746065432,
        uuid=MEETING_UUID,
        topic=schedule.session.title,
        host_email=schedule.session.host_email,
        start_time=schedule.session.start,
        duration_minutes=int((schedule.session.end - schedule.session.start).total_seconds() // 60),
        rooms=tuple((g.name, g.students) for g in schedule.groups),
        registrants=tuple(
            (p.email, p.name.split()[0], f"r{i}")
            for i, p in enumerate([*schedule.students, *schedule.facilitators])
        ),
        alternative_hosts=(),
    )


@dataclass
class Rig:
    client: TestClient[Any, Any]
    clock: ManualClock
    schedule: Schedule
    service: ConsoleService
    live: LiveRoomState
    meeting: LiveMeeting
    driver: ZoomAppDriver
    http: aiohttp.ClientSession
    store: SqliteStore
    enqueued: list[PlannedMessage] = field(default_factory=list)
    players: list[ConsolePlayer] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return str(self.client.make_url("")).rstrip("/")

    async def connect(
        self, host: SimulatedHostClient | None = None
    ) -> tuple[SimulatedHostClient, ConsolePlayer]:
        host = host or SimulatedHostClient(self.meeting)
        player = ConsolePlayer(host, self.base_url, self.http)
        token = await player.open_app(header(self.clock))
        player.start(token)
        await player.connected.wait()
        self.players.append(player)
        return host, player


RigFactory = Callable[..., Awaitable[Rig]]


@pytest.fixture
async def make_rig(tmp_path: Path, aiohttp_client: Any) -> AsyncIterator[RigFactory]:
    made: list[tuple[Rig, SqliteStore]] = []

    async def factory(timings: ConsoleTimings = FAST, strategy: str = "move") -> Rig:
        schedule = seed_schedule()
        cfg = make_settings(tmp_path)
        store = await SqliteStore.open(cfg.db_path)
        clock = ManualClock(schedule.session.start + timedelta(minutes=5))
        ctx = WebContext(settings=cfg, store=store, clock=clock, signer=LinkSigner(SECRET, PUBLIC_URL))
        entry = entry_for_plan(loaded_plan(), schedule)
        ctx.sessions.add(entry)
        assert entry.live is not None
        service = ConsoleService(CLIENT_ID, CLIENT_SECRET, clock, ctx.signer, timings, store=store)
        app = create_app(ctx)
        routes.mount(app, service)
        server = TestServer(app)
        await server.start_server(**RUNNER_KWARGS)
        client = await aiohttp_client(server)
        rig_enqueued: list[PlannedMessage] = []

        async def enqueue(message: PlannedMessage) -> None:
            rig_enqueued.append(message)

        driver = service.driver_for(schedule, entry.live, MEETING_UUID, enqueue)
        driver.strategy = strategy
        http = aiohttp.ClientSession()
        url = str(client.make_url("/zoom/webhook"))
        meeting = LiveMeeting(view_for(schedule), clock, url, ZOOM_SECRET, "acct", http=http,
                              late_share=0, absent_share=0)  # fmt: skip
        await meeting.start()
        rig = Rig(client, clock, schedule, service, entry.live, meeting, driver, http, store, rig_enqueued)
        made.append((rig, store))
        return rig

    yield factory
    for rig, store in made:
        for player in rig.players:
            await player.stop()
        await rig.driver.aclose()
        await rig.meeting.aclose()
        await rig.http.close()
        await store.close()
