"""The Home URL and the console socket, over real HTTP: who gets in, and what a refusal changes (nothing)."""

from __future__ import annotations

import json
import random
import re

import aiohttp
import jwt

from facilitator.zoomapp.service import CONSOLE_AUDIENCE
from facilitator.zoomsim.host_client import SimulatedHostClient
from tests.web.conftest import SECRET
from tests.zoomapp.conftest import CLIENT_SECRET, RigFactory, header

ZOOM_HEADERS = (
    "Strict-Transport-Security",
    "X-Content-Type-Options",
    "Content-Security-Policy",
    "Referrer-Policy",
)


async def test_home_serves_the_console_with_zooms_four_headers_and_a_token(make_rig: RigFactory) -> None:
    rig = await make_rig()
    resp = await rig.client.get("/zoomapp/home", headers={"X-Zoom-App-Context": header(rig.clock)})
    page = await resp.text()
    assert resp.status == 200, page
    assert all(resp.headers.get(h) for h in ZOOM_HEADERS)
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    assert "Set-Cookie" not in resp.headers
    assert re.search(r'<meta name="console-token" content="[^"]+"', page)
    assert "<script>" not in page  # no inline script: strict CSP
    assert "sdk.es.js" not in page or "appssdk" in page


async def test_refusals_are_plain_pages_with_reasons(make_rig: RigFactory) -> None:
    rig = await make_rig()
    cases = [
        ({}, 401, "open this page from the Zoom app"),
        ({"X-Zoom-App-Context": "bm90IGEgY29udGV4dA=="}, 401, "could not be verified"),
        ({"X-Zoom-App-Context": header(rig.clock, secret="forged-secret")}, 401, "could not be verified"),
        ({"X-Zoom-App-Context": header(rig.clock, exp=1)}, 401, "expired"),
        ({"X-Zoom-App-Context": header(rig.clock, aud="other-app")}, 401, "another app"),
        ({"X-Zoom-App-Context": header(rig.clock, attendrole="attendee")}, 403, "host and co-hosts"),
        ({"X-Zoom-App-Context": header(rig.clock, mid="another-meeting==")}, 404, "No running session"),
    ]
    for headers, status, words in cases:
        resp = await rig.client.get("/zoomapp/home", headers=headers)
        text = await resp.text()
        assert resp.status == status, (headers, text[:300])
        assert words in text and "Traceback" not in text
        assert all(resp.headers.get(h) for h in ZOOM_HEADERS)
        assert "console-token" not in text


async def test_a_replayed_context_is_refused(make_rig: RigFactory) -> None:
    rig = await make_rig()
    h = header(rig.clock)
    assert (await rig.client.get("/zoomapp/home", headers={"X-Zoom-App-Context": h})).status == 200
    again = await rig.client.get("/zoomapp/home", headers={"X-Zoom-App-Context": h})
    assert again.status == 401 and "already used" in await again.text()


async def _hello(rig_url: str, http: aiohttp.ClientSession, token: str) -> list[dict[str, object]]:
    got: list[dict[str, object]] = []
    async with http.ws_connect(rig_url.replace("http", "ws", 1) + "/zoomapp/ws") as ws:
        await ws.send_str(json.dumps({"type": "hello", "token": token, "sdk": {"clientVersion": "6.5.0"}}))
        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                break
            got.append(json.loads(msg.data))
            if got[-1].get("type") in {"welcome", "error"}:
                break
    return got


async def test_a_token_for_another_meeting_or_forged_is_refused(make_rig: RigFactory) -> None:
    rig = await make_rig()
    exp = int(rig.clock.now().timestamp()) + 600
    other = jwt.encode(
        {"aud": CONSOLE_AUDIENCE, "exp": exp, "mid": "another==", "uid": "u", "role": "host"}, SECRET
    )
    forged = jwt.encode(
        {"aud": CONSOLE_AUDIENCE, "exp": exp, "mid": "x", "uid": "u"},
        "not-our-secret-0123456789abcdef0123456789",
    )
    board = rig.service.signer.board_token(
        rig.schedule.session.id, rig.schedule.groups[0].id, rig.clock.now()
    )
    for token in (other, forged, board, "x" * 50):
        got = await _hello(rig.base_url, rig.http, token)
        assert got and got[-1]["type"] == "error", got
    assert rig.service.hub.links("aDYlohsHRtCd4ii1uC2+hA==") == []


async def test_a_second_console_is_read_only_and_its_controls_change_nothing(make_rig: RigFactory) -> None:
    rig = await make_rig()
    _, first = await rig.connect()
    second_host = SimulatedHostClient(rig.meeting)
    _, second = await rig.connect(second_host)
    assert (first.mode, second.mode) == ("control", "read-only")
    token = await second.open_app(header(rig.clock))
    async with rig.http.ws_connect(rig.base_url.replace("http", "ws", 1) + "/zoomapp/ws") as ws:
        await ws.send_str(json.dumps({"type": "hello", "token": token, "sdk": {"clientVersion": "6.5.0"}}))
        await ws.send_str(json.dumps({"type": "control", "action": "open"}))
        outcome = None
        async for msg in ws:
            data = json.loads(msg.data)
            if data.get("type") == "state":
                assert data["mode"] == "read-only"
            if data.get("type") == "control":
                outcome = data["outcome"]
                break
    assert outcome is not None and "read-only" in outcome
    assert not rig.meeting.rooms_open and second_host.calls == []


async def test_fuzzed_socket_messages_get_reasons_and_nothing_breaks(make_rig: RigFactory) -> None:
    rig = await make_rig()
    host, _ = await rig.connect()
    token = await rig.players[0].open_app(header(rig.clock))
    rng = random.Random(99)
    shapes = [
        lambda: rng.choice(["", "[]", "null", "{", "42", '"x"']),
        lambda: json.dumps({"type": rng.choice(["ack", "control", "event", "hello", "nope", 3])}),
        lambda: json.dumps(
            {"type": "ack", "id": rng.choice([None, 3, "x" * 500]), "ok": rng.choice([1, None, "yes"])}
        ),
        lambda: json.dumps({"type": "control", "action": rng.choice(["explode", "", None]), "args": [1]}),
        lambda: json.dumps({"type": "control", "action": "move", "args": {"facilitator": "dr-nobody"}}),
        lambda: json.dumps({"type": "event", "name": "x", "data": rng.choice([[], "s", 5])}),
        lambda: "".join(chr(rng.randrange(0, 0x3000)) for _ in range(rng.randrange(1, 200))),
    ]
    async with rig.http.ws_connect(rig.base_url.replace("http", "ws", 1) + "/zoomapp/ws") as ws:
        await ws.send_str(json.dumps({"type": "hello", "token": token, "sdk": {}}))
        for _ in range(15):
            await ws.send_str(rng.choice(shapes)())
        await ws.send_str(json.dumps({"type": "control", "action": "pause"}))
        kinds = []
        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                break
            data = json.loads(msg.data)
            kinds.append(data.get("type"))
            if data.get("type") == "control" and data.get("action") == "pause":
                break
    assert "error" in kinds
    assert rig.driver.paused is False  # the fuzzing console is read-only: its pause changed nothing
    assert [api for api, _ in host.calls if api != "getMeetingParticipants"] == []  # only reads
    assert not rig.meeting.rooms_open
    assert CLIENT_SECRET not in json.dumps(rig.service.view("aDYlohsHRtCd4ii1uC2+hA=="))


async def test_a_socket_from_another_site_is_refused(make_rig: RigFactory) -> None:
    rig = await make_rig()
    url = rig.base_url.replace("http", "ws", 1) + "/zoomapp/ws"
    for origin in ("https://evil.example.edu", "null", rig.base_url.replace("127.0.0.1", "localhost")):
        try:
            async with rig.http.ws_connect(url, headers={"Origin": origin}):
                raise AssertionError(f"{origin} got a socket")
        except aiohttp.WSServerHandshakeError as exc:
            assert exc.status == 403
    async with rig.http.ws_connect(url, headers={"Origin": rig.base_url}) as ws:  # the page's own origin
        await ws.send_str(json.dumps({"type": "hello", "token": "x" * 20, "sdk": {}}))
        msg = await ws.receive()
        assert json.loads(msg.data)["type"] == "error"
