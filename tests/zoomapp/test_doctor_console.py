"""`doctor` checks what it can of the host console: settings, a public HTTPS Home URL, Zoom's headers."""

from __future__ import annotations

from aiohttp import web
from pydantic import SecretStr

from facilitator.config import Settings
from facilitator.zoom.doctor import REQUIRED_HEADERS, Status, zoom_app_checks
from tests.zoomapp.conftest import RigFactory


def with_app(settings: Settings, **extra: object) -> Settings:
    values = {"zoom_app_client_id": "cid", "zoom_app_client_secret": SecretStr("secret"), **extra}
    return settings.model_copy(update=values)


async def test_unconfigured_is_a_skip_and_half_configured_names_the_missing_setting() -> None:
    base = Settings(_env_file=None)  # type: ignore[call-arg]
    assert [c.status for c in await zoom_app_checks(base)] == [Status.SKIP]
    half = base.model_copy(update={"zoom_app_client_id": "cid"})
    (check,) = await zoom_app_checks(half)
    assert check.status is Status.FAIL and "ZOOM_APP_CLIENT_SECRET" in check.detail


async def test_the_running_console_sends_zooms_headers_and_a_local_url_is_flagged(
    make_rig: RigFactory,
) -> None:
    rig = await make_rig()
    settings = with_app(Settings(_env_file=None), public_url=rig.base_url)  # type: ignore[call-arg]
    checks = {c.name: c for c in await zoom_app_checks(settings)}
    assert checks["Zoom App headers"].status is Status.OK, checks["Zoom App headers"].detail
    assert checks["Zoom App Home URL"].status is Status.WARN and "HTTPS" in checks["Zoom App Home URL"].detail


async def test_a_home_url_without_the_headers_fails_by_name(aiohttp_server: object) -> None:
    async def bare(request: web.Request) -> web.Response:
        return web.Response(status=401, text="no", headers={"Referrer-Policy": "same-origin"})

    app = web.Application()
    app.router.add_get("/zoomapp/home", bare)
    server = await aiohttp_server(app)  # type: ignore[operator]
    settings = with_app(Settings(_env_file=None), public_url=str(server.make_url("")).rstrip("/"))  # type: ignore[call-arg]
    check = {c.name: c for c in await zoom_app_checks(settings)}["Zoom App headers"]
    assert check.status is Status.FAIL
    assert all(h in check.detail for h in REQUIRED_HEADERS if h != "Referrer-Policy")


async def test_an_unreachable_home_url_is_a_warning(unused_tcp_port: int) -> None:
    settings = with_app(Settings(_env_file=None), public_url=f"http://127.0.0.1:{unused_tcp_port}")  # type: ignore[call-arg]
    check = {c.name: c for c in await zoom_app_checks(settings, timeout=2)}["Zoom App headers"]
    assert check.status is Status.WARN and "could not reach" in check.detail
