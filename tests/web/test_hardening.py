"""Issue 11's web findings: sign-in throttling per client, `next`, caching, streamed bodies."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tests.web.conftest import PASSWORD, Web


async def _login_form(session: Any, base: str) -> str:
    form = await (await session.get(f"{base}/login")).text()
    match = re.search(r'name="csrf" value="([^"]+)"', form)
    assert match
    return match.group(1)


@pytest.fixture
async def stranger(web_app: Web) -> AsyncIterator[aiohttp.ClientSession]:
    """A second client on another loopback address (127.0.0.2), as another machine would be."""
    connector = aiohttp.TCPConnector(local_addr=("127.0.0.2", 0))
    async with aiohttp.ClientSession(
        connector=connector, cookie_jar=aiohttp.CookieJar(unsafe=True)
    ) as session:
        yield session


async def test_a_strangers_wrong_passwords_do_not_lock_the_director_out(
    web_app: Web, stranger: aiohttp.ClientSession
) -> None:
    base = str(web_app.client.make_url("")).rstrip("/")
    token = await _login_form(stranger, base)
    statuses = [
        (await stranger.post(f"{base}/login", data={"csrf": token, "password": "guess"})).status
        for _ in range(8)
    ]
    assert statuses[:3] == [401, 401, 401] and 429 in statuses  # the stranger is slowed down
    c = web_app.client
    mine = await _login_form(c.session, base)
    ok = await c.post("/login", data={"csrf": mine, "password": PASSWORD}, allow_redirects=False)
    assert ok.status == 303  # the director, from their own address, is not


async def test_failures_are_forgotten_after_a_quiet_period() -> None:
    from facilitator.web.clients import SignInThrottle

    now = [0.0]
    throttle = SignInThrottle(monotonic=lambda: now[0])
    for _ in range(12):
        throttle.failed("c")
        now[0] += throttle.retry_after("c")
    assert throttle.retry_after("c") == 0 and throttle.retry_after("other") == 0
    throttle.failed("c")
    assert throttle.retry_after("c") > 0
    now[0] += 2 * 900
    throttle.failed("c")  # one typo after a quiet quarter of an hour is not a lockout
    assert throttle.retry_after("c") == 0


@pytest.mark.parametrize(
    "target",
    [
        "/\t/evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "/\n/evil.example",
        "/a\r\nSet-Cookie: x=1",
        "https://evil.example/",
    ],
)
async def test_next_after_sign_in_is_a_same_site_path_only(web_app: Web, target: str) -> None:
    c = web_app.client
    token = await _login_form(c.session, str(c.make_url("")).rstrip("/"))
    ok = await c.post(
        "/login", data={"csrf": token, "password": PASSWORD, "next": target}, allow_redirects=False
    )
    assert ok.status == 303 and ok.headers["Location"] == "/"


async def test_director_pages_and_api_are_not_cached(web_app: Web) -> None:
    c = web_app.client
    assert (await c.get("/login")).headers.get("Cache-Control") == "no-store"
    assert (await c.get("/api/sessions")).headers.get("Cache-Control") == "no-store"  # a 401 too
    await web_app.login()
    sid = web_app.schedule.session.id
    for path in (
        "/sessions",
        f"/sessions/{sid}",
        "/api/sessions",
        f"/api/sessions/{sid}/messages",
        f"/sessions/{sid}/export/contributions.csv",
    ):
        resp = await c.get(path)
        assert resp.status == 200 and resp.headers.get("Cache-Control") == "no-store", path


async def test_streamed_bodies_over_the_limit_are_413(web_app: Web) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(40):
            yield b"body=" + b"x" * 1024

    resp = await web_app.client.post(
        web_app.board_path("group-1"),
        data=chunks(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert resp.status == 413
    assert await web_app.store.list_contributions(web_app.schedule.session.id, include_hidden=True) == []
