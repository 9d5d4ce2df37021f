"""The host console in chromium: the real page and the real @zoom/appssdk 0.16.41 file, with only
Zoom's native bridge faked (forwarding every SDK call to the simulated host client). A whole
rotation runs through it, including a refused move that falls back to a cue."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import Future
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from pydantic import SecretStr

from facilitator.schedule.model import PlannedMessage
from facilitator.web.app import RUNNER_KWARGS, create_app
from facilitator.zoom.live import LiveRoomState
from facilitator.zoomapp import routes
from facilitator.zoomapp.context import encrypt_context
from facilitator.zoomapp.driver import ConsoleTimings, ZoomAppDriver
from facilitator.zoomapp.service import ConsoleService
from facilitator.zoomsim.host_client import SdkError, SimulatedHostClient
from facilitator.zoomsim.live import LiveMeeting
from tests.browser.axe import serious_violations
from tests.browser.harness import LiveServer
from tests.zoomapp.conftest import CLIENT_ID, CLIENT_SECRET, MEETING_UUID, claims, view_for

BRIDGE = (Path(__file__).parent / "fake_zoom_bridge.js").read_text(encoding="utf-8")
WEBHOOK_SECRET = "browser-webhook-secret"


class ConsoleServer(LiveServer):
    """The live server with the host console mounted, a simulated meeting and its host's client."""

    def __init__(self, tmp: Path) -> None:
        super().__init__(tmp)
        self.settings = self.settings.model_copy(update={"zoom_webhook_secret": SecretStr(WEBHOOK_SECRET)})
        self.clock.set(self.schedule.session.start + timedelta(minutes=5))  # type: ignore[attr-defined]
        self.enqueued: list[PlannedMessage] = []
        self.refused = self.schedule.facilitators[0]

    async def _start(self) -> None:
        await super()._start()
        assert self.ctx is not None and self._runner is not None
        await self._runner.cleanup()  # serve again, with the console mounted
        self.service = ConsoleService(
            CLIENT_ID,
            CLIENT_SECRET,
            self.clock,
            self.ctx.signer,
            ConsoleTimings(ack_timeout=5.0, retry_pause=timedelta(0)),
        )
        app = create_app(self.ctx)
        routes.mount(app, self.service)
        self._runner = web.AppRunner(app, **RUNNER_KWARGS)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        entry = self.ctx.sessions.get(self.schedule.session.id)
        assert entry is not None and entry.live is not None
        self.live: LiveRoomState = entry.live

        async def enqueue(message: PlannedMessage) -> None:
            self.enqueued.append(message)

        self.driver: ZoomAppDriver = self.service.driver_for(self.schedule, self.live, MEETING_UUID, enqueue)
        self.http = aiohttp.ClientSession()
        self.meeting = LiveMeeting(
            view_for(self.schedule), self.clock, f"{self.url}/zoom/webhook", WEBHOOK_SECRET, "acct",
            http=self.http, late_share=0, absent_share=0,
        )  # fmt: skip
        await self.meeting.start()
        email = self.refused.email.lower()
        self.host = SimulatedHostClient(self.meeting, refuse=frozenset({(email, 2)}))

    def spawn(self, factory: Callable[[], Coroutine[Any, Any, Any]]) -> Future[Any]:
        return asyncio.run_coroutine_threadsafe(factory(), self.loop)

    def sdk_call(self, api: str, data: dict[str, Any]) -> Any:
        """What the fake bridge forwards: the simulated host client's answer, or its SDK error."""
        try:
            return self.call(lambda: self.host.call(api, data))
        except SdkError as exc:
            return {"__error": [exc.code, exc.message]}

    def stop(self) -> None:
        async def close() -> None:
            await self.driver.aclose()
            await self.meeting.aclose()
            await self.http.close()

        self.call(close)
        super().stop()


@pytest.fixture
def console_server(tmp_path: Path) -> Iterator[ConsoleServer]:
    live = ConsoleServer(tmp_path)
    live.start()
    yield live
    live.stop()


def wait(page: Any, done: Callable[[], bool], what: str, seconds: float = 20.0) -> None:
    """Wait inside Playwright (so the bridge's calls into Python are served) until `done()`."""
    for _ in range(int(seconds / 0.05)):
        if done():
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"timed out waiting for {what}")


def open_console(server: ConsoleServer, context: Any) -> Any:
    page = context.new_page()
    page.expose_function("__zoomsimCall", server.sdk_call)
    page.add_init_script(BRIDGE)
    ctx_header = encrypt_context(claims(server.clock), CLIENT_SECRET)  # type: ignore[arg-type]
    page.set_extra_http_headers({"X-Zoom-App-Context": ctx_header})
    response = page.goto(f"{server.url}/zoomapp/home")
    assert response is not None and response.status == 200
    wait(page, lambda: server.service.hub.controller(MEETING_UUID) is not None, "the console to connect")
    return page


def test_a_whole_rotation_runs_through_the_real_sdk_with_a_refused_move_cued(
    console_server: ConsoleServer, context: Any
) -> None:
    server = console_server
    page = open_console(server, context)
    schedule, driver = server.schedule, server.driver

    async def rotation() -> None:
        for slot in schedule.rotation.slots:
            server.clock.set(slot.start)  # type: ignore[attr-defined]
            if slot.index == 0:
                await driver.open_rooms()
            for v in slot.visits:
                await driver.move_facilitator(v.facilitator, v.group, slot.index)
            await driver.settled()
        await driver.close_rooms()

    job = server.spawn(rotation)
    wait(page, job.done, "the rotation", seconds=60)
    job.result()
    counts = driver.log.counts()
    visits = sum(len(s.visits) for s in schedule.rotation.slots)
    assert counts["moves_issued"] == visits
    assert counts["moves_confirmed"] == visits - 1 and counts["moves_refused"] == 1
    assert [m.recipient_id for m in server.enqueued] == [server.refused.id]
    assert counts["rooms_opened"] == 1 and counts["rooms_closed"] == 1
    # The real SDK put these calls on the bridge (its own jsCallIds), and chat got the prompts.
    bridge = page.evaluate("window.__fakeZoom.calls.map((c) => [c.apiName, typeof c.jsCallId])")
    names = [name for name, _ in bridge]
    assert names[0] == "config" and all(kind == "string" for _, kind in bridge)
    for api in (
        "openBreakoutRooms",
        "assignParticipantToBreakoutRoom",
        "closeBreakoutRooms",
        "sendMessageToChat",
    ):
        assert api in names, api
    assert names.count("assignParticipantToBreakoutRoom") == visits - 1 + 3  # one refused, tried 3 times
    assert any("Prompts" in text for text in server.host.chat)
    # The page shows what happened, including the fallback.
    page.wait_for_function("document.querySelector('#log').textContent.includes('fallback')", timeout=15000)
    assert "10103" in page.locator("#log").inner_text()


def test_the_console_page_is_accessible_and_works_by_keyboard(
    console_server: ConsoleServer, context: Any
) -> None:
    server = console_server
    page = open_console(server, context)
    page.wait_for_function("document.querySelectorAll('#itineraries li').length > 0", timeout=15000)
    assert page.locator("#mode").inner_text().startswith("In control")
    assert serious_violations(page) == []
    page.focus("#pause")
    page.keyboard.press("Enter")
    wait(page, lambda: server.driver.paused, "pause by keyboard")
    page.keyboard.press("Tab")  # to "Start automation"
    page.keyboard.press("Enter")
    wait(page, lambda: not server.driver.paused, "resume by keyboard")
