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
    assert [s.label for s in stops] == ["Sharing plenary (main room)", OK1, OK2, "Wrap-up (main room)"]
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
    assert body.count("BEGIN:VEVENT") == 2 and gname(room("dr-marchetti", 0)) in body


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
    assert pushed == {"text": f"Zoom shows you in {gname(due)}.", "wrong": False}
    stream.close()
