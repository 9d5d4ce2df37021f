"""The simulator speaks Zoom: raw HTTP requests get Zoom's shapes, codes, limits and headers."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import re
from typing import Any

import aiohttp
import pytest
from pytest_aiohttp import AiohttpServer

from facilitator.clock import ManualClock
from facilitator.zoom.client import ZoomClient
from facilitator.zoom.errors import ZoomValidationError
from facilitator.zoom.models import (
    BatchRegistrant,
    BreakoutRoom,
    BreakoutRoomSettings,
    MeetingRequest,
    MeetingSettings,
)
from facilitator.zoomsim.simulator import SimulatorConfig, ZoomSimulator, serve_simulator
from tests.zoom.conftest import settings_for

HOST = "course.director@example.edu"


def basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


async def token(http: aiohttp.ClientSession, base: str, config: SimulatorConfig) -> str:
    async with http.post(
        f"{base}/oauth/token",
        data={"grant_type": "account_credentials", "account_id": config.account_id},
        headers=basic(config.client_id, config.client_secret),
    ) as resp:
        assert resp.status == 200
        body = await resp.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600
    assert "meeting:write:meeting:admin" in body["scope"].split()
    return str(body["access_token"])


@pytest.fixture
async def http() -> Any:
    async with aiohttp.ClientSession() as session:
        yield session


async def create_raw(http: aiohttp.ClientSession, base: str, bearer: str, body: dict[str, Any]) -> Any:
    async with http.post(
        f"{base}/v2/users/{HOST}/meetings", json=body, headers={"Authorization": f"Bearer {bearer}"}
    ) as resp:
        return resp.status, await resp.json(), resp.headers


async def test_oauth_refuses_wrong_credentials_like_zoom(
    http: aiohttp.ClientSession, sim_url: str, sim_config: SimulatorConfig
) -> None:
    async with http.post(
        f"{sim_url}/oauth/token",
        params={"grant_type": "account_credentials", "account_id": sim_config.account_id},
        headers=basic(sim_config.client_id, "wrong"),
    ) as resp:
        assert resp.status == 400
        assert await resp.json() == {
            "reason": "Invalid client_id or client_secret",
            "error": "invalid_client",
        }


async def test_no_token_is_401_code_124(http: aiohttp.ClientSession, sim_url: str) -> None:
    async with http.get(f"{sim_url}/v2/meetings/123") as resp:
        assert resp.status == 401
        assert (await resp.json())["code"] == 124


async def test_create_returns_realistic_ids_and_urls(
    http: aiohttp.ClientSession, sim_url: str, sim_config: SimulatorConfig
) -> None:
    bearer = await token(http, sim_url, sim_config)
    body = {
        "topic": "Ids",
        "type": 2,
        "start_time": "2026-12-03T18:00:00Z",
        "duration": 60,
        "settings": {"approval_type": 0},
    }
    status, meeting, headers = await create_raw(http, sim_url, bearer, body)
    assert status == 201
    assert re.fullmatch(r"\d{11}", str(meeting["id"]))
    assert re.fullmatch(r"[A-Za-z0-9+/]{22}==", meeting["uuid"])
    assert meeting["join_url"].startswith(f"https://example.zoom.us/j/{meeting['id']}?pwd=")
    assert meeting["registration_url"].startswith("https://example.zoom.us/meeting/register/")
    assert meeting["start_time"] == "2026-12-03T18:00:00Z"
    assert headers["X-RateLimit-Category"] == "Medium"


async def test_validation_errors_have_zoom_shape(
    http: aiohttp.ClientSession, sim_url: str, sim_config: SimulatorConfig
) -> None:
    bearer = await token(http, sim_url, sim_config)
    body = {
        "topic": "t" * 201,
        "type": 5,
        "settings": {
            "breakout_room": {"enable": True, "rooms": [{"name": "A", "participants": ["not-an-email"]}]}
        },
    }
    status, answer, _ = await create_raw(http, sim_url, bearer, body)
    assert status == 400
    assert answer["code"] == 300 and answer["message"] == "Validation Failed."
    fields = {e["field"] for e in answer["errors"]}
    assert fields == {"topic", "type", "settings.breakout_room.rooms[0].participants[0]"}
    assert all(isinstance(e["message"], str) and e["message"] for e in answer["errors"])


async def test_malformed_json_is_a_400(
    http: aiohttp.ClientSession, sim_url: str, sim_config: SimulatorConfig
) -> None:
    bearer = await token(http, sim_url, sim_config)
    async with http.post(
        f"{sim_url}/v2/users/{HOST}/meetings",
        data=b"{not json",
        headers={"Authorization": f"Bearer {bearer}"},
    ) as resp:
        assert resp.status == 400
        assert (await resp.json())["code"] == 300


def rooms(n: int, people_each: int = 1) -> list[BreakoutRoom]:
    return [
        BreakoutRoom(name=f"Room {i}", participants=[f"s{i}-{k}@example.edu" for k in range(people_each)])
        for i in range(n)
    ]


async def test_more_than_100_rooms_are_rejected(zoom: ZoomClient) -> None:
    ok = MeetingRequest(
        topic="100", settings=MeetingSettings(breakout_room=BreakoutRoomSettings(rooms=rooms(100)))
    )
    await zoom.create_meeting(HOST, ok)
    too_many = MeetingRequest.model_construct(
        topic="101",
        settings=MeetingSettings.model_construct(
            breakout_room=BreakoutRoomSettings.model_construct(rooms=rooms(101))
        ),
    )
    with pytest.raises(ZoomValidationError) as caught:
        await zoom.create_meeting(HOST, too_many)
    assert caught.value.code == 300
    assert [e.field for e in caught.value.errors] == ["settings.breakout_room.rooms"]


async def test_more_than_1000_preassigned_people_are_rejected(zoom: ZoomClient) -> None:
    crowded = MeetingRequest.model_construct(
        topic="crowded",
        settings=MeetingSettings.model_construct(
            breakout_room=BreakoutRoomSettings.model_construct(rooms=rooms(11, people_each=91))
        ),
    )
    with pytest.raises(ZoomValidationError, match="at most 1000 participants"):
        await zoom.create_meeting(HOST, crowded)


async def test_batch_takes_at_most_30(
    sim: ZoomSimulator,
    zoom: ZoomClient,
    http: aiohttp.ClientSession,
    sim_url: str,
    sim_config: SimulatorConfig,
) -> None:
    meeting = await zoom.create_meeting(
        HOST, MeetingRequest(topic="b", settings=MeetingSettings(approval_type=0))
    )
    bearer = await token(http, sim_url, sim_config)
    people = [{"email": f"s{i}@example.edu", "first_name": "S"} for i in range(31)]
    async with http.post(
        f"{sim_url}/v2/meetings/{meeting.id}/batch_registrants",
        json={"auto_approve": True, "registrants": people},
        headers={"Authorization": f"Bearer {bearer}"},
    ) as resp:
        assert resp.status == 400
        answer = await resp.json()
    assert answer["code"] == 300 and answer["errors"][0]["field"] == "registrants"
    # the client chunks: 31 people -> 2 calls
    done = await zoom.batch_registrants(meeting.id, [BatchRegistrant(**p) for p in people])
    assert len(done) == 31 and sim.count("batch_registrants", 201) == 2


async def test_registration_needs_approval_type_0_or_1(zoom: ZoomClient) -> None:
    from facilitator.zoom.errors import ZoomNotFound

    meeting = await zoom.create_meeting(HOST, MeetingRequest(topic="no registration"))
    with pytest.raises(ZoomNotFound, match="Registration has not been enabled"):
        await zoom.batch_registrants(meeting.id, [BatchRegistrant(email="a@example.edu", first_name="A")])


async def test_per_second_limits_answer_429_with_zoom_headers(
    aiohttp_server: AiohttpServer, clock: ManualClock, http: aiohttp.ClientSession
) -> None:
    config = SimulatorConfig(seed=2, plan="free")  # Light: 4 per second
    sim = ZoomSimulator(config, clock)
    base = str((await aiohttp_server(sim.app)).make_url("")).rstrip("/")
    bearer = await token(http, base, config)

    async def get() -> tuple[int, Any]:
        async with http.get(f"{base}/v2/users/{HOST}", headers={"Authorization": f"Bearer {bearer}"}) as resp:
            return resp.status, resp.headers

    answers = await asyncio.gather(*(get() for _ in range(6)))
    statuses = sorted(s for s, _ in answers)
    assert statuses == [200, 200, 200, 200, 429, 429]
    limited = [h for s, h in answers if s == 429]
    for headers in limited:
        assert headers["X-RateLimit-Category"] == "Light"
        assert headers["X-RateLimit-Type"] == "QPS"
        assert headers["X-RateLimit-Limit"] == "4"
        assert headers["X-RateLimit-Remaining"] == "0"
    assert any("Retry-After" in h for h in limited)


async def test_pagination_binds_the_token_to_the_original_query(
    sim: ZoomSimulator,
    zoom: ZoomClient,
    http: aiohttp.ClientSession,
    sim_url: str,
    sim_config: SimulatorConfig,
) -> None:
    meeting = await zoom.create_meeting(
        HOST, MeetingRequest(topic="p", settings=MeetingSettings(approval_type=0))
    )
    await zoom.batch_registrants(
        meeting.id, [BatchRegistrant(email=f"s{i}@example.edu", first_name="S") for i in range(70)]
    )
    listed = [r.email async for r in zoom.list_registrants(meeting.id, status="approved", page_size=30)]
    assert len(listed) == 70 and len(set(listed)) == 70
    pages = [r for r in sim.requests if r.endpoint == "list_registrants"]
    assert len(pages) == 3
    for page in pages:
        assert page.query["status"] == "approved" and page.query["page_size"] == "30"
    assert "next_page_token" not in pages[0].query
    assert all(p.query.get("next_page_token") for p in pages[1:])
    # dropping the filter with a token from that listing is refused, so the mistake shows
    bearer = await token(http, sim_url, sim_config)
    async with http.get(
        f"{sim_url}/v2/meetings/{meeting.id}/registrants",
        params={"page_size": "30", "next_page_token": pages[1].query["next_page_token"]},
        headers={"Authorization": f"Bearer {bearer}"},
    ) as resp:
        assert resp.status == 400


async def test_past_participants_by_uuid_with_slashes(sim: ZoomSimulator, zoom: ZoomClient) -> None:
    meeting = await zoom.create_meeting(HOST, MeetingRequest(topic="past"))
    sim.state.meetings[meeting.id].uuid = "/ab//cdEFgh+ij=="
    people = [
        {"id": f"p{i}", "name": f"P {i}", "user_email": f"p{i}@example.edu", "duration": 60} for i in range(5)
    ]
    sim.end_meeting(meeting.id, people)
    got = [p.user_email async for p in zoom.list_past_participants("/ab//cdEFgh+ij==", page_size=2)]
    assert got == [f"p{i}@example.edu" for i in range(5)]
    assert sim.count("list_past_participants") == 3


async def test_team_chat_message_is_recorded(sim: ZoomSimulator, zoom: ZoomClient) -> None:
    sent = await zoom.send_chat_message(HOST, "physician1@example.edu", "Move to Group 4 now")
    assert sent.id and sim.state.chat[-1].message == "Move to Group 4 now"
    assert sim.state.chat[-1].to_contact == "physician1@example.edu"


async def test_meeting_view_for_the_live_simulation(sim: ZoomSimulator, zoom: ZoomClient) -> None:
    body = MeetingRequest(
        topic="view",
        duration=55,
        settings=MeetingSettings(
            approval_type=0,
            alternative_hosts="physician1@example.edu;physician2@example.edu",
            breakout_room=BreakoutRoomSettings(
                enable=True, rooms=[BreakoutRoom(name="Group 1", participants=["A@example.edu"])]
            ),
        ),
    )
    meeting = await zoom.create_meeting(HOST, body)
    await zoom.batch_registrants(meeting.id, [BatchRegistrant(email="a@example.edu", first_name="Ada")])
    view = sim.meeting_view(meeting.id)
    assert view.meeting_id == meeting.id and view.uuid == meeting.uuid and view.duration_minutes == 55
    assert view.rooms == (("Group 1", ("a@example.edu",)),)
    assert view.alternative_hosts == ("physician1@example.edu", "physician2@example.edu")
    assert [(e, n) for e, n, _ in view.registrants] == [("a@example.edu", "Ada")]
    assert sim.meetings_ids() == [meeting.id]


async def test_admin_endpoints_inject_faults_and_dump_state(
    sim: ZoomSimulator, zoom: ZoomClient, http: aiohttp.ClientSession, sim_url: str
) -> None:
    async with http.post(
        f"{sim_url}/_sim/faults", json={"kind": "503", "count": 1, "path_prefix": "/v2/users/"}
    ) as r:
        assert r.status == 201
    async with http.post(f"{sim_url}/_sim/faults", json={"kind": "explode"}) as r:
        assert r.status == 400
    await zoom.create_meeting(HOST, MeetingRequest(topic="admin"))
    async with http.get(f"{sim_url}/_sim/state") as r:
        state = await r.json()
    assert [m["topic"] for m in state["meetings"]] == ["admin"]
    assert state["requests_by_endpoint"]["create_meeting"] == 1  # the 503 never reached the handler
    async with http.get(f"{sim_url}/_sim/requests") as r:
        rows = await r.json()
    assert [row["status"] for row in rows if row["endpoint"] == "create_meeting"] == [503, 201]


async def test_serve_simulator_prints_settings_that_work(clock: ManualClock) -> None:
    lines: list[str] = []
    config = SimulatorConfig(seed=5)
    task = asyncio.create_task(serve_simulator(0, config=config, clock=clock, out=lines.append))
    try:
        for _ in range(200):
            if len(lines) >= 6:
                break
            await asyncio.sleep(0.01)
        values = dict(line.split("=", 1) for line in lines)
        assert list(values)[:6] == [
            "ZOOM_API_BASE_URL",
            "ZOOM_OAUTH_BASE_URL",
            "ZOOM_ACCOUNT_ID",
            "ZOOM_CLIENT_ID",
            "ZOOM_CLIENT_SECRET",
            "ZOOM_WEBHOOK_SECRET_TOKEN",
        ]
        settings = settings_for(values["ZOOM_OAUTH_BASE_URL"], config)
        assert settings.zoom_api_base_url == values["ZOOM_API_BASE_URL"]
        async with ZoomClient(settings) as zoom:
            meeting = await zoom.create_meeting(HOST, MeetingRequest(topic="standalone"))
        assert meeting.topic == "standalone"
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
