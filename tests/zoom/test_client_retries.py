"""Retries: what is retried (5xx, timeouts, dropped connections, 429s) and what never is (other 4xx)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from pytest_aiohttp import AiohttpServer

from facilitator.clock import ManualClock
from facilitator.config import Settings
from facilitator.zoom.client import RetryPolicy, ZoomClient
from facilitator.zoom.errors import (
    ZoomDailyLimit,
    ZoomNotFound,
    ZoomRateLimited,
    ZoomUnavailable,
    ZoomValidationError,
)
from facilitator.zoom.models import MeetingRequest, MeetingSettings, RegistrantCreate
from facilitator.zoomsim.simulator import SimulatorConfig, ZoomSimulator
from tests.zoom.conftest import FAST, Sleeps, settings_for

HOST = "course.director@example.edu"


def registration_meeting(topic: str = "Retry test") -> MeetingRequest:
    return MeetingRequest(
        topic=topic,
        type=2,
        start_time=datetime(2026, 12, 3, 18, 0, tzinfo=UTC),
        duration=60,
        settings=MeetingSettings(approval_type=0),
    )


async def test_a_500_then_success_is_retried(sim: ZoomSimulator, zoom: ZoomClient, sleeps: Sleeps) -> None:
    sim.inject("500", count=1, path_prefix="/v2/users/")
    user = await zoom.get_user(HOST)
    assert user.email == HOST
    answers = [r.status for r in sim.requests if r.endpoint == "get_user"]
    assert answers == [500, 200]
    assert zoom.stats.retries == 1 and len(sleeps.calls) == 1


async def test_persistent_503_gives_up_with_zoom_unavailable(sim: ZoomSimulator, zoom: ZoomClient) -> None:
    sim.inject("503", count=50, path_prefix="/v2/users/")
    with pytest.raises(ZoomUnavailable, match="after 4 attempts"):
        await zoom.get_user(HOST)
    assert sim.count("get_user") == 4  # RetryPolicy.max_attempts in the tests


async def test_a_timeout_is_retried(
    sim: ZoomSimulator, sim_url: str, sim_config: SimulatorConfig, make_client: Callable[..., ZoomClient]
) -> None:
    quick = settings_for(sim_url, sim_config, zoom_timeout_seconds=0.2)
    sim.inject("slow", count=1, path_prefix="/v2/users/", delay=0.6)
    async with make_client(settings=quick) as zoom:
        user = await zoom.get_user(HOST)
    assert user.email == HOST
    assert zoom.stats.retries == 1
    assert sim.faults.fired == ["slow"]


async def test_a_create_whose_answer_was_lost_is_not_made_twice(sim: ZoomSimulator, zoom: ZoomClient) -> None:
    await zoom.create_meeting(HOST, registration_meeting("Another meeting"))
    sim.inject("lost", count=1, path_prefix="/v2/users/")  # Zoom creates it; the answer never arrives
    made = await zoom.create_meeting(HOST, registration_meeting("Made once"))
    topics = [m.topic for m in sim.state.meetings.values()]
    assert topics.count("Made once") == 1
    assert made.id in sim.state.meetings and made.topic == "Made once"
    assert sim.count("create_meeting") == 2  # one per meeting: the lost one was looked up, not re-sent
    assert sim.count("list_meetings") == 1


async def test_a_dropped_connection_is_retried(sim: ZoomSimulator, zoom: ZoomClient) -> None:
    meeting = await zoom.create_meeting(HOST, registration_meeting())
    sim.inject("drop", count=1, path_prefix=f"/v2/meetings/{meeting.id}/registrants")
    created = await zoom.add_registrant(
        meeting.id, RegistrantCreate(email="s1@example.edu", first_name="Ada")
    )
    assert created.join_url.startswith(f"https://example.zoom.us/w/{meeting.id}?tk=")
    assert zoom.stats.retries == 1
    assert "drop" in sim.faults.fired


async def test_other_4xx_are_never_retried(sim: ZoomSimulator, zoom: ZoomClient) -> None:
    with pytest.raises(ZoomNotFound) as caught:
        await zoom.get_meeting(12345678901)
    assert caught.value.code == 3001
    with pytest.raises(ZoomNotFound) as caught:
        await zoom.create_meeting("stranger@elsewhere.org", registration_meeting())
    assert caught.value.code == 1001
    bad = MeetingRequest.model_construct(topic="x" * 201, type=2)
    with pytest.raises(ZoomValidationError) as invalid:
        await zoom.create_meeting(HOST, bad)
    assert invalid.value.code == 300
    assert [e.field for e in invalid.value.errors] == ["topic"]
    assert sim.count("get_meeting") == 1 and sim.count("create_meeting") == 2
    assert zoom.stats.retries == 0


async def test_429_storm_is_waited_out_honouring_each_retry_after_form(
    sim: ZoomSimulator, zoom: ZoomClient, sleeps: Sleeps
) -> None:
    sim.inject("429", count=6, path_prefix="/v2/users/")
    user = await zoom.get_user(HOST)
    assert user.email == HOST
    assert zoom.stats.responses_429 == 6
    assert sim.count("get_user") == 7
    # Retry-After cycles: "1" (seconds), an ISO instant about 1 s ahead, absent (our own backoff)
    assert sleeps.calls[0] == 1.0 and sleeps.calls[3] == 1.0
    assert 0.0 <= sleeps.calls[1] <= 1.0
    assert 0.0 < sleeps.calls[2] <= FAST.backoff_cap


async def test_endless_429s_end_with_zoom_rate_limited(
    sim: ZoomSimulator, make_client: Callable[..., ZoomClient]
) -> None:
    sim.inject("429", count=100, path_prefix="/v2/users/")
    async with make_client(retry=RetryPolicy(max_rate_limited=5, backoff_base=0.001)) as zoom:
        with pytest.raises(ZoomRateLimited, match="after 5 tries"):
            await zoom.get_user(HOST)
    assert sim.count("get_user") == 5


async def test_three_adds_per_email_per_day_then_a_daily_limit_error(
    sim: ZoomSimulator, zoom: ZoomClient, clock: ManualClock
) -> None:
    meeting = await zoom.create_meeting(HOST, registration_meeting())
    body = RegistrantCreate(email="repeat@example.edu", first_name="Bo")
    ids = {(await zoom.add_registrant(meeting.id, body)).registrant_id for _ in range(3)}
    assert len(ids) == 1  # re-adding hands back the same registrant
    with pytest.raises(ZoomDailyLimit) as caught:
        await zoom.add_registrant(meeting.id, body)
    assert caught.value.resume_at == datetime(2026, 12, 2, 0, 0, tzinfo=UTC)
    assert "daily rate limit of (3)" in str(caught.value)
    assert sim.count("add_registrant") == 4  # the limit answer was not hammered
    clock.advance(timedelta(hours=12))  # past 00:00 UTC: the counter resets
    again = await zoom.add_registrant(meeting.id, body)
    assert again.registrant_id in ids


async def test_100_meeting_writes_per_host_per_day(
    sim: ZoomSimulator, zoom: ZoomClient, clock: ManualClock
) -> None:
    sim.state.add_today("meeting_write", HOST, clock.now().date(), 99)  # as if 99 were made today
    meeting = await zoom.create_meeting(HOST, registration_meeting())
    with pytest.raises(ZoomDailyLimit, match=r"daily rate limit \(100\)"):
        await zoom.update_meeting(meeting.id, MeetingRequest(duration=90))
    with pytest.raises(ZoomDailyLimit):
        await zoom.create_meeting(HOST, registration_meeting("another"))
    assert sim.count("update_meeting", 429) == 1 and sim.count("create_meeting", 429) == 1
    other = await zoom.create_meeting("second.host@example.edu", registration_meeting("other host"))
    assert other.host_email == "second.host@example.edu"


async def test_client_paces_itself_under_zooms_per_second_limits(
    aiohttp_server: AiohttpServer, clock: ManualClock, sleeps: Sleeps
) -> None:
    config = SimulatorConfig(seed=3, plan="free")  # Light: 4 requests per second
    free = ZoomSimulator(config, clock)
    server = await aiohttp_server(free.app)
    settings: Settings = settings_for(str(server.make_url("")).rstrip("/"), config)
    started = time.monotonic()
    async with ZoomClient(settings, sleep=sleeps, now=clock.now) as zoom:
        await asyncio.gather(*(zoom.get_user(f"u{i}@example.edu") for i in range(6)))
    elapsed = time.monotonic() - started
    assert free.counters.responses_429 == 0
    assert elapsed >= 1.0  # 6 Light calls at 4/s need a second window
