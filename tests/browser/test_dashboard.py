"""The director's dashboard in a real browser: grace then alarm, the log's filters, a 390 px phone, axe."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from playwright.sync_api import expect

from facilitator.web.hub import session_topic
from tests.browser.axe import serious_violations
from tests.browser.harness import LiveServer
from tests.zoom.test_live import Events


def _okafor_goes_to_the_wrong_room(server: LiveServer) -> tuple[str, str]:
    """Students of two rooms land in them (Zoom's rooms are learned); Dr. Okafor lands in the wrong one."""
    schedule = server.schedule
    due, wrong = schedule.rotation.room_of("dr-okafor", 0), schedule.rotation.room_of("dr-lindqvist", 0)
    assert due is not None and wrong is not None
    assert server.ctx is not None
    entry = server.ctx.sessions.get(schedule.session.id)
    assert entry is not None and entry.live is not None
    live, ev = entry.live, Events()

    def apply() -> None:
        for gid in (due, wrong):
            for email in schedule.group(gid).students[:3]:
                live.apply(ev.enter(email, f"U-{gid}"))
        live.apply(ev.enter(schedule.facilitator("dr-okafor").email, f"U-{wrong}"))

    server.call(apply)
    return schedule.group(due).name, schedule.group(wrong).name


def _nudge(server: LiveServer) -> None:
    """What the webhook route does after each event: tell open pages the rooms changed."""
    assert server.ctx is not None
    ctx = server.ctx
    server.call(lambda: ctx.hub.publish((session_topic(server.schedule.session.id),), "live", {}))


def test_grace_state_then_alarm_with_names_and_escalation_words(server: LiveServer, context: Any) -> None:
    slot = server.schedule.rotation.slots[0]
    server.set_time(slot.start + timedelta(seconds=10))
    due, wrong = _okafor_goes_to_the_wrong_room(server)
    page = context.new_page()
    page.goto(server.login_url(f"/sessions/{server.schedule.session.id}"))
    moving = page.locator("#moving li", has_text="Dr. Amara Okafor")
    expect(moving).to_have_text(f"Dr. Amara Okafor is moving to {due} (Zoom shows them in {wrong})")
    assert page.locator("#misplaced li").count() == 0
    assert page.locator("#occupancy tr.flag").count() == 0, "nothing red during the grace"
    assert "moving" in page.locator("#occupancy tr[data-state=moving] .badge").first.inner_text()

    server.set_time(slot.start + timedelta(minutes=2, seconds=5))
    _nudge(server)  # the page refreshes itself, no reload
    alarm = page.locator("#misplaced li", has_text="Dr. Amara Okafor")
    expect(alarm).to_have_text(
        f"Dr. Amara Okafor is not in {due}, 2 minutes into slot 1 (Zoom shows them in {wrong}); "
        "escalation not sent yet",
        timeout=3000,
    )
    expect(page.locator("#moving li")).to_have_count(0)
    row = page.locator("#occupancy tr.flag", has_text=due)
    expect(row).to_contain_text("not here")
    assert serious_violations(page) == []


def test_message_log_filters_by_keyboard_and_pages(server: LiveServer, context: Any) -> None:
    assert server.store is not None
    store, schedule = server.store, server.schedule
    server.call(lambda: store.fill_outbox(schedule.session.id, schedule.messages))
    page = context.new_page()
    page.goto(server.login_url(f"/sessions/{schedule.session.id}"))
    summary = page.locator("#log-summary")
    assert summary.inner_text() == f"Showing 1–50 of {len(schedule.messages)} messages."
    stops = page.evaluate(
        "[...document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, "
        '[tabindex]:not([tabindex="-1"])\')].filter(e => !e.disabled).length'
    )
    assert stops < 120, f"{stops} tab stops with {len(schedule.messages)} messages queued (was 465)"
    page.locator("#f-kind").select_option("heads_up")
    page.locator("#f-recipient").fill("Okafor")
    page.locator("#f-recipient").press("Enter")
    expect(summary).to_have_text("Showing 1–2 of 2 messages matching the filter.")
    assert page.locator("#message-log tbody tr").count() == 2
    page.get_by_role("link", name="show all").click()
    page.locator("#f-kind").select_option("invitation")
    page.locator("#message-filter button[type=submit]").click()
    expect(summary).to_have_text("Showing 1–50 of 61 messages matching the filter.")
    page.get_by_role("link", name="Next").click()
    expect(summary).to_have_text("Showing 51–61 of 61 messages matching the filter.")


def test_skip_link_is_the_first_tab_stop(server: LiveServer, context: Any) -> None:
    page = context.new_page()
    page.goto(server.login_url(f"/sessions/{server.schedule.session.id}"))
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_phone_layout_at_390_px_has_no_sideways_page_scroll(server: LiveServer, browser: Any) -> None:
    phone = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2)
    try:
        page = phone.new_page()
        page.goto(server.login_url(f"/sessions/{server.schedule.session.id}"))
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page scrolls sideways on a phone ({width} px wide)"
        timeline = page.locator("svg.timeline")
        box = timeline.bounding_box()
        assert box is not None and box["width"] >= 700, "readable size, scrolls in its frame"
        assert page.locator(".timeline-wrap").evaluate("el => el.scrollWidth > el.clientWidth")
        assert serious_violations(page) == []
    finally:
        phone.close()


def test_every_director_page_passes_axe(server: LiveServer, context: Any) -> None:
    assert server.store is not None
    store, schedule = server.store, server.schedule
    server.call(lambda: store.fill_outbox(schedule.session.id, schedule.messages))  # "pending" badges
    page = context.new_page()
    page.goto(f"{server.url}/login")
    assert serious_violations(page) == [], "login"
    page.goto(server.login_url())
    assert serious_violations(page) == [], "sessions list and upload form"
    page.fill("#plan_text", "session:\n  title: x\n  timezone: Mars/Olympus\n")
    page.click("#add-session button[type=submit]")
    page.locator("#plan-problems").wait_for()
    assert serious_violations(page) == [], "upload form with problems"
    page.goto(f"{server.url}/sessions/{server.schedule.session.id}")
    assert serious_violations(page) == [], "session page"
    page.goto(f"{server.url}/sessions/no-such-session")
    assert serious_violations(page) == [], "404 page"
    page.goto(f"{server.url}/b/not-a-valid-token")
    assert serious_violations(page) == [], "403 page"


def test_the_closed_survey_and_opt_out_pages_pass_axe_and_work_by_keyboard(
    server: LiveServer, context: Any
) -> None:
    from facilitator.links import link_expiry
    from facilitator.surveys.codes import survey_code
    from facilitator.surveys.optout import opt_out_url

    assert server.ctx is not None
    schedule, ctx = server.schedule, server.ctx
    code = survey_code("browser-survey-secret", schedule.session.study, schedule.students[0].email)
    page = context.new_page()
    token = ctx.signer.survey_token(schedule.session.id, code, "pre", link_expiry(schedule.session.end))
    page.goto(f"{server.url}/s/{token}")  # the server's clock is at the session start: the pre-survey closed
    expect(page.locator("h1")).to_have_text("This survey has closed")
    assert serious_violations(page) == []
    page.goto(opt_out_url(server.url, schedule.session.id, code, "browser-survey-secret"))
    assert serious_violations(page) == []
    page.keyboard.press("Tab")  # skip link
    page.keyboard.press("Tab")  # the button
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("You will get no more reminders")
    assert server.call(lambda: server.store.opted_out(schedule.session.id, code))  # type: ignore[union-attr]
