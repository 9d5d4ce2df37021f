"""The board as a student uses it: order, vote names, read-only after the breakout, empty state,
support line, honest wording, answered marks; and a seeded fuzz of the new inputs."""

from __future__ import annotations

import random
import re
from datetime import timedelta

from markupsafe import escape

from facilitator.web.board_view import closes_at
from tests.web.conftest import Web, room, seed_schedule

JSON = {"Accept": "application/json"}
S = seed_schedule()
G = room("dr-marchetti", 0)


def _ids(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'<li class="post" data-id="(\d+)"', html)]


async def _post(w: Web, text: str, gid: str = G) -> int:
    resp = await w.client.post(w.board_path(gid), json={"body": text}, headers=JSON)
    assert resp.status == 200, await resp.text()
    return int((await resp.json())["contribution"]["id"])


async def test_newest_first_by_default_and_most_votes_on_request(web_app: Web) -> None:
    w = web_app
    board = w.board_path(G)
    await w.client.get(board)  # voter cookie
    a, b, c = [await _post(w, f"post {n}") for n in range(3)]
    assert (await w.client.post(f"{board}/vote/{a}", headers=JSON)).status == 200
    html = await (await w.client.get(board)).text()
    assert _ids(html) == [c, b, a]
    assert 'data-sort="newest" aria-current="true"' in html
    by_votes = await (await w.client.get(board + "?sort=votes")).text()
    assert _ids(by_votes) == [a, c, b]
    assert 'data-sort="votes" aria-current="true"' in by_votes


async def test_vote_button_has_a_name_that_says_what_it_does(web_app: Web) -> None:
    w = web_app
    board = w.board_path(G)
    await w.client.get(board)
    one = await _post(w, "one vote")
    await _post(w, "no votes")
    await w.client.post(f"{board}/vote/{one}", headers=JSON)
    html = await (await w.client.get(board)).text()
    assert 'aria-label="Upvote: 1 vote"' in html and 'aria-label="Upvote: 0 votes"' in html
    assert '<span aria-hidden="true">▲ </span>' in html


async def test_empty_state_is_visible_until_the_first_post(web_app: Web) -> None:
    w = web_app
    html = await (await w.client.get(w.board_path(G))).text()
    assert re.search(r'<p class="muted empty-note" id="empty-note">No posts yet', html)
    await _post(w, "first")
    html = await (await w.client.get(w.board_path(G))).text()
    assert re.search(r'<p class="muted empty-note" id="empty-note" hidden>', html)


async def test_board_names_everyone_who_sees_posts_and_the_support_contacts(web_app: Web) -> None:
    html = await (await web_app.client.get(web_app.board_path(G))).text()
    for who in ("the physician who facilitates the room", "the course director", "the anonymous export"):
        assert who in html
    assert "Student counselling service" in html and 'href="tel:+15550199"' in html
    assert 'href="https://wellbeing.example.edu/counselling"' in html and "(24/7)" in html


async def test_after_the_breakout_the_board_is_read_only_and_still_readable(web_app: Web) -> None:
    w = web_app
    board = w.board_path(G)
    await w.client.get(board)
    cid = await _post(w, "before the end")
    end = closes_at(S)
    assert end is not None
    w.clock.set(end)
    late = await w.client.post(board, json={"body": "too late"}, headers=JSON)
    assert late.status == 409
    body = await late.json()
    assert body["closed"] is True and "closed at 14:55" in body["error"]
    form = await w.client.post(board, data={"body": "too late"})
    assert form.status == 409 and "You can still read every post." in await form.text()
    vote = await w.client.post(f"{board}/vote/{cid}", headers=JSON)
    assert vote.status == 409
    html = await (await w.client.get(board)).text()
    assert 'id="post-form"' not in html and "vote-form" not in html
    assert "before the end" in html and "too late" not in html
    assert str(escape("This board closed at 14:55")) in html
    items = await w.store.list_contributions(S.session.id, G)
    assert [c.body for c in items] == ["before the end"] and items[0].votes == 0


async def test_fuzzed_sort_and_answered_inputs_never_fail_the_server(web_app: Web) -> None:
    """Seeded: random query strings on the board and random bodies to the answered route get a
    page or a clear 4xx, never a 500, and never change a post they should not."""
    w = web_app
    rng = random.Random(1313)
    board = w.board_path(G)
    cid = await _post(w, "fuzz target")
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789%&=?<>\"'{}[]:,- \u00e9\u2603"
    answered_path = w.facilitator_path("dr-marchetti") + f"/answered/{cid}"
    for _ in range(60):
        junk = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 20)))
        resp = await w.client.get(board, params={"sort": junk})
        assert resp.status == 200
        bodies = [junk, '{"answered": ' + junk + "}", "[1, 2]", "null", '{"answered": 1}']
        raw = rng.choice(bodies)
        resp = await w.client.post(
            answered_path, data=raw.encode(), headers={"Content-Type": "application/json"}
        )
        assert resp.status in (200, 400), (raw, resp.status)
        path_junk = "".join(rng.choice("0123456789abc-") for _ in range(rng.randint(1, 8)))
        resp = await w.client.post(w.facilitator_path("dr-marchetti") + f"/answered/{path_junk}")
        assert resp.status in (200, 404), (path_junk, resp.status)
    items = await w.store.list_contributions(S.session.id, G)
    assert [c.body for c in items] == ["fuzz target"]


def test_closing_time_is_the_end_of_the_breakout() -> None:
    end = closes_at(S)
    breakout = next(p for p in S.phases if p.kind == "breakout")
    assert end == breakout.end and end - breakout.start == timedelta(minutes=55)
