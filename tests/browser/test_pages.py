"""The pages in a real browser: live posts, no script injection, inline plan errors, the moving clock."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from playwright.sync_api import expect

from tests.browser.harness import LiveServer

XSS_POSTS = [
    "<script>window.__xss = 'script'</script>",
    "<img src=x onerror=\"window.__xss = 'img'; alert(1)\">",
    '"><svg onload="window.__xss=\'svg\'">',
]


def _watch_dialogs(page: Any, seen: list[str]) -> None:
    page.on("dialog", lambda d: (seen.append(d.message), d.dismiss()))


def test_post_on_board_appears_on_facilitator_page_within_a_second(server: LiveServer, context: Any) -> None:
    first = server.schedule.rotation.room_of("dr-marchetti", 0)
    facilitator = context.new_page()
    facilitator.goto(server.facilitator_url("dr-marchetti"))  # in the plenary: her first room is next
    expect(facilitator.locator("body")).to_have_attribute("data-live", "1")
    room = facilitator.locator(f'section.room[data-group="{first}"]')
    assert room.is_visible()
    board = context.new_page()
    board.goto(server.board_url(str(first)))
    board.fill("#body", "What helped you most when you were struggling?")
    started = time.monotonic()
    board.click("#post-form button[type=submit]")
    room.get_by_text("What helped you most when you were struggling?").wait_for(timeout=1000)
    assert time.monotonic() - started < 1.0
    # the student's own board shows it too, and nothing reloaded
    board.get_by_text("What helped you most when you were struggling?").wait_for(timeout=1000)
    assert board.locator("#body").input_value() == ""


def test_xss_posted_on_the_board_runs_nowhere(server: LiveServer, context: Any) -> None:
    dialogs: list[str] = []
    facilitator = context.new_page()
    _watch_dialogs(facilitator, dialogs)
    facilitator.goto(server.facilitator_url("dr-marchetti"))
    expect(facilitator.locator("body")).to_have_attribute("data-live", "1")
    first = str(server.schedule.rotation.room_of("dr-marchetti", 0))
    board = context.new_page()
    _watch_dialogs(board, dialogs)
    board.goto(server.board_url(first))
    for payload in XSS_POSTS:
        board.fill("#body", payload)
        board.click("#post-form button[type=submit]")
        facilitator.get_by_text(payload).wait_for(timeout=2000)  # arrived live, shown as text
    director = context.new_page()
    _watch_dialogs(director, dialogs)
    director.goto(server.login_url(f"/sessions/{server.schedule.session.id}"))
    fresh_board = context.new_page()
    _watch_dialogs(fresh_board, dialogs)
    fresh_board.goto(server.board_url(first))  # server-rendered this time
    for page in (facilitator, board, director, fresh_board):
        for payload in XSS_POSTS:
            assert page.get_by_text(payload).count() >= 1
        assert page.evaluate("typeof window.__xss") == "undefined"
        assert page.locator("img[src=x], svg[onload]").count() == 0
    assert dialogs == []


def test_director_uploads_a_broken_plan_and_sees_line_numbers(server: LiveServer, context: Any) -> None:
    page = context.new_page()
    page.goto(server.login_url("/sessions"))
    broken = server.loaded.text.replace("timezone: America/New_York", "timezone: America/New_Yrok").replace(
        "slot: 25m", "slot: 25 minutes please"
    )
    page.fill("#plan_text", broken)
    page.click("#add-session button[type=submit]")
    problems = page.locator("#plan-problems")
    problems.wait_for(timeout=3000)
    text = problems.inner_text()
    assert "pasted-plan.yaml:6:13: session.timezone: unknown time zone 'America/New_Yrok'" in text
    assert "did you mean `America/New_York`?" in text
    assert "phases[1].slot" in text
    assert page.locator("#plan_text").input_value() == broken  # nothing the director typed is lost


def test_countdown_follows_the_simulated_clock_and_now_changes_at_the_boundary(
    server: LiveServer, context: Any
) -> None:
    slot1, slot2 = server.schedule.rotation.slots
    g1, g2 = (server.schedule.group(str(server.schedule.rotation.room_of("dr-okafor", i))) for i in (0, 1))
    server.set_time(slot1.end - timedelta(seconds=90))
    page = context.new_page()
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.goto(server.facilitator_url("dr-okafor"))
    now_text = page.locator("#now-text")
    countdown = page.locator("#countdown")
    expect(page.locator("body")).to_have_attribute("data-live", "1")
    assert now_text.inner_text() == f"Now: {g1.name} until 14:25, next: {g2.name} at 14:30"
    assert countdown.inner_text() == f"1:30 left in {g1.name}"
    server.set_time(slot1.end - timedelta(seconds=30))
    expect(countdown).to_have_text(f"0:30 left in {g1.name}", timeout=2000)
    server.set_time(slot1.end + timedelta(seconds=1))
    expect(now_text).to_have_text(f"Now: moving, next: {g2.name} at 14:30", timeout=2000)
    assert countdown.inner_text() == f"{g2.name} starts in 4:59"
    assert page.locator(f'section.room[data-group="{g2.id}"]').is_visible()
    server.set_time(slot2.start)
    expect(now_text).to_have_text(
        f"Now: {g2.name} until 14:55, next: Wrap-up (main room) at 14:55", timeout=2000
    )
    assert countdown.inner_text() == f"25:00 left in {g2.name}"
    assert page.locator("#itinerary li.current").inner_text().endswith(g2.name)
