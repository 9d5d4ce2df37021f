"""Zoom calls whose answers go missing, and listings that never end.

A batch registration that Zoom carried out but answered with a 500 (or whose connection dropped)
must not be sent again as it was: each repeat spends one of the 3 adds Zoom allows per person per
meeting per day. And a pager that hands back the same `next_page_token` must not loop forever.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest
from aiohttp import web
from pytest_aiohttp import AiohttpServer

from facilitator.zoom import transport
from facilitator.zoom.client import ZoomClient
from facilitator.zoom.models import BatchRegistrant
from facilitator.zoomsim.simulator import SimulatorConfig, ZoomSimulator
from tests.zoom.conftest import FAST, settings_for
from tests.zoom.test_client_retries import HOST, registration_meeting


def people(n: int, start: int = 0) -> list[BatchRegistrant]:
    return [BatchRegistrant(email=f"student{i:03d}@example.edu", first_name=f"Student {i}") for i in
            range(start, start + n)]  # fmt: skip


def adds_today(sim: ZoomSimulator, meeting_id: int, email: str, today: date) -> int:
    return sim.state.count_today("registrant_add", f"{meeting_id}:{email}", today)


@pytest.mark.parametrize("fault", ["done_500", "lost"])
async def test_a_batch_carried_out_whose_answer_was_lost_is_not_sent_again(
    sim: ZoomSimulator, zoom: ZoomClient, fault: str
) -> None:
    meeting = await zoom.create_meeting(HOST, registration_meeting())
    sim.inject(fault, count=1, path_prefix=f"/v2/meetings/{meeting.id}/batch_registrants")
    everyone = people(30)
    results = await zoom.batch_registrants(meeting.id, everyone)
    assert [r.email for r in results] == [p.email for p in everyone]
    assert all(r.join_url and r.registrant_id for r in results)
    today = sim.clock.now().date()
    assert {adds_today(sim, meeting.id, p.email, today) for p in everyone} == {1}
    assert sim.count("batch_registrants") == 1 and sim.count("list_registrants") == 1
    assert sim.faults.fired == [fault]


async def test_only_those_not_yet_registered_are_sent_again(sim: ZoomSimulator, zoom: ZoomClient) -> None:
    meeting = await zoom.create_meeting(HOST, registration_meeting())
    await zoom.batch_registrants(meeting.id, people(10))  # a first run registered ten
    sim.inject("done_500", count=1, path_prefix=f"/v2/meetings/{meeting.id}/batch_registrants")
    # ... a restart sends ten more with a lost answer, then must still register the last ten:
    await zoom.batch_registrants(meeting.id, people(10, start=10))
    results = await zoom.batch_registrants(meeting.id, people(10, start=20))
    assert len(results) == 10
    today = sim.clock.now().date()
    assert {adds_today(sim, meeting.id, p.email, today) for p in people(30)} == {1}


class BrokenPager:
    """A stand-in for Zoom's registrant listing whose `next_page_token` repeats or never ends."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.calls = 0

    async def handle(self, request: web.Request) -> web.Response:
        self.calls += 1
        token = "same" if self.mode == "repeat" else f"t{self.calls}"
        items = [] if self.mode == "empty" else [
            {"id": f"r{self.calls}", "email": f"s{self.calls}@example.edu", "first_name": "S"}]  # fmt: skip
        return web.json_response(
            {"registrants": items, "next_page_token": token, "page_size": 300, "total_records": 1}
        )


@pytest.fixture(params=["repeat", "empty", "endless"])
async def pager(
    request: pytest.FixtureRequest, aiohttp_server: AiohttpServer, sim_url: str, sim_config: SimulatorConfig
) -> AsyncIterator[tuple[BrokenPager, ZoomClient]]:
    broken = BrokenPager(request.param)
    app = web.Application()
    app.router.add_get("/v2/meetings/{meeting_id}/registrants", broken.handle)
    server = await aiohttp_server(app, host="127.0.0.1")
    settings = settings_for(sim_url, sim_config, zoom_api_base_url=str(server.make_url("/v2")))
    async with ZoomClient(settings, retry=FAST) as client:
        yield broken, client


async def test_paging_stops_on_a_repeated_empty_or_endless_next_page_token(
    pager: tuple[BrokenPager, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transport, "MAX_PAGES", 7)
    broken, client = pager
    listed = [r async for r in client.list_registrants(123)]
    expected = {"repeat": 2, "empty": 1, "endless": 7}[broken.mode]
    assert broken.calls == expected
    assert len(listed) == (0 if broken.mode == "empty" else expected)
