"""The director's side: sign-in, adding plans, the session page, actions and exports."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from facilitator.plan.errors import PlanError
from facilitator.plan.loader import load_plan_text
from facilitator.surveys.codes import survey_code
from facilitator.zoom.events import ZoomEvent
from tests.web.conftest import PASSWORD, PLAN, REPO, SURVEY_SECRET, Web, WebFactory, gname, room
from tests.web.zoomhook import deliver, participant

BROKEN_PLAN = """session:
  title: Broken
  start: 2027-01-14 13:00
  timezone: America/New_Yrok
  zoom: {host_email: director@example.edu}
facilitators:
  - {id: dr-a, name: Dr A, email: a@example.edu}
students:
  inline:
    - {email: s1@example.edu, name: S One}
phases:
  - kind: breakout
    duration: 30m
    groups: 2
    slot: 15m
    visits_per_group: 1
    promt: typo here
"""


async def test_sign_in_required_and_password_flow(web_app: Web) -> None:
    c = web_app.client
    resp = await c.get("/sessions", allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "/login?next=/sessions"
    api = await c.get("/api/sessions")
    assert api.status == 401 and "Bearer" in (await api.json())["error"]
    form = await (await c.get("/login?next=/sessions")).text()
    token = re.search(r'name="csrf" value="([^"]+)"', form)
    assert token
    wrong = await c.post("/login", data={"csrf": token.group(1), "password": "nope", "next": "/sessions"})
    assert wrong.status == 401 and "not right" in await wrong.text()
    ok = await c.post(
        "/login",
        data={"csrf": token.group(1), "password": PASSWORD, "next": "/sessions"},
        allow_redirects=False,
    )
    assert ok.status == 303 and ok.headers["Location"] == "/sessions"
    cookie = ok.cookies["facilitator_director"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict"
    assert (await c.get("/sessions")).status == 200


async def test_secure_cookie_when_configured(make_web: WebFactory) -> None:
    w = await make_web(facilitator_cookie_secure=True)
    from facilitator.web.login import login_url

    resp = await w.client.get(login_url(w.ctx).split("8080", 1)[1], allow_redirects=False)
    assert resp.cookies["facilitator_director"]["secure"]
    assert "Strict-Transport-Security" in resp.headers


async def test_failed_logins_are_slowed(web_app: Web) -> None:
    c = web_app.client
    form = await (await c.get("/login")).text()
    token = re.search(r'name="csrf" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    for _ in range(3):
        assert (await c.post("/login", data={"csrf": token, "password": "guess"})).status == 401
    locked = await c.post("/login", data={"csrf": token, "password": PASSWORD}, allow_redirects=False)
    assert locked.status == 429 and "Too many failed sign-ins" in await locked.text()
    assert int(locked.headers["Retry-After"]) >= 1


async def test_sign_in_link_works_again_for_ten_minutes_then_not(web_app: Web) -> None:
    from facilitator.web.login import LOGIN_FIRST_USE, LOGIN_REUSE_WINDOW, login_url

    path = login_url(web_app.ctx, "/sessions").split("8080", 1)[1]
    first = await web_app.client.get(path, allow_redirects=False)
    assert first.status == 303 and first.headers["Location"] == "/sessions"
    # a second device (or the mail scanner that opened it first) within the window: still works
    again = await web_app.client.get(path, allow_redirects=False)
    assert again.status == 303
    # the window runs on wall time: backdate the first use past it
    first_use = web_app.client.server.app[LOGIN_FIRST_USE]
    nonce = next(iter(first_use))
    first_use[nonce] -= LOGIN_REUSE_WINDOW
    late = await web_app.client.get(path, allow_redirects=False)
    assert late.status == 403 and "already used" in await late.text()


async def test_a_fast_simulated_clock_does_not_sign_the_director_out(web_app: Web) -> None:
    await web_app.login()
    sid = web_app.schedule.session.id
    web_app.clock.advance(timedelta(days=3))  # a simulated run races through days in seconds
    page = await web_app.client.get(f"/sessions/{sid}", allow_redirects=False)
    assert page.status == 200, "signed out by the simulation's clock"
    from facilitator.web.login import login_url

    fresh = login_url(web_app.ctx, "/sessions").split("8080", 1)[1]
    web_app.clock.advance(timedelta(days=30))
    assert (await web_app.client.get(fresh, allow_redirects=False)).status == 303


async def test_broken_plan_shows_the_same_line_numbered_errors_as_check(web_app: Web) -> None:
    await web_app.login()
    csrf = await web_app.csrf("/sessions")
    resp = await web_app.client.post("/sessions", data={"csrf": csrf, "plan_text": BROKEN_PLAN})
    assert resp.status == 400
    html = await resp.text()
    try:
        load_plan_text(BROKEN_PLAN, file="pasted-plan.yaml")
    except PlanError as exc:
        expected = [str(p) for p in exc.problems]
    assert expected and any(":4:" in p for p in expected)
    for problem in expected:
        escaped = problem.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("`", "`")
        assert escaped.replace("'", "&#39;").replace('"', "&#34;") in html
    assert "America/New_Yrok" in html and "New_York" in html  # the plan comes back to fix
    assert await web_app.store.get_session("broken-20270114-1300") is None


async def test_upload_plan_with_roster_adds_a_session(make_web: WebFactory) -> None:
    w = await make_web()
    await w.login()
    csrf = await w.csrf("/sessions")
    text = PLAN.read_text().replace("title: Shared Living Experiences", "title: Second Cohort")
    roster = (REPO / "session_plans" / "shared-living-experiences-roster.csv").read_bytes()
    import aiohttp

    form = aiohttp.FormData()
    form.add_field("csrf", csrf)
    form.add_field("plan_file", text.encode(), filename="second.yaml", content_type="text/yaml")
    form.add_field(
        "roster_file", roster, filename="shared-living-experiences-roster.csv", content_type="text/csv"
    )
    resp = await w.client.post("/sessions", data=form, allow_redirects=False)
    assert resp.status == 303, await resp.text()
    sid = "second-cohort-20270114-1300"
    assert resp.headers["Location"] == f"/sessions/{sid}"
    record = await w.store.get_session(sid)
    assert record is not None and record.plan_text == text
    page = await (await w.client.get(f"/sessions/{sid}")).text()
    assert "Second Cohort" in page and "<svg" in page and "Dr. Henrik Lindqvist" in page
    # adding the same plan again (its roster with it) is refused, with the reason inline
    form = aiohttp.FormData()
    form.add_field("csrf", csrf)
    form.add_field("plan_text", text)
    form.add_field("roster_file", roster, filename="roster.csv", content_type="text/csv")
    again = await w.client.post("/sessions", data=form)
    assert again.status == 400 and "already exists" in await again.text()
    # a session from the store is rebuilt after a "restart" (registry emptied)
    w.ctx.sessions.remove(sid)
    assert (await w.client.get(f"/sessions/{sid}")).status == 200


async def test_session_page_timeline_groups_and_rates(web_app: Web) -> None:
    w = web_app
    sid = w.schedule.session.id
    w.clock.set(w.schedule.rotation.slots[0].start + timedelta(minutes=5))
    study = w.schedule.session.study
    codes = {s.email: survey_code(SURVEY_SECRET, study, s.email) for s in w.schedule.students}
    await w.store.save_survey_codes(sid, study, codes)
    first, second = list(codes.values())[:2]
    await w.store.record_survey_event(sid, first, "pre", "completed", w.clock.now())
    await w.store.record_survey_event(sid, first, "post", "completed", w.clock.now())
    await w.store.record_survey_event(sid, second, "pre", "completed", w.clock.now())
    await w.login()
    html = await (await w.client.get(f"/sessions/{sid}")).text()
    assert "pre 2 of 61, post 1 of 61, both 1 of 61 (2%)" in html
    assert 'class="now-line"' in html and "now 14:05" in html
    for f in w.schedule.facilitators:
        assert f.name in html
    assert html.count('class="box visit"') == 6  # 3 facilitators x 2 slots
    assert "<td>Group 1</td><td>11</td>" in html


async def test_message_retry_and_cancel(web_app: Web) -> None:
    w = web_app
    sid = w.schedule.session.id
    await w.store.fill_outbox(sid, w.schedule.messages)
    woken: list[int] = []
    w.ctx.sessions.get(sid).on_outbox_change = lambda: woken.append(1)  # type: ignore[union-attr]
    [m] = [m for m in await w.store.list_messages(sid) if m.kind == "heads_up"][:1]
    await w.login()
    csrf = await w.csrf()
    resp = await w.client.post(
        f"/sessions/{sid}/messages/{m.id}/cancel", data={"csrf": csrf}, allow_redirects=False
    )
    assert resp.status == 303
    assert (await w.store.get_message(m.id)).status == "cancelled"  # type: ignore[union-attr]
    html = await (await w.client.get(f"/sessions/{sid}?status=cancelled")).text()
    assert f"/messages/{m.id}/retry" in html
    resp = await w.client.post(
        f"/sessions/{sid}/messages/{m.id}/retry", data={"csrf": csrf}, allow_redirects=False
    )
    assert (await w.store.get_message(m.id)).status == "pending"  # type: ignore[union-attr]
    assert woken == [1, 1]
    audit = [a.action for a in await w.store.list_audit(sid)]
    assert "message.cancel" in audit and "message.retry" in audit
    missing = await w.client.post(f"/sessions/{sid}/messages/999999/retry", data={"csrf": csrf})
    assert missing.status == 404


async def test_exports(web_app: Web) -> None:
    w = web_app
    sid = w.schedule.session.id
    await w.client.post(
        w.board_path("group-2"),
        json={"body": "-1+1 looks like a formula"},
        headers={"Accept": "application/json"},
    )
    await w.client.post(
        w.board_path("group-2"), json={"body": 'plain, with "quotes"'}, headers={"Accept": "application/json"}
    )
    await w.login()
    text = await (await w.client.get(f"/sessions/{sid}/export/contributions.csv")).text()
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == ["room", "time", "text", "votes", "hidden"]
    assert rows[1][0] == "Group 2" and rows[1][2] == "'-1+1 looks like a formula" and rows[1][4] == "no"
    assert rows[2][2] == 'plain, with "quotes"'
    zoom = await (await w.client.get(f"/sessions/{sid}/export/zoom-breakout-rooms.csv")).text()
    zrows = list(csv.reader(io.StringIO(zoom)))
    assert zrows[0] == ["Pre-assign Room Name", "Email Address"] and len(zrows) == 62
    ics = await w.client.get(f"/sessions/{sid}/export/calendar/dr-okafor.ics")
    assert ics.content_type == "text/calendar" and "BEGIN:VEVENT" in await ics.text()
    assert (await w.client.get(f"/sessions/{sid}/export/calendar/dr-nobody.ics")).status == 404


async def test_live_occupancy_flags_a_facilitator_in_the_wrong_room(web_app: Web) -> None:
    w = web_app
    sid = w.schedule.session.id
    slot = w.schedule.rotation.slots[0]
    w.clock.set(slot.start + timedelta(minutes=3))
    now = w.clock.now().timestamp()
    due, wrong = room("dr-okafor", 0), room("dr-lindqvist", 0)
    seen: list[str] = []

    async def observe(event: ZoomEvent) -> None:
        seen.append(event.event)

    w.ctx.on_zoom_event = observe
    # two students of each room land in its breakout room: Zoom's room uuids are learned from them
    for n, gid in enumerate((due, wrong)):
        for i, email in enumerate(w.schedule.group(gid).students[:2]):
            status = await deliver(
                w.client,
                now + 10 * n + i,
                "meeting.participant_joined_breakout_room",
                {"breakout_room_uuid": f"uuid-{gid}", **participant(email, f"S{n}{i}", f"u{n}{i}")},
            )
            assert status == 200
    # dr-okafor is due in her slot-1 room but goes to dr-lindqvist's
    okafor = w.schedule.facilitator("dr-okafor")
    await deliver(
        w.client,
        now + 20,
        "meeting.participant_joined_breakout_room",
        {"breakout_room_uuid": f"uuid-{wrong}", **participant(okafor.email, okafor.name, "fac1")},
    )
    await w.login()
    live = (await (await w.client.get(f"/api/sessions/{sid}/live")).json())["live"]
    assert (
        f"Dr. Amara Okafor is not in {gname(due)}, 2 minutes into slot 1 "
        f"(Zoom shows them in {gname(wrong)}); "
        "escalation not sent yet"
    ) in live["misplaced"]
    rooms = {r["id"]: r for r in live["rooms"]}
    assert rooms[due]["missing"] and rooms[due]["students"] == 2
    assert rooms[wrong]["wrong"] == ["Dr. Amara Okafor"]
    html = await (await w.client.get(f"/sessions/{sid}")).text()
    assert "wrong room: Dr. Amara Okafor" in html and "not here" in html
    assert seen == ["meeting.participant_joined_breakout_room"] * 5  # the runner's hook saw each event


async def test_zoom_chat_prefix_posts_to_the_senders_room_without_the_sender(make_web: WebFactory) -> None:
    import dataclasses

    from tests.web.conftest import seed_schedule

    base = seed_schedule()
    w = await make_web(
        dataclasses.replace(base, session=dataclasses.replace(base.session, board_chat_prefix="!board"))
    )
    sid = w.schedule.session.id
    student = w.schedule.group("group-4").students[0]
    chat = {
        "chat_message": {
            "message_id": "m1",
            "message_content": "!board Is it normal to feel numb?",
            "sender_name": "Student Name",
            "sender_email": student,
            "sender_type": "guest",
            "recipient_type": "host",
            "date_time": "2027-01-14T19:05:00Z",
        }
    }
    assert await deliver(w.client, w.clock.now().timestamp(), "meeting.chat_message_sent", chat) == 200
    [c] = await w.store.list_contributions(sid, include_hidden=True)
    assert c.group_id == "group-4" and c.body == "Is it normal to feel numb?"
    raw = b"".join(p.read_bytes() for p in w.ctx.settings.db_path.parent.glob("facilitator.db*"))
    assert student.encode() not in raw and b"Student Name" not in raw
    public = {
        **chat,
        "chat_message": {**chat["chat_message"], "message_id": "m2", "recipient_type": "everyone"},
    }
    await deliver(w.client, w.clock.now().timestamp() + 1, "meeting.chat_message_sent", public)
    assert len(await w.store.list_contributions(sid, include_hidden=True)) == 1
