"""The director's live dashboard: a neutral grace state, then the alarm in the escalation's words with
names and when the escalation went out; students missing per room; the meeting's links; a message
log that filters and pages; human dates in the director's zone."""

from __future__ import annotations

import random
import re
from datetime import timedelta

from facilitator.app.escalation import escalation_message
from facilitator.store.base import MeetingRecord
from facilitator.zoom.live import Misplacement
from tests.web.conftest import Web, gname, room
from tests.web.zoomhook import deliver, participant


async def _okafor_in_the_wrong_room(w: Web, at: timedelta) -> tuple[str, str]:
    """Two students of each of two rooms land (so Zoom learns the rooms); Dr. Okafor goes to the wrong one."""
    slot = w.schedule.rotation.slots[0]
    w.clock.set(slot.start + at)
    now = w.clock.now().timestamp()
    due, wrong = room("dr-okafor", 0), room("dr-lindqvist", 0)
    for n, gid in enumerate((due, wrong)):
        for i, email in enumerate(w.schedule.group(gid).students[:2]):
            event = "meeting.participant_joined_breakout_room"
            body = {"breakout_room_uuid": f"uuid-{gid}", **participant(email, f"S{n}{i}", f"u{n}{i}")}
            assert await deliver(w.client, now - 5 + n + i * 0.1, event, body) == 200
    okafor = w.schedule.facilitator("dr-okafor")
    body = {"breakout_room_uuid": f"uuid-{wrong}", **participant(okafor.email, okafor.name, "fac1")}
    assert await deliver(w.client, now, "meeting.participant_joined_breakout_room", body) == 200
    await w.login()
    return due, wrong


async def _live(w: Web) -> dict:  # type: ignore[type-arg]
    return (await (await w.client.get(f"/api/sessions/{w.schedule.session.id}/live")).json())["live"]  # type: ignore[no-any-return]


async def test_ten_seconds_into_a_slot_a_physician_is_moving_not_late(web_app: Web) -> None:
    w = web_app
    due, wrong = await _okafor_in_the_wrong_room(w, timedelta(seconds=10))
    live = await _live(w)
    assert live["misplaced"] == [], "no alarm before the escalation's 2 minutes"
    assert f"Dr. Amara Okafor is moving to {gname(due)} (Zoom shows them in {gname(wrong)})" in live["moving"]
    rooms = {r["id"]: r for r in live["rooms"]}
    assert rooms[due]["state"] == "moving" and not rooms[due]["missing"] and rooms[wrong]["wrong"] == []
    html = await (await w.client.get(f"/sessions/{w.schedule.session.id}")).text()
    assert 'class="moving"' in html and "not here" not in html and "wrong room" not in html


async def test_after_the_grace_the_alarm_names_the_physician_and_when_the_escalation_went(
    web_app: Web,
) -> None:
    w = web_app
    sid = w.schedule.session.id
    due, wrong = await _okafor_in_the_wrong_room(w, timedelta(minutes=2, seconds=30))
    slot = w.schedule.rotation.slots[0]
    message = escalation_message(w.schedule, slot, Misplacement("dr-okafor", wrong, due, slot.start))
    await w.store.add_message(sid, message)
    (row,) = await w.store.claim_due(slot.start + timedelta(minutes=3), None, 10)
    assert row.key == message.key
    await w.store.mark_sent(row.id, slot.start + timedelta(minutes=2, seconds=4), "smtp-1")
    live = await _live(w)
    expected = (
        f"Dr. Amara Okafor is not in {gname(due)}, 2 minutes into slot 1 "
        f"(Zoom shows them in {gname(wrong)}); "
        "escalation sent 14:02 by email"
    )
    assert expected in live["misplaced"] and live["moving"] == []
    assert not any("dr-" in text for text in live["misplaced"]), "names, not ids"
    rooms = {r["id"]: r for r in live["rooms"]}
    assert rooms[due]["state"] == "alarm" and rooms[due]["missing"]
    html = await (await w.client.get(f"/sessions/{sid}")).text()
    assert "escalation sent 14:02 by email" in html


async def test_each_room_lists_the_students_who_are_missing(web_app: Web) -> None:
    w = web_app
    due, _ = await _okafor_in_the_wrong_room(w, timedelta(minutes=5))
    group = w.schedule.group(due)
    names = {s.email: s.name for s in w.schedule.students}
    room_facts = next(r for r in (await _live(w))["rooms"] if r["id"] == due)
    assert room_facts["expected_students"] == len(group.students)
    assert room_facts["missing_students"] == [names[e] for e in group.students[2:]]


async def test_the_page_shows_the_meeting_id_host_start_link_and_join_link(web_app: Web) -> None:
    w = web_app
    sid = w.schedule.session.id
    await w.login()
    html = await (await w.client.get(f"/sessions/{sid}")).text()
    assert "No Zoom meeting yet" in html and 'id="zoom-warning"' in html  # Zoom is not configured here
    join = "https://example.zoom.us/j/85012345678?pwd=abc"
    await w.store.save_meeting(
        MeetingRecord(sid, 85012345678, "m-uuid", join, w.schedule.session.host_email, "fp")
    )
    html = await (await w.client.get(f"/sessions/{sid}")).text()
    assert '<code id="meeting-id">850 1234 5678</code>' in html
    assert 'href="https://example.zoom.us/s/85012345678"' in html and join.replace("&", "&amp;") in html


async def test_the_message_log_filters_by_kind_status_and_recipient_and_pages(web_app: Web) -> None:
    w = web_app
    sid = w.schedule.session.id
    await w.store.fill_outbox(sid, w.schedule.messages)
    await w.login()

    def rows(html: str) -> list[str]:
        body = html.split('id="message-log"', 1)[1].split("</tbody>", 1)[0]
        return re.findall(r"<tr><td>", body)

    everything = await (await w.client.get(f"/sessions/{sid}")).text()
    total = len(w.schedule.messages)
    assert len(rows(everything)) == 50 and f"Showing 1–50 of {total} messages" in everything
    invitations = await (await w.client.get(f"/sessions/{sid}?kind=invitation&page=2")).text()
    assert "Showing 51–61 of 61 messages matching the filter" in invitations and len(rows(invitations)) == 11
    assert 'rel="prev"' in invitations and 'rel="next"' not in invitations
    okafor = await (await w.client.get(f"/sessions/{sid}?recipient=Okafor")).text()
    body = okafor.split('id="message-log"', 1)[1].split("</tbody>", 1)[0]
    assert "Dr. Amara Okafor" in body and "Dr. Sofia Marchetti" not in body
    pending = await (await w.client.get(f"/sessions/{sid}?status=sent")).text()
    assert "No messages match the filter." in pending


async def test_fuzzed_message_log_queries_never_500(web_app: Web) -> None:
    w = web_app
    sid = w.schedule.session.id
    await w.store.fill_outbox(sid, w.schedule.messages[:80])
    await w.login()
    rng = random.Random(1203)
    values = [
        "",
        "invitation",
        "pending",
        "-1",
        "0",
        "99999999999999999999",
        "x" * 500,
        "<script>",
        "%",
        "'",
        "é",
    ]
    for _ in range(40):
        params = {
            k: rng.choice(values) for k in ("kind", "status", "recipient", "page") if rng.random() < 0.8
        }
        resp = await w.client.get(f"/sessions/{sid}", params=params)
        assert resp.status == 200, params
        assert "<script>" not in (await resp.text()).split('id="message-filter"', 1)[1]


async def test_the_sessions_list_shows_human_dates_in_the_directors_zone(web_app: Web) -> None:
    w = web_app
    await w.login()
    html = await (await w.client.get("/sessions")).text()
    assert "Thu 14 Jan 2027, 13:00 (America/New_York)" in html
    assert "2027-01-14T18:00" not in html
