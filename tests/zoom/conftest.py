"""Fixtures for the Zoom client, simulator and provisioning tests.

Everything runs over real HTTP on loopback: the simulator is served by aiohttp's test server on
127.0.0.1 (port chosen by the OS) and the client is pointed at it through Settings, exactly as
the bot is pointed at Zoom. Backoff sleeps are recorded and skipped, so retries cost no time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from pytest_aiohttp import AiohttpServer

from facilitator.clock import ManualClock
from facilitator.config import Settings
from facilitator.schedule.model import Schedule
from facilitator.zoom.client import RetryPolicy, ZoomClient
from facilitator.zoomsim.simulator import SimulatorConfig, ZoomSimulator
from tests.zoom.doubles import seed_like_schedule

START = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
FAST = RetryPolicy(max_attempts=4, max_rate_limited=20, backoff_base=0.001, backoff_cap=0.01)


class Sleeps:
    """A stand-in for asyncio.sleep that records how long the client wanted to wait."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def sim_config() -> SimulatorConfig:
    return SimulatorConfig(seed=7)


@pytest.fixture
def sim(sim_config: SimulatorConfig, clock: ManualClock) -> ZoomSimulator:
    return ZoomSimulator(sim_config, clock)


@pytest.fixture
async def sim_url(sim: ZoomSimulator, aiohttp_server: AiohttpServer) -> str:
    server = await aiohttp_server(sim.app, host="127.0.0.1")
    return str(server.make_url("")).rstrip("/")


def settings_for(base_url: str, config: SimulatorConfig, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "zoom_api_base_url": f"{base_url}/v2",
        "zoom_oauth_base_url": base_url,
        "zoom_account_id": config.account_id,
        "zoom_client_id": config.client_id,
        "zoom_client_secret": config.client_secret,
        "zoom_webhook_secret_token": config.webhook_secret,
        "zoom_plan": config.plan,
        "zoom_timeout_seconds": 2.0,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def settings(sim_url: str, sim_config: SimulatorConfig) -> Settings:
    return settings_for(sim_url, sim_config)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def make_client(settings: Settings, sleeps: Sleeps, clock: ManualClock) -> Callable[..., ZoomClient]:
    def make(**kwargs: Any) -> ZoomClient:
        kwargs.setdefault("sleep", sleeps)
        kwargs.setdefault("retry", FAST)
        kwargs.setdefault("now", clock.now)
        return ZoomClient(kwargs.pop("settings", settings), **kwargs)

    return make


@pytest.fixture
async def zoom(make_client: Callable[..., ZoomClient]) -> AsyncIterator[ZoomClient]:
    async with make_client() as client:
        yield client


@pytest.fixture
def schedule() -> Schedule:
    return seed_like_schedule()
