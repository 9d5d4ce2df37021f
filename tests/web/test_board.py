"""The anonymous board: posting, limits, votes, moderation and live delivery."""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta

import pytest
from aiohttp import CookieJar
from aiohttp.test_utils import TestClient

from tests.web.conftest import Web, WebFactory, room, seed_schedule
from tests.web.sse import next_event

JSON = {"Accept": "application/json"}
MARCHETTI_FIRST = room("dr-marchetti", 0)


async def test_form_post_appears_on_board_and_facilitator_page(web_app: Web) -> None:
    c = web_app.client
    board = web_app.board_path(MARCHETTI_FIRST)
    resp = await c.post(board, data={"body": "How did you keep going after failing?"}, allow_redirects=False)
    assert resp.status == 303
    assert "How did you keep going after failing?" in await (await c.get(board)).text()
    # before the breakout, dr-marchetti's first room is her next one; dr-okafor never visits it
    page = await (await c.get(web_app.facilitator_path("dr-marchetti"))).text()
    assert "How did you keep going after failing?" in page
    other = await (await c.get(web_app.facilitator_path("dr-okafor"))).text()
    assert "How did you keep going after failing?" not in other


async def test_json_post_reaches_room_and_facilitator_streams_live(web_app: Web) -> None:
    c = web_app.client
    board_events = await c.get(web_app.board_path(MARCHETTI_FIRST) + "/events")
    fac_events = await c.get(web_app.facilitator_path("dr-marchetti") + "/events")
    assert board_events.headers["Content-Type"].startswith("text/event-stream")
    resp = await c.post(web_app.board_path(MARCHETTI_FIRST), json={"body": "live one"}, headers=JSON)
    assert resp.status == 200
    posted = (await resp.json())["contribution"]
    seen_board = await next_event(board_events, "contribution")
    seen_fac = await next_event(fac_events, "contribution")
    assert seen_board["body"] == seen_fac["body"] == "live one"
    assert seen_board["id"] == posted["id"] and seen_fac["group"] == MARCHETTI_FIRST
    board_events.close()
    fac_events.close()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "Write something before posting."),
        ("   \n\t ", "Write something before posting."),
        ("x" * 1001, "at most 1000 characters"),
    ],
)
async def test_empty_or_oversized_post_is_a_form_error(web_app: Web, body: str, message: str) -> None:
    c = web_app.client
    board = web_app.board_path("group-2")
    resp = await c.post(board, data={"body": body})
    assert resp.status == 400
    html = await resp.text()
    assert message in html and 'id="post-form"' in html  # the form comes back with the error
    as_json = await c.post(board, json={"body": body}, headers=JSON)
    assert as_json.status == 400 and message in (await as_json.json())["error"]
    assert await web_app.store.list_contributions(web_app.schedule.session.id, include_hidden=True) == []


async def test_exactly_1000_characters_is_accepted(web_app: Web) -> None:
    resp = await web_app.client.post(web_app.board_path("group-2"), json={"body": "y" * 1000}, headers=JSON)
    assert resp.status == 200


async def test_rate_limit_per_link_is_429_with_a_friendly_page(web_app: Web) -> None:
    c = web_app.client
    board = web_app.board_path("group-3")
    limit = web_app.schedule.session.board_posts_per_minute
    for i in range(limit):
        assert (await c.post(board, json={"body": f"post {i}"}, headers=JSON)).status == 200
    blocked = await c.post(board, data={"body": "one too many"})
    assert blocked.status == 429
    html = await blocked.text()
    assert "please wait" in html and "<title>Slow down" in html and "Traceback" not in html
    assert int(blocked.headers["Retry-After"]) >= 1
    blocked_json = await c.post(board, json={"body": "again"}, headers=JSON)
    assert blocked_json.status == 429 and "please wait" in (await blocked_json.json())["error"]
    # another room's link has its own budget
    assert (await c.post(web_app.board_path("group-4"), json={"body": "fine"}, headers=JSON)).status == 200
    web_app.clock.advance(timedelta(seconds=61))
    assert (await c.post(board, json={"body": "after a minute"}, headers=JSON)).status == 200


async def _second_browser(web_app: Web) -> TestClient:  # type: ignore[type-arg]
    other = TestClient(web_app.client.server, cookie_jar=CookieJar(unsafe=True))
    await other.start_server()
    return other


async def test_vote_once_per_browser_and_never_store_the_token(web_app: Web) -> None:
    c = web_app.client
    board = web_app.board_path("group-1")
    await c.get(board)  # the page hands out the random voter token
    cid = (await (await c.post(board, json={"body": "vote me"}, headers=JSON)).json())["contribution"]["id"]
    first = await (await c.post(f"{board}/vote/{cid}", headers=JSON)).json()
    again = await (await c.post(f"{board}/vote/{cid}", headers=JSON)).json()
    assert first["votes"] == 1 and again["votes"] == 1
    other = await _second_browser(web_app)
    try:
        await other.get(board)
        assert (await (await other.post(f"{board}/vote/{cid}", headers=JSON)).json())["votes"] == 2
    finally:
        await other.close()
    voter = next(m.value for m in c.session.cookie_jar if m.key == "board_voter")
    raw = b"".join(p.read_bytes() for p in web_app.ctx.settings.db_path.parent.glob("facilitator.db*"))
    assert voter.encode() not in raw


async def test_vote_on_another_rooms_post_is_404(web_app: Web) -> None:
    c = web_app.client
    cid = (await (await c.post(web_app.board_path("group-1"), json={"body": "mine"}, headers=JSON)).json())[
        "contribution"
    ]["id"]
    await c.get(web_app.board_path("group-2"))  # a browser on room 2's board, with its cookie
    resp = await c.post(f"{web_app.board_path('group-2')}/vote/{cid}", headers=JSON)
    assert resp.status == 404


async def test_moderated_posts_wait_for_approval(make_web: WebFactory) -> None:
    base = seed_schedule()
    moderated = dataclasses.replace(base, session=dataclasses.replace(base.session, board_moderation=True))
    w = await make_web(moderated)
    board = w.board_path("group-5")
    resp = await w.client.post(board, data={"body": "held back"}, allow_redirects=True)
    assert "once the course director has approved it" in await resp.text()
    assert "held back" not in re.sub(
        r"<textarea.*?</textarea>", "", await (await w.client.get(board)).text(), flags=re.S
    )
    await w.login()
    session_page = await (await w.client.get(f"/sessions/{w.schedule.session.id}")).text()
    assert "held back" in session_page and "Approve / show" in session_page
    [c] = await w.store.list_contributions(w.schedule.session.id, include_hidden=True)
    csrf = await w.csrf()
    events = await w.client.get(board + "/events")
    ok = await w.client.post(
        f"/sessions/{w.schedule.session.id}/contributions/{c.id}/show",
        data={"csrf": csrf},
        allow_redirects=False,
    )
    assert ok.status == 303
    assert (await next_event(events, "contribution"))["body"] == "held back"
    assert "held back" in await (await w.client.get(board)).text()
    events.close()
