"""Write docs/director.png, docs/facilitator.png and docs/board.png from a seeded, running session.

Run: `python -m tests.browser.screenshots` (needs /usr/bin/chromium). The session is seeded
through the real store and real webhook parsing: messages sent and one failed, survey
completions, posts and votes, students in their rooms and one facilitator late.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from playwright.sync_api import sync_playwright

from facilitator.surveys.codes import survey_code
from facilitator.zoom.events import parse_event
from tests.browser.harness import CHROMIUM, CHROMIUM_ARGS, REPO, LiveServer

DOCS = REPO / "docs"
POSTS = [
    "How did you decide it was safe to tell your colleagues?",
    "I failed a shelf exam last term and still feel like a fraud. Does that ever go away?",
    "What would you say to a student who is scared to ask for help because of licensing questions?",
]


def _event(name: str, ts: float, obj: dict[str, object]) -> None:
    envelope = {
        "event": name,
        "event_ts": int(ts * 1000),
        "payload": {"account_id": "a", "object": {"id": "850", "uuid": "m", **obj}},
    }
    event = parse_event(envelope)
    assert event is not None
    return event  # type: ignore[return-value]


async def seed(server: LiveServer) -> None:
    assert server.store is not None and server.ctx is not None
    store, schedule = server.store, server.schedule
    sid, now = schedule.session.id, server.clock.now()
    await store.fill_outbox(sid, schedule.messages)
    due = await store.claim_due(now, None, 10_000)
    for i, m in enumerate(due):
        if i == 7:
            await store.mark_failed(m.id, "SMTP 550: mailbox unavailable")
        else:
            await store.mark_sent(m.id, m.due, f"msg-{m.id}")
    study = schedule.session.study
    codes = [survey_code("browser-survey-secret", study, s.email) for s in schedule.students]
    await store.save_survey_codes(
        sid, study, {s.email: c for s, c in zip(schedule.students, codes, strict=True)}
    )
    for code in codes[:58]:
        await store.record_survey_event(sid, code, "pre", "completed", now - timedelta(days=1))
    entry = server.ctx.sessions.get(sid)
    assert entry is not None and entry.live is not None
    ts = now.timestamp()
    slot = schedule.rotation.slots[0]
    for g in schedule.groups:
        for j, email in enumerate(g.students[:-1]):
            entry.live.apply(
                _event(
                    "meeting.participant_joined_breakout_room",
                    ts + j,
                    {  # type: ignore[arg-type]
                        "breakout_room_uuid": f"bo-{g.id}",
                        "participant": {"user_id": f"{g.id}-{j}", "user_name": "Student", "email": email},
                    },
                )
            )
    for visit in slot.visits:
        if visit.facilitator == "dr-okafor":
            continue  # late: still in the main room
        f = schedule.facilitator(visit.facilitator)
        entry.live.apply(
            _event(
                "meeting.participant_joined_breakout_room",
                ts + 30,
                {  # type: ignore[arg-type]
                    "breakout_room_uuid": f"bo-{visit.group}",
                    "participant": {"user_id": f.id, "user_name": f.name, "email": f.email},
                },
            )
        )
    okafor = schedule.facilitator("dr-okafor")
    entry.live.apply(
        _event(
            "meeting.participant_joined",
            ts + 31,
            {  # type: ignore[arg-type]
                "participant": {"user_id": "okafor", "user_name": okafor.name, "email": okafor.email}
            },
        )
    )


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        server = LiveServer(Path(tmp))
        slot = server.schedule.rotation.slots[0]
        server.clock.set(slot.start + timedelta(minutes=8))  # type: ignore[attr-defined]
        server.start()
        try:
            server.call(lambda: seed(server))
            lindqvist_room = str(server.schedule.rotation.room_of("dr-lindqvist", 0))
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                phone = browser.new_context(viewport={"width": 414, "height": 860}, device_scale_factor=2)
                board = phone.new_page()
                board.goto(server.board_url(lindqvist_room))
                for text in POSTS:
                    board.fill("#body", text)
                    board.click("#post-form button[type=submit]")
                    board.get_by_text(text).wait_for()
                board.locator(".vote").first.click()
                board.fill("#body", "Thank you for sharing this today.")
                board.screenshot(path=str(DOCS / "board.png"), full_page=True)
                fac = phone.new_page()
                fac.goto(server.facilitator_url("dr-lindqvist"))
                fac.get_by_text(POSTS[0]).wait_for()
                fac.screenshot(path=str(DOCS / "facilitator.png"), full_page=True)
                desk = browser.new_context(viewport={"width": 1280, "height": 900})
                director = desk.new_page()
                director.goto(server.login_url(f"/sessions/{server.schedule.session.id}"))
                director.locator("#occupancy").wait_for()
                director.screenshot(path=str(DOCS / "director.png"), full_page=True)
                browser.close()
        finally:
            server.stop()
    print("wrote", ", ".join(str(DOCS / n) for n in ("director.png", "facilitator.png", "board.png")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
