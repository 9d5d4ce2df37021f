"""`doctor` says what is missing, and creates nothing."""

from __future__ import annotations

from pytest_aiohttp import AiohttpServer

from facilitator.clock import ManualClock
from facilitator.config import Settings
from facilitator.zoom.doctor import Check, Status, doctor
from facilitator.zoomsim.simulator import ALL_SCOPES, SimulatorConfig, ZoomSimulator
from tests.zoom.conftest import settings_for

HOST = "course.director@example.edu"


def by_name(checks: list[Check]) -> dict[str, Check]:
    return {c.name: c for c in checks}


def nothing_written(sim: ZoomSimulator) -> bool:
    return not sim.state.meetings and all(
        r.method == "GET" for r in sim.requests if r.path.startswith("/v2/")
    )


async def test_a_good_configuration_passes(sim: ZoomSimulator, settings: Settings) -> None:
    public = settings.model_copy(update={"public_url": "https://facilitator.example.edu"})
    checks = by_name(await doctor(public, HOST))
    assert checks["credentials"].status is Status.OK
    assert checks["host user"].status is Status.OK
    assert checks["webhook secret"].status is Status.OK
    assert (
        checks["webhook URL"].detail
        == "subscribe the app's events to https://facilitator.example.edu/zoom/webhook"
    )
    assert all(c.ok for c in checks.values()), [c for c in checks.values() if not c.ok]
    assert nothing_written(sim)


async def test_missing_scope_unknown_host_and_webhook_secret_are_named(
    aiohttp_server: AiohttpServer, clock: ManualClock
) -> None:
    scopes = tuple(s for s in ALL_SCOPES if s != "meeting:write:batch_registrants:admin")
    config = SimulatorConfig(seed=4, scopes=scopes, known_hosts=frozenset({"someone@example.edu"}))
    sim = ZoomSimulator(config, clock)
    server = await aiohttp_server(sim.app)
    settings = settings_for(str(server.make_url("")).rstrip("/"), config, zoom_webhook_secret_token=None)
    checks = by_name(await doctor(settings, HOST))
    registering = checks["scopes: register students and facilitators"]
    assert registering.status is Status.FAIL
    assert "meeting:write:batch_registrants:admin or meeting:write:admin" in registering.detail
    assert checks["scopes: create and update the session's meeting"].status is Status.OK
    assert checks["host user"].status is Status.FAIL
    assert f"{HOST} is not a user of this Zoom account" in checks["host user"].detail
    assert checks["webhook secret"].status is Status.FAIL
    assert "ZOOM_WEBHOOK_SECRET_TOKEN" in checks["webhook secret"].detail
    assert nothing_written(sim)


async def test_wrong_credentials_are_reported_with_the_account(
    sim: ZoomSimulator, sim_url: str, sim_config: SimulatorConfig
) -> None:
    wrong = settings_for(sim_url, sim_config, zoom_client_secret="nope")
    checks = by_name(await doctor(wrong, HOST))
    assert checks["credentials"].status is Status.FAIL
    assert f"account {sim_config.account_id}" in checks["credentials"].detail
    assert "host user" not in checks
    assert sum(1 for r in sim.requests if r.path == "/oauth/token") == 1


async def test_unset_credentials_name_the_variables() -> None:
    checks = by_name(await doctor(Settings(_env_file=None), None))  # type: ignore[call-arg]
    assert checks["credentials"].status is Status.FAIL
    assert "ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET" in checks["credentials"].detail
    assert checks["webhook URL"].status is Status.WARN  # 127.0.0.1 cannot be reached by Zoom


async def test_team_chat_sender_is_checked_when_configured(sim: ZoomSimulator, settings: Settings) -> None:
    chat = settings.model_copy(update={"zoom_chat_user": "bot@elsewhere.org"})
    checks = by_name(await doctor(chat, HOST))
    assert checks["scopes: send cues by Zoom Team Chat"].status is Status.OK
    assert checks["Team Chat sender"].status is Status.FAIL


async def test_a_basic_or_pending_host_fails_because_zoom_refuses_its_registrants(
    sim: ZoomSimulator, settings: Settings
) -> None:
    sim.state.user(HOST).type = 1  # Basic (unlicensed)
    checks = by_name(await doctor(settings, HOST))
    assert checks["host user"].status is Status.FAIL and "Basic (unlicensed)" in checks["host user"].detail
    sim.state.user(HOST).type = 2
    sim.state.user(HOST).status = "pending"
    checks = by_name(await doctor(settings, HOST))
    assert checks["host user"].status is Status.FAIL
    assert "pending (invited, has not accepted the invitation yet)" in checks["host user"].detail
