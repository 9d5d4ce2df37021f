"""The simulator is as strict as Zoom's schema, and treats every address of a rehearsed plan as a user."""

from __future__ import annotations

import json
import random
from typing import Any

import aiohttp
import pytest
from pytest_aiohttp import AiohttpServer

from facilitator.clock import ManualClock
from facilitator.zoomsim.simulator import SimulatorConfig, ZoomSimulator
from tests.zoom.test_simulator import HOST, token

GOOD = {"topic": "Strict", "type": 2, "start_time": "2026-12-03T18:00:00Z", "duration": 130}


@pytest.fixture
async def http() -> Any:
    async with aiohttp.ClientSession() as session:
        yield session


async def post(http: aiohttp.ClientSession, url: str, bearer: str, body: Any) -> tuple[int, Any]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Authorization": f"Bearer {bearer}", "Content-Type": "application/json"}
    async with http.post(url, data=data, headers=headers) as resp:
        return resp.status, await resp.json()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"duration": "130"}, "duration"),
        ({"start_time": 1796320800}, "start_time"),
        ({"type": "2"}, "type"),
        ({"settings": {"waiting_room": "yes"}}, "settings.waiting_room"),
        ({"settings": {"join_before_host": 1}}, "settings.join_before_host"),
    ],
)
async def test_loosely_typed_meeting_fields_are_400_like_zoom(
    http: aiohttp.ClientSession, sim_url: str, sim_config: SimulatorConfig, change: dict[str, Any], field: str
) -> None:
    bearer = await token(http, sim_url, sim_config)
    url = f"{sim_url}/v2/users/{HOST}/meetings"
    assert (await post(http, url, bearer, GOOD))[0] == 201
    status, answer = await post(http, url, bearer, GOOD | change)
    assert status == 400 and answer["code"] == 300, answer
    assert [e["field"] for e in answer["errors"]] == [field]


async def test_registrant_auto_approve_must_be_a_boolean(
    http: aiohttp.ClientSession, sim_url: str, sim_config: SimulatorConfig
) -> None:
    bearer = await token(http, sim_url, sim_config)
    status, meeting = await post(
        http, f"{sim_url}/v2/users/{HOST}/meetings", bearer, GOOD | {"settings": {"approval_type": 0}}
    )
    assert status == 201
    url = f"{sim_url}/v2/meetings/{meeting['id']}/registrants"
    person = {"email": "ada@students.example.edu", "first_name": "Ada"}
    status, answer = await post(http, url, bearer, person | {"auto_approve": "true"})
    assert status == 400 and [e["field"] for e in answer["errors"]] == ["auto_approve"]
    status, _ = await post(http, url, bearer, person | {"auto_approve": True})
    assert status == 201


async def test_every_address_of_the_plan_is_a_user_of_the_simulated_account(
    http: aiohttp.ClientSession, aiohttp_server: AiohttpServer, clock: ManualClock
) -> None:
    director, physician = "jdirector@med.example.org", "okafor@hospital.example.net"
    default = ZoomSimulator(SimulatorConfig(seed=1), clock)
    assert not default.is_known_user(director)  # what a director's own plan ran into before
    config = SimulatorConfig(seed=1, plan_users=frozenset({director, physician}))
    server = await aiohttp_server(ZoomSimulator(config, clock).app, host="127.0.0.1")
    base = str(server.make_url("")).rstrip("/")
    bearer = await token(http, base, config)
    body = GOOD | {"settings": {"alternative_hosts": physician}}
    status, answer = await post(http, f"{base}/v2/users/{director}/meetings", bearer, body)
    assert status == 201, answer
    assert answer["host_email"] == director and answer["settings"]["alternative_hosts"] == physician
    status, answer = await post(http, f"{base}/v2/users/stranger@example.org/meetings", bearer, GOOD)
    assert status == 404 and answer["code"] == 1001


TOP_FIELDS = ("topic", "type", "start_time", "duration", "timezone", "password", "settings", "agenda")
SETTING_FIELDS = ("waiting_room", "approval_type", "alternative_hosts", "breakout_room", "mute_upon_entry")


def _mutations(rng: random.Random) -> Any:
    values: list[Any] = [None, True, "true", "yes", 0, 1, -5, 1.5, "130", "", [], {}, "2026-12-03T18:00:00Z",
                         1796320800, "x" * 300, {"a": 1}, ["a"]]  # fmt: skip
    body: dict[str, Any] = dict(GOOD)
    for _ in range(rng.randint(1, 4)):
        key = rng.choice(TOP_FIELDS)
        if key == "settings" and rng.random() < 0.7:
            inner = rng.choice(SETTING_FIELDS)
            body["settings"] = {inner: rng.choice(values)}
        else:
            body[key] = rng.choice(values)
    return body


async def test_fuzzed_meeting_bodies_get_201_or_a_zoom_400_never_a_500(
    http: aiohttp.ClientSession, aiohttp_server: AiohttpServer, clock: ManualClock
) -> None:
    rng = random.Random(1212)
    config = SimulatorConfig(seed=3, enforce_rate_limits=False)
    server = await aiohttp_server(ZoomSimulator(config, clock).app, host="127.0.0.1")
    base = str(server.make_url("")).rstrip("/")
    bearer = await token(http, base, config)
    url = f"{base}/v2/users/{HOST}/meetings"
    for _ in range(60):
        status, answer = await post(http, url, bearer, _mutations(rng))
        assert status in (201, 400), answer
        if status == 400:
            assert answer["code"] == 300 and answer["message"]
