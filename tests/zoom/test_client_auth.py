"""Server-to-Server OAuth in the client: one clear error for bad credentials, one token shared."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

import pytest
from pytest_aiohttp import AiohttpServer

from facilitator.clock import ManualClock
from facilitator.config import Settings
from facilitator.zoom.client import ZoomClient
from facilitator.zoom.errors import ZoomAuthError, ZoomNotConfigured
from facilitator.zoomsim.simulator import SimulatorConfig, ZoomSimulator
from tests.zoom.conftest import settings_for


def token_requests(sim: ZoomSimulator) -> int:
    return sum(1 for r in sim.requests if r.path == "/oauth/token")


async def test_wrong_credentials_give_one_clear_error_without_retrying(
    sim: ZoomSimulator, sim_url: str, sim_config: SimulatorConfig, make_client: Callable[..., ZoomClient]
) -> None:
    wrong = settings_for(sim_url, sim_config, zoom_client_secret="not-the-secret")
    async with make_client(settings=wrong) as zoom:
        with pytest.raises(ZoomAuthError) as caught:
            await zoom.get_user("course.director@example.edu")
    message = str(caught.value)
    assert f"Zoom rejected the credentials for account {sim_config.account_id}" in message
    assert "Invalid client_id or client_secret" in message
    assert "not-the-secret" not in message
    assert token_requests(sim) == 1  # no retry loop
    assert not any(r.path.startswith("/v2/") for r in sim.requests)


async def test_concurrent_callers_with_wrong_credentials_cause_one_token_request(
    sim: ZoomSimulator, sim_url: str, sim_config: SimulatorConfig, make_client: Callable[..., ZoomClient]
) -> None:
    wrong = settings_for(sim_url, sim_config, zoom_client_id="not-our-app")
    async with make_client(settings=wrong) as zoom:
        outcomes = await asyncio.gather(*(zoom.get_meeting(1) for _ in range(10)), return_exceptions=True)
    assert all(isinstance(o, ZoomAuthError) for o in outcomes)
    assert token_requests(sim) == 1


async def test_wrong_account_id_is_named_in_the_error(
    sim: ZoomSimulator, sim_url: str, sim_config: SimulatorConfig, make_client: Callable[..., ZoomClient]
) -> None:
    wrong = settings_for(sim_url, sim_config, zoom_account_id="someone-elses-account")
    async with make_client(settings=wrong) as zoom:
        with pytest.raises(ZoomAuthError, match="for account someone-elses-account"):
            await zoom.token()
    assert token_requests(sim) == 1


async def test_missing_settings_say_which_variables_to_set(make_client: Callable[..., ZoomClient]) -> None:
    empty = Settings(_env_file=None, zoom_api_base_url="http://127.0.0.1:9/v2")  # type: ignore[call-arg]
    async with make_client(settings=empty) as zoom:
        with pytest.raises(ZoomNotConfigured, match="ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET"):
            await zoom.get_meeting(1)


async def test_concurrent_callers_share_one_token_request(sim: ZoomSimulator, zoom: ZoomClient) -> None:
    users = await asyncio.gather(*(zoom.get_user(f"host{i}@example.edu") for i in range(12)))
    assert [u.email for u in users] == [f"host{i}@example.edu" for i in range(12)]
    assert sim.auth.issued == 1
    assert zoom.stats.token_requests == 1


async def test_expired_token_mid_run_is_refreshed_once_not_per_request(
    sim: ZoomSimulator, zoom: ZoomClient
) -> None:
    await zoom.get_user("course.director@example.edu")
    sim.inject("expire_tokens")
    results = await asyncio.gather(*(zoom.get_user(f"p{i}@example.edu") for i in range(8)))
    assert len(results) == 8
    assert sim.auth.issued == 2  # the first token, and one refresh shared by all eight callers
    expired_answers = [r for r in sim.requests if r.status == 401]
    assert 1 <= len(expired_answers) <= 8  # each caller retries at most once
    await zoom.get_user("course.director@example.edu")
    assert sim.auth.issued == 2


async def test_token_expiring_on_zooms_clock_is_refreshed(
    sim: ZoomSimulator, zoom: ZoomClient, clock: ManualClock
) -> None:
    await zoom.get_user("course.director@example.edu")
    clock.advance(timedelta(hours=2))  # Zoom's token has expired; our monotonic clock did not move
    await zoom.get_user("course.director@example.edu")
    assert sim.auth.issued == 2
    assert sum(1 for r in sim.requests if r.status == 401) == 1


async def test_token_is_refreshed_about_a_minute_before_it_expires(
    sim: ZoomSimulator, make_client: Callable[..., ZoomClient]
) -> None:
    now = [1000.0]
    async with make_client(monotonic=lambda: now[0]) as zoom:
        await zoom.get_user("course.director@example.edu")
        now[0] += 3600 - 61  # 61 s before expiry: still good
        await zoom.get_user("course.director@example.edu")
        assert sim.auth.issued == 1
        now[0] += 2  # 59 s before expiry: due for renewal
        await zoom.get_user("course.director@example.edu")
        assert sim.auth.issued == 2
    assert not any(r.status == 401 for r in sim.requests)


async def test_token_is_sent_as_bearer_and_never_in_the_query(sim: ZoomSimulator, zoom: ZoomClient) -> None:
    await zoom.get_user("course.director@example.edu")
    v2 = [r for r in sim.requests if r.path.startswith("/v2/")]
    assert v2 and all("access_token" not in r.query for r in v2)


async def test_missing_scope_is_an_auth_error_naming_the_scope(
    make_client: Callable[..., ZoomClient], aiohttp_server: AiohttpServer, clock: ManualClock
) -> None:
    config = SimulatorConfig(seed=1, scopes=("meeting:read:meeting:admin",))
    narrow = ZoomSimulator(config, clock)
    server = await aiohttp_server(narrow.app)
    settings = settings_for(str(server.make_url("")).rstrip("/"), config)
    async with make_client(settings=settings) as zoom:
        with pytest.raises(
            ZoomAuthError, match=r"does not contain scopes: \[user:read:user:admin\]"
        ) as caught:
            await zoom.get_user("course.director@example.edu")
    assert caught.value.code == 4700
