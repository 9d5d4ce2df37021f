"""Issue 11's web findings: sign-in throttling per client, `next`, caching, streamed bodies."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import timedelta
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


async def _signed(w: Web, body: bytes) -> tuple[int, str]:
    from facilitator.zoom.webhooks import sign
    from tests.web.conftest import ZOOM_SECRET

    ts = str(int(w.clock.now().timestamp()))
    resp = await w.client.post(
        "/zoom/webhook",
        data=body,
        headers={
            "Content-Type": "application/json",
            "x-zm-request-timestamp": ts,
            "x-zm-signature": sign(ZOOM_SECRET, ts, body),
        },
    )
    return resp.status, await resp.text()


def _event(event_ts: str, meeting_id: str = '"85012345678"') -> bytes:
    return (
        '{"event": "meeting.participant_joined", "event_ts": '
        + event_ts
        + ', "payload": {"account_id": "a", '
        '"object": {"id": ' + meeting_id + ', "uuid": "u", "participant": {"user_id": "1", "user_name": "N", '
        '"email": "x@example.edu", "join_time": "2027-01-14T19:00:00Z"}}}}'
    ).encode()


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"event": "x", "payload": ' + b'{"a": ' * 5000 + b"1" + b"}" * 5000 + b"}",
        _event("1e20"),
        _event("1e400"),
        _event("NaN"),
        _event("-Infinity"),
        _event("1" * 5000),
        _event("1700000000000", meeting_id="NaN"),
        _event("1700000000000", meeting_id="1e999"),
        _event("1700000000000", meeting_id="9" * 400),
        b"\xff\xfe not utf-8",
    ],
    ids=[
        "deep-list",
        "deep-object",
        "ts-1e20",
        "ts-inf",
        "ts-nan",
        "ts-minus-inf",
        "ts-5000-digits",
        "id-nan",
        "id-inf",
        "id-400-digits",
        "not-utf8",
    ],
)
async def test_signed_hostile_webhook_bodies_get_400_not_500(web_app: Web, body: bytes) -> None:
    status, text = await _signed(web_app, body)
    assert status == 400, text[:300]


@pytest.mark.parametrize("mid", ["9223372036854775808", "99999999999999999999999", "0"])
async def test_out_of_range_ids_on_retry_and_moderation_routes_are_404(web_app: Web, mid: str) -> None:
    await web_app.login()
    sid = web_app.schedule.session.id
    csrf = await web_app.csrf()
    c = web_app.client
    for path in (
        f"/sessions/{sid}/messages/{mid}/retry",
        f"/sessions/{sid}/contributions/{mid}/hide",
    ):
        resp = await c.post(path, data={"csrf": csrf}, allow_redirects=False)
        assert resp.status == 404, (path, resp.status)
    for path in (
        f"/api/sessions/{sid}/messages/{mid}/cancel",
        f"/api/sessions/{sid}/contributions/{mid}/show",
    ):
        resp = await c.post(path, headers={"X-CSRF-Token": csrf})
        assert resp.status == 404, (path, resp.status)
    vote = await c.post(f"{web_app.board_path('group-1')}/vote/{mid}", headers={"Accept": "application/json"})
    assert vote.status == 404


async def test_board_json_posts_that_nest_deeply_are_400(web_app: Web) -> None:
    resp = await web_app.client.post(
        web_app.board_path("group-1"),
        data=b'{"body": ' + b"[" * 5000 + b"]" * 5000 + b"}",
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    assert resp.status == 400


async def test_seeded_fuzz_of_signed_webhook_bodies_never_500(web_app: Web) -> None:
    """Mutated signed deliveries (bytes flipped, cut, repeated, values swapped) answer 2xx or 4xx."""
    import random

    rng = random.Random(11)
    good = _event(str(int(web_app.clock.now().timestamp() * 1000)))
    swaps = [b"1e308", b"-1", b"NaN", b"[]", b"{}", b"null", b"true", b'"x"', b"9" * 40, b"[" * 40]
    values = [
        b"1e20",
        b"1e999",
        b"-Infinity",
        b"NaN",
        b"9" * 5000,
        b"18446744073709551616",
        b"-0.0",
        b"[" * 3000 + b"]" * 3000,
        b'{"a":' * 3000 + b"1" + b"}" * 3000,
        b"[]",
        b"{}",
        b'"\\ud800"',
    ]
    starts = [m.end() for m in re.finditer(rb'": ', good)]
    for _ in range(200):
        body = bytearray(good)
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(len(body))
            choice = rng.randrange(5)
            if choice == 4 and len(body) == len(good):  # a whole value replaced by a hostile one
                at = rng.choice(starts)
                end = min(j for j in (good.find(b",", at), good.find(b"}", at)) if j > 0)
                body[at:end] = rng.choice(values)
            elif choice == 0:
                body[i] = rng.randrange(256)
            elif choice == 1:
                del body[i:]
            elif choice == 2:
                body[i:i] = body[i : i + rng.randint(1, 30)]
            else:
                body[i : i + rng.randint(1, 8)] = rng.choice(swaps)
        status, text = await _signed(web_app, bytes(body))
        assert status < 500, (bytes(body)[:300], text[:300])


async def test_webhook_replay_is_refused_after_a_restart(make_web: Any) -> None:
    first = await make_web()
    body = _event(str(int(first.clock.now().timestamp() * 1000)))
    from facilitator.zoom.webhooks import sign
    from tests.web.conftest import ZOOM_SECRET

    ts = str(int(first.clock.now().timestamp()))
    headers = {
        "Content-Type": "application/json",
        "x-zm-request-timestamp": ts,
        "x-zm-signature": sign(ZOOM_SECRET, ts, body),
    }
    assert (await first.client.post("/zoom/webhook", data=body, headers=headers)).status == 200
    restarted = await make_web()  # a new process on the same database: in-memory state is gone
    replay = await restarted.client.post("/zoom/webhook", data=body, headers=headers)
    assert replay.status == 401 and "replay" in await replay.text()
    # the memory is bounded by its window: rows older than the skew window are dropped
    restarted.clock.advance(timedelta(hours=1))
    fresh_ts = str(int(restarted.clock.now().timestamp()))
    other = _event(str(int(restarted.clock.now().timestamp() * 1000)))
    headers = {
        **headers,
        "x-zm-request-timestamp": fresh_ts,
        "x-zm-signature": sign(ZOOM_SECRET, fresh_ts, other),
    }
    assert (await restarted.client.post("/zoom/webhook", data=other, headers=headers)).status == 200
    rows = restarted.store._conn.execute("SELECT count(*) FROM zoom_webhook_seen").fetchone()[0]
    assert rows == 1


async def test_logout_revokes_the_session_cookie_everywhere_and_after_restart(make_web: Any) -> None:
    w = await make_web()
    await w.login()
    cookie = w.client.session.cookie_jar.filter_cookies(w.client.make_url("/"))["facilitator_director"].value
    csrf = await w.csrf("/sessions")
    out = await w.client.post("/logout", data={"csrf": csrf}, allow_redirects=False)
    assert out.status == 303
    stolen = {"Cookie": f"facilitator_director={cookie}"}
    again = await w.client.get("/sessions", headers=stolen, allow_redirects=False)
    assert again.status == 303 and again.headers["Location"].startswith("/login")
    api = await w.client.get("/api/sessions", headers=stolen)
    assert api.status == 401
    restarted = await make_web()
    after = await restarted.client.get("/api/sessions", headers=stolen)
    assert after.status == 401


def test_director_link_command_prints_a_link_that_works_once(tmp_path: Any) -> None:
    import asyncio
    import os
    import subprocess
    import sys

    from tests.web.conftest import SECRET

    db = tmp_path / "facilitator.db"
    env = {
        **os.environ,
        "FACILITATOR_DB_PATH": str(db),
        "FACILITATOR_SECRET_KEY": SECRET,
        "FACILITATOR_SURVEY_SECRET": "s" * 40,
        "FACILITATOR_PUBLIC_URL": "http://127.0.0.1:8080",
    }
    missing = subprocess.run(
        [sys.executable, "-m", "facilitator", "director-link"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.returncode == 2 and "no database" in missing.stderr and "Traceback" not in missing.stderr
    from facilitator.store.sqlite_base import connect

    connect(db).close()
    made = subprocess.run(
        [sys.executable, "-m", "facilitator", "director-link"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert made.returncode == 0, made.stderr
    link = made.stdout.strip()
    assert link.startswith("http://127.0.0.1:8080/login/")
    nonce_rows = connect(db).execute("SELECT nonce_hash FROM director_login_links").fetchall()
    assert len(nonce_rows) == 1 and nonce_rows[0][0] not in link  # only a hash is stored
    asyncio.run(_use_link_twice(tmp_path, link.removeprefix("http://127.0.0.1:8080")))


async def _use_link_twice(tmp_path: Any, path: str) -> None:
    from aiohttp.test_utils import TestClient, TestServer

    from facilitator.clock import SystemClock
    from facilitator.links import LinkSigner
    from facilitator.store.sqlite import SqliteStore
    from facilitator.web.app import create_app
    from facilitator.web.context import WebContext
    from tests.web.conftest import SECRET, make_settings

    settings = make_settings(tmp_path)
    store = await SqliteStore.open(settings.db_path)
    ctx = WebContext(
        settings=settings, store=store, clock=SystemClock(), signer=LinkSigner(SECRET, "http://x")
    )
    client = TestClient(TestServer(create_app(ctx)))
    await client.start_server()
    try:
        first = await client.get(path, allow_redirects=False)
        assert first.status == 303 and "facilitator_director" in first.cookies
        second = await client.get(path, allow_redirects=False)
        assert second.status == 403
    finally:
        await client.close()
        await store.close()


async def test_votes_need_the_board_cookie_and_are_limited_per_link(web_app: Web) -> None:
    c = web_app.client
    board = web_app.board_path("group-1")
    json_headers = {"Accept": "application/json"}
    cid = (await (await c.post(board, json={"body": "vote me"}, headers=json_headers)).json())[
        "contribution"
    ]["id"]
    for _ in range(3):  # a client that never keeps the cookie: refused, nothing counted
        refused = await c.post(f"{board}/vote/{cid}", headers={**json_headers, "Cookie": ""})
        assert refused.status == 403 and "cookie" in (await refused.json())["error"]
        c.session.cookie_jar.clear()
    listed = await (await c.get(f"{board}/contributions")).json()
    assert listed["items"][0]["votes"] == 0
    # many browsers (cookies) on one link: at most 10 x posts_per_minute votes a minute
    limit = 10 * web_app.schedule.session.board_posts_per_minute
    statuses = []
    for i in range(limit + 5):
        c.session.cookie_jar.clear()
        cookie = {"Cookie": f"board_voter=voter-{i:04d}-abcdefghijklmnopqrstu"}
        statuses.append((await c.post(f"{board}/vote/{cid}", headers={**json_headers, **cookie})).status)
    assert statuses[:limit] == [200] * limit and statuses[limit:] == [429] * 5
    assert (await (await c.get(f"{board}/contributions")).json())["items"][0]["votes"] == limit


async def test_post_times_are_stored_and_exported_to_the_minute(web_app: Web) -> None:
    web_app.clock.advance(timedelta(seconds=37, microseconds=123456))
    c = web_app.client
    board = web_app.board_path("group-1")
    await c.post(board, json={"body": "when?"}, headers={"Accept": "application/json"})
    [stored] = await web_app.store.list_contributions(web_app.schedule.session.id)
    assert stored.created_at.second == 0 and stored.created_at.microsecond == 0
    raw = web_app.store._conn.execute("SELECT created_at FROM contributions").fetchone()[0]
    assert raw.endswith(":00.000000+00:00"), raw
    await web_app.login()
    csv_text = await (await c.get(f"/sessions/{web_app.schedule.session.id}/export/contributions.csv")).text()
    assert re.search(r"T\d\d:\d\d:00Z", csv_text) and ".123456" not in csv_text


async def test_chat_to_board_shares_the_boards_limits_per_sender(make_web: Any) -> None:
    import dataclasses

    from tests.web.conftest import seed_schedule
    from tests.web.zoomhook import deliver

    base = seed_schedule()
    w = await make_web(
        dataclasses.replace(base, session=dataclasses.replace(base.session, board_chat_prefix="!b"))
    )
    limit = w.schedule.session.board_posts_per_minute
    sid = w.schedule.session.id

    def chat(student: str, n: int) -> dict[str, Any]:
        return {
            "chat_message": {
                "message_id": f"m-{student}-{n}",
                "message_content": f"!b post {n}",
                "sender_name": "Student Name",
                "sender_email": student,
                "sender_type": "guest",
                "recipient_type": "host",
                "date_time": "2027-01-14T19:05:00Z",
            }
        }

    flooder = w.schedule.group("group-4").students[0]
    now = w.clock.now().timestamp()
    for n in range(20):  # twenty posts within seconds from one sender
        assert await deliver(w.client, now + n * 0.1, "meeting.chat_message_sent", chat(flooder, n)) == 200
    assert len(await w.store.list_contributions(sid, "group-4", include_hidden=True)) == limit
    # a different sender in another room is not held back by the flooder
    other = w.schedule.group("group-5").students[0]
    assert await deliver(w.client, now + 3, "meeting.chat_message_sent", chat(other, 0)) == 200
    assert len(await w.store.list_contributions(sid, "group-5", include_hidden=True)) == 1
    raw = b"".join(p.read_bytes() for p in w.ctx.settings.db_path.parent.glob("facilitator.db*"))
    assert flooder.encode() not in raw  # the per-sender key lives in memory only


async def test_one_client_cannot_hold_unlimited_event_streams(
    web_app: Web, stranger: aiohttp.ClientSession
) -> None:
    web_app.ctx.max_streams_per_client = 3
    events = f"{web_app.board_path('group-1')}/events"
    c = web_app.client
    held = [await c.get(events) for _ in range(3)]
    assert [r.status for r in held] == [200, 200, 200]
    refused = await c.get(events)
    assert refused.status == 429 and "Retry-After" in refused.headers
    other = await stranger.get(str(c.make_url(events)))  # another client is not affected
    assert other.status == 200
    other.close()
    held[0].close()
    for _ in range(50):  # the server notices the closed stream at its next write or keepalive
        await asyncio.sleep(0.02)
        web_app.ctx.hub.ping()
        again = await c.get(events)
        if again.status == 200:
            break
        again.release()
    assert again.status == 200
    for r in [*held[1:], again]:
        r.close()


@pytest.mark.parametrize("roster", ["/etc/passwd", "../../../../etc/passwd", "/proc/self/environ"])
async def test_a_pasted_plan_cannot_make_the_server_open_a_path(web_app: Web, roster: str) -> None:
    from tests.web.conftest import PLAN

    await web_app.login()
    csrf = await web_app.csrf("/sessions")
    text = PLAN.read_text().replace("title: Shared Living Experiences", "title: Other Cohort")
    text = text.replace("roster: shared-living-experiences-roster.csv", f"roster: {roster}")
    resp = await web_app.client.post("/sessions", data={"csrf": csrf, "plan_text": text})
    page = await resp.text()
    assert resp.status == 400 and "was not uploaded with the plan" in page
    assert "root:x" not in page and "SECRET" not in page


def test_seeded_fuzz_of_next_targets_only_ever_gives_same_site_paths() -> None:
    import random

    from facilitator.web.auth import safe_next

    rng = random.Random(1111)
    alphabet = [
        "/",
        "\\",
        "\t",
        "\n",
        "\r",
        " ",
        "\x00",
        "\x7f",
        "\x85",
        ":",
        ".",
        "@",
        "%",
        "?",
        "#",
        "a",
        "é",
    ]
    for _ in range(5000):
        target = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        got = safe_next(target)
        assert got == "/" or (got == target and got.startswith("/") and got[1:2] not in ("/", "\\"))
        assert not any(ord(c) < 0x21 or 0x7F <= ord(c) <= 0x9F for c in got) and "\\" not in got
