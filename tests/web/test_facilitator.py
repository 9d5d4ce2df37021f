"""The facilitator page: now/next in their own zone, the clock over SSE, live posts, calendar."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from markupsafe import escape

from facilitator.web.itinerary import current_and_next, itinerary
from tests.web.conftest import Web, WebFactory, gname, room, seed_schedule
from tests.web.sse import next_event

S = seed_schedule()
SLOT1, SLOT2 = S.rotation.slots
OK1, OK2 = gname(room("dr-okafor", 0)), gname(room("dr-okafor", 1))
LQ1, LQ2 = gname(room("dr-lindqvist", 0)), gname(room("dr-lindqvist", 1))


@pytest.mark.parametrize(
    ("fid", "at", "expected"),
    [
        ("dr-okafor", SLOT1.start + timedelta(minutes=1), f"Now: {OK1} until 14:25, next: {OK2} at 14:30"),
        ("dr-lindqvist", SLOT1.start + timedelta(minutes=1), f"Now: {LQ1} until 13:25, next: {LQ2} at 13:30"),
        ("dr-okafor", SLOT1.end + timedelta(minutes=1), f"Now: moving, next: {OK2} at 14:30"),
        ("dr-okafor", S.session.start - timedelta(hours=1), "Next: Sharing plenary (main room) at 13:00"),
        ("dr-okafor", S.session.end + timedelta(minutes=1), "The session is over. Thank you!"),
    ],
)
async def test_now_text(make_web: WebFactory, fid: str, at: datetime, expected: str) -> None:
    w = await make_web(at=at - S.session.start)
    html = await (await w.client.get(w.facilitator_path(fid))).text()
    assert f'<h1 id="now-text">{expected}</h1>' in html


def test_itinerary_is_complete_and_ordered() -> None:
    stops = itinerary(S, "dr-okafor")
    talk = "Your talk: Failing my boards, and what came after (main room)"
    assert [s.label for s in stops] == ["Sharing plenary (main room)", talk, OK1, OK2, "Wrap-up (main room)"]
    current, upcoming = current_and_next(stops, SLOT2.start)
    assert current is not None and current.group_id == room("dr-okafor", 1) and upcoming is not None
    assert upcoming.kind == "plenary"


async def test_page_shows_prompt_itinerary_and_data_for_the_countdown(web_app: Web) -> None:
    web_app.clock.set(SLOT1.start)
    html = await (await web_app.client.get(web_app.facilitator_path("dr-lindqvist"))).text()
    assert "America/Chicago" in html and "12:00–13:00" in html  # plenary in Chicago time
    first, second = room("dr-lindqvist", 0), room("dr-lindqvist", 1)
    assert str(escape(S.group(first).prompt)) in html
    assert f'data-now="{SLOT1.start.timestamp()}"' in html and 'data-rate="0.0"' in html
    assert html.count('class="card room"') == 2
    assert re.search(rf'<section class="card room" data-group="{first}"\s*>', html)  # the current room shows
    assert re.search(
        rf'<section class="card room" data-group="{second}"\s*hidden>', html
    )  # the next one waits


async def test_clock_jumps_and_posts_arrive_on_the_event_stream(web_app: Web) -> None:
    stream = await web_app.client.get(web_app.facilitator_path("dr-okafor") + "/events")
    first = await next_event(stream, "clock")
    assert first["now"] == web_app.clock.now().timestamp() and first["rate"] == 0.0
    web_app.clock.advance(timedelta(minutes=70))
    assert (await next_event(stream, "clock"))["now"] == first["now"] + 4200
    await web_app.client.post(
        web_app.board_path(room("dr-okafor", 1)),
        json={"body": "for okafor"},
        headers={"Accept": "application/json"},
    )
    assert (await next_event(stream, "contribution"))["body"] == "for okafor"
    stream.close()


async def test_calendar_download(web_app: Web) -> None:
    resp = await web_app.client.get(web_app.facilitator_path("dr-marchetti") + "/calendar.ics")
    assert resp.status == 200 and resp.content_type == "text/calendar"
    body = await resp.text()
    from icalendar import Calendar

    events = Calendar.from_ical(body).walk("VEVENT")
    summaries = [str(e["summary"]) for e in events]
    # two plenaries, her talk, her two visits (each with an alarm at the cue lead)
    assert len(events) == 5 and sum(s.startswith("Visit ") for s in summaries) == 2
    assert any(s.startswith("Your talk: ") for s in summaries)
    assert gname(room("dr-marchetti", 0)) in body
    assert len(Calendar.from_ical(body).walk("VALARM")) == 2


async def test_the_page_says_where_zoom_sees_the_facilitator_live(web_app: Web) -> None:
    from tests.web.zoomhook import deliver, participant

    w = web_app
    w.clock.set(SLOT1.start + timedelta(minutes=1))
    due, wrong = room("dr-okafor", 0), room("dr-lindqvist", 0)
    stream = await w.client.get(w.facilitator_path("dr-okafor") + "/events")
    now = w.clock.now().timestamp()
    for n, gid in enumerate((due, wrong)):
        for i, email in enumerate(S.group(gid).students[:2]):
            event = "meeting.participant_joined_breakout_room"
            body = {"breakout_room_uuid": f"uuid-{gid}", **participant(email, f"S{n}{i}", f"u{n}{i}")}
            assert await deliver(w.client, now + 10 * n + i, event, body) == 200
    okafor = S.facilitator("dr-okafor")
    join = {"breakout_room_uuid": f"uuid-{wrong}", **participant(okafor.email, okafor.name, "fac1")}
    assert await deliver(w.client, now + 30, "meeting.participant_joined_breakout_room", join) == 200
    expected = f"Zoom shows you in {gname(wrong)}; you are due in {gname(due)} since 14:00."
    pushed = await next_event(stream, "position")
    while pushed["text"] != expected:  # earlier pushes described the students arriving
        pushed = await next_event(stream, "position")
    assert pushed["wrong"] is True
    html = await (await w.client.get(w.facilitator_path("dr-okafor"))).text()
    assert 'class="position wrong"' in html and str(escape(expected)) in html
    # she moves to the right room: the next push says so, without a warning
    moved = {"breakout_room_uuid": f"uuid-{due}", **participant(okafor.email, okafor.name, "fac1")}
    assert await deliver(w.client, now + 40, "meeting.participant_joined_breakout_room", moved) == 200
    pushed = await next_event(stream, "position")
    assert pushed["text"] == f"Zoom shows you in {gname(due)}." and pushed["wrong"] is False
    assert pushed["state"] == "ok"
    stream.close()


async def _place(w: Web, fid: str, gid: str, at: float) -> None:
    """Two pre-assigned students land in `gid` (so Zoom's room is known), then the facilitator."""
    from tests.web.zoomhook import deliver, participant

    event = "meeting.participant_joined_breakout_room"
    for i, email in enumerate(S.group(gid).students[:2]):
        body = {"breakout_room_uuid": f"uuid-{gid}", **participant(email, f"S{gid}{i}", f"u-{gid}-{i}")}
        assert await deliver(w.client, at + i, event, body) == 200
    fac = S.facilitator(fid)
    body = {"breakout_room_uuid": f"uuid-{gid}", **participant(fac.email, fac.name, f"f-{fid}")}
    assert await deliver(w.client, at + 5, event, body) == 200


async def test_position_follows_the_clock_across_a_slot_change_with_no_webhook(web_app: Web) -> None:
    """The slot changes; no webhook arrives. The position answer moves from "ok" to "moving"
    (between slots and for a minute into the new one) to the warning, and names when to ask again."""
    w = web_app
    w.clock.set(SLOT1.start + timedelta(minutes=3))
    first, second = room("dr-okafor", 0), room("dr-okafor", 1)
    await _place(w, "dr-okafor", first, w.clock.now().timestamp())
    path = w.facilitator_path("dr-okafor") + "/position"

    async def ask() -> dict[str, object]:
        resp = await w.client.get(path)
        assert resp.status == 200 and resp.headers["Cache-Control"] == "no-store"
        body = await resp.json()
        assert body["now"] == w.clock.now().timestamp()
        return dict(body["position"])

    ok = await ask()
    assert ok["state"] == "ok" and ok["text"] == f"Zoom shows you in {gname(first)}."
    assert ok["recheck"] == SLOT1.end.timestamp()
    w.clock.set(SLOT1.end + timedelta(seconds=1))
    between = await ask()
    assert between["state"] == "moving" and between["wrong"] is False
    assert between["text"] == f"Next: {gname(second)} at 14:30: Zoom still shows you in {gname(first)}."
    assert between["recheck"] == SLOT2.start.timestamp()
    w.clock.set(SLOT2.start + timedelta(seconds=10))
    moving = await ask()
    assert moving["text"] == f"Moving to {gname(second)}: Zoom still shows you in {gname(first)}."
    assert moving["recheck"] == (SLOT2.start + timedelta(minutes=1)).timestamp()
    w.clock.set(SLOT2.start + timedelta(minutes=1))
    wrong = await ask()
    assert wrong["state"] == "wrong" and wrong["wrong"] is True
    assert wrong["text"] == f"Zoom shows you in {gname(first)}; you are due in {gname(second)} since 14:30."
    assert wrong["recheck"] == SLOT2.end.timestamp()
    w.clock.set(S.session.end + timedelta(minutes=1))
    assert (await ask())["recheck"] is None


async def test_position_of_a_facilitator_not_in_the_meeting_at_a_slot_start(web_app: Web) -> None:
    w = web_app
    w.clock.set(SLOT1.start + timedelta(seconds=5))
    body = await (await w.client.get(w.facilitator_path("dr-okafor") + "/position")).json()
    due = gname(room("dr-okafor", 0))
    assert body["position"]["text"] == f"Moving to {due}: Zoom does not show you in the meeting yet."
    w.clock.set(SLOT1.start + timedelta(minutes=2))
    body = await (await w.client.get(w.facilitator_path("dr-okafor") + "/position")).json()
    assert (
        body["position"]["text"]
        == f"Zoom does not show you in the meeting; you are due in {due} since 14:00."
    )


async def test_page_is_the_whole_briefing(web_app: Web) -> None:
    """Join link, how to move, their own talk in the itinerary, no live region on the countdown."""
    from facilitator.store.base import RegistrantRecord

    w = web_app
    fac = S.facilitator("dr-okafor")
    join = "https://zoom.example.edu/w/85012345678?tk=okafor-personal"
    await w.ctx.store.save_registrants([RegistrantRecord(S.session.id, fac.email, "reg-okafor", join)])
    html = await (await w.client.get(w.facilitator_path("dr-okafor"))).text()
    assert f'id="join-zoom" href="{escape(join)}"' in html
    assert "How to move:" in html and "Breakout Rooms" in html
    assert "Your talk: Failing my boards, and what came after (main room)" in html
    assert re.search(r'<p class="countdown" id="countdown">', html)
    assert 'id="announce" class="sr-only" role="status" aria-live="polite"' in html
    other = await (await w.client.get(w.facilitator_path("dr-marchetti"))).text()
    assert "join-zoom-missing" in other  # no registration yet: says where the link is


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (
            S.session.start + timedelta(minutes=5),
            "Now: Your talk: Failing my boards, and what came after (main room)",
        ),
        (
            S.session.start + timedelta(minutes=25),
            f"Now: Sharing plenary (main room) until 14:00, next: {OK1} at 14:00",
        ),
    ],
)
async def test_now_text_during_the_own_talk(make_web: WebFactory, at: datetime, expected: str) -> None:
    w = await make_web(at=at - S.session.start)
    html = await (await w.client.get(w.facilitator_path("dr-okafor"))).text()
    assert expected in html


async def test_after_the_session_every_visited_room_stays_readable(web_app: Web) -> None:
    w = web_app
    first, second = room("dr-okafor", 0), room("dr-okafor", 1)
    await w.client.post(
        w.board_path(first), json={"body": "kept after"}, headers={"Accept": "application/json"}
    )
    w.clock.set(S.session.end + timedelta(hours=2))
    html = await (await w.client.get(w.facilitator_path("dr-okafor"))).text()
    for gid in (first, second):
        assert re.search(rf'<section class="card room" data-group="{gid}"\s*>', html)
    assert "kept after" in html


async def test_facilitator_marks_a_post_answered_and_the_board_sees_it(web_app: Web) -> None:
    w = web_app
    mine = room("dr-okafor", 0)
    resp = await w.client.post(
        w.board_path(mine), json={"body": "q?"}, headers={"Accept": "application/json"}
    )
    cid = (await resp.json())["contribution"]["id"]
    board_stream = await w.client.get(w.board_path(mine) + "/events")
    path = w.facilitator_path("dr-okafor") + f"/answered/{cid}"
    resp = await w.client.post(path, json={"answered": True})
    assert resp.status == 200 and (await resp.json()) == {"id": cid, "answered": True}
    assert (await next_event(board_stream, "answered")) == {"id": cid, "group": mine, "answered": True}
    board_stream.close()
    items = (await (await w.client.get(w.board_path(mine) + "/contributions")).json())["items"]
    assert items[0]["answered"] is True
    assert "Answered" in await (await w.client.get(w.board_path(mine))).text()
    # a room she never visits, a bad body, an unknown post: clear 4xx, nothing changes
    other = next(g.id for g in S.groups if g.id not in (room("dr-okafor", 0), room("dr-okafor", 1)))
    resp = await w.client.post(
        w.board_path(other), json={"body": "x"}, headers={"Accept": "application/json"}
    )
    foreign = (await resp.json())["contribution"]["id"]
    assert (await w.client.post(w.facilitator_path("dr-okafor") + f"/answered/{foreign}")).status == 404
    assert (await w.client.post(path, json={"answered": "yes"})).status == 400
    assert (await w.client.post(path, data=b"{", headers={"Content-Type": "application/json"})).status == 400
    assert (await w.client.post(w.facilitator_path("dr-okafor") + "/answered/999999")).status == 404
    assert (await w.client.post(w.facilitator_path("dr-okafor") + "/answered/abc")).status == 404


async def test_how_to_move_says_the_console_moves_them_while_it_runs(web_app: Web) -> None:
    """With the host console running the rotation, the physician is told they will be moved and
    should accept Zoom's prompt; when it stops (or was never there), the clicks to make."""
    w = web_app
    entry = w.ctx.sessions.get(S.session.id)
    assert entry is not None
    running = {"now": True}
    entry.console_acting = lambda: running["now"]
    html = await (await w.client.get(w.facilitator_path("dr-okafor"))).text()
    assert "the host console moves you into each room" in html
    running["now"] = False
    html = await (await w.client.get(w.facilitator_path("dr-okafor"))).text()
    assert "the host console moves you" not in html and "then <em>Join</em> next to the room" in html
