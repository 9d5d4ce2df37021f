"""The facilitator page is never stale: across a dropped event stream and across a slot change
with no webhook at all, and it speaks to screen readers only when something meaningful changes."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from playwright.sync_api import expect

from tests.browser.harness import LiveServer


def _seat_students(server: LiveServer, *group_ids: str) -> None:
    """Two pre-assigned students per room, so the live state knows which Zoom room is which."""
    for gid in group_ids:
        for email in server.schedule.group(gid).students[:2]:
            server.place(email, gid)


def test_position_recovers_after_a_reconnect_and_across_a_slot_change(
    server: LiveServer, context: Any
) -> None:
    schedule = server.schedule
    slot1, slot2 = schedule.rotation.slots
    first = str(schedule.rotation.room_of("dr-okafor", 0))
    second = str(schedule.rotation.room_of("dr-okafor", 1))
    g1, g2 = schedule.group(first).name, schedule.group(second).name
    okafor = schedule.facilitator("dr-okafor").email
    server.set_time(slot1.start + timedelta(minutes=15))
    _seat_students(server, first, second)
    server.place(okafor, None)  # still in the main room, 15 minutes into her slot
    page = context.new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(server.facilitator_url("dr-okafor"))
    position = page.locator("#zoom-position")
    expect(page.locator("body")).to_have_attribute("data-live", "1")
    expect(position).to_have_text(f"Zoom shows you in the main room; you are due in {g1} since 14:00.")
    expect(position).to_have_class("position wrong")

    # She moves while the page's stream is down: the push is lost. The reconnecting page asks again.
    server.restart_web(between=lambda: server.place_now(okafor, first, publish=False))
    expect(position).to_have_text(f"Zoom shows you in {g1}.", timeout=8000)
    expect(position).to_have_class("position")

    # The slot ends; no webhook arrives. The page asks at the boundary: a move is due.
    server.set_time(slot1.end + timedelta(seconds=1))
    expect(position).to_have_text(f"Next: {g2} at 14:30: Zoom still shows you in {g1}.", timeout=3000)
    expect(position).to_have_class("position moving")
    server.set_time(slot2.start + timedelta(seconds=20))
    expect(position).to_have_text(f"Moving to {g2}: Zoom still shows you in {g1}.", timeout=3000)
    server.set_time(slot2.start + timedelta(minutes=1, seconds=1))
    expect(position).to_have_text(f"Zoom shows you in {g1}; you are due in {g2} since 14:30.", timeout=3000)
    expect(position).to_have_class("position wrong")
    # and a webhook still updates it at once
    server.place(okafor, second)
    expect(position).to_have_text(f"Zoom shows you in {g2}.", timeout=3000)


def test_countdown_is_silent_and_only_the_slot_change_and_last_minute_are_announced(
    server: LiveServer, context: Any
) -> None:
    slot1, _ = server.schedule.rotation.slots
    g1 = server.schedule.group(str(server.schedule.rotation.room_of("dr-okafor", 0))).name
    server.set_time(slot1.end - timedelta(minutes=5))
    page = context.new_page()
    page.goto(server.facilitator_url("dr-okafor"))
    expect(page.locator("body")).to_have_attribute("data-live", "1")
    countdown = page.locator("#countdown")
    assert countdown.get_attribute("aria-live") is None and countdown.get_attribute("role") is None
    assert page.locator("#countdown [aria-live], #now-text[aria-live]").count() == 0
    page.evaluate(
        """() => { window.__said = [];
        const box = document.getElementById('announce');
        new MutationObserver(() => window.__said.push(box.textContent))
          .observe(box, {childList: true, characterData: true, subtree: true}); }"""
    )
    for seconds in (240, 200, 150, 90):  # the countdown changes, nothing is announced
        server.set_time(slot1.end - timedelta(seconds=seconds))
        expect(countdown).to_have_text(f"{seconds // 60}:{seconds % 60:02d} left in {g1}", timeout=2000)
    assert page.evaluate("window.__said") == []
    server.set_time(slot1.end - timedelta(seconds=59))
    expect(page.locator("#announce")).to_have_text(f"One minute left in {g1}.", timeout=2000)
    server.set_time(slot1.end - timedelta(seconds=30))
    expect(countdown).to_have_text(f"0:30 left in {g1}", timeout=2000)
    server.set_time(slot1.end + timedelta(seconds=1))
    expect(page.locator("#announce")).to_have_text(re.compile(r"^Now: moving, next: "), timeout=2000)
    said = page.evaluate("window.__said")
    assert said[0] == f"One minute left in {g1}." and len(said) <= 3, said
