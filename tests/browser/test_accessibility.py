"""WCAG 2.1 AA through axe-core: no serious or critical violation on the pages people use."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.browser.axe import serious_violations
from tests.browser.harness import LiveServer


def test_axe_reports_a_page_that_breaks_the_rules(context: Any) -> None:
    """The check can fail: an unlabelled button and an image without text are caught."""
    page = context.new_page()
    page.set_content("<html><body><button></button><img src='x.png'></body></html>")
    found = serious_violations(page)
    assert any(v.startswith("button-name") for v in found)
    assert any(v.startswith("image-alt") for v in found)


def test_board_facilitator_and_director_pages_pass_axe(server: LiveServer, context: Any) -> None:
    page = context.new_page()
    group = server.schedule.groups[0].id
    facilitator = server.schedule.facilitators[0].id
    for url in (server.board_url(group), server.facilitator_url(facilitator)):
        page.goto(url)
        assert serious_violations(page) == [], url
    page.goto(server.login_url())
    assert serious_violations(page) == [], "sessions list"
    page.goto(f"{server.url}/sessions/{server.schedule.session.id}")
    assert page.locator("h1").count() == 1
    assert serious_violations(page) == [], page.url


def test_the_plan_change_confirm_page_passes_axe_and_works_by_keyboard(
    server: LiveServer, context: Any
) -> None:
    from facilitator.delivery.outbox import start_session

    store = server.store
    assert store is not None
    server.call(lambda: start_session(store, server.schedule, server.loaded.text, str(server.loaded.file)))
    page = context.new_page()
    page.goto(server.login_url("/sessions"))
    roster = Path(server.loaded.file).parent / "shared-living-experiences-roster.csv"
    page.set_input_files("#roster_file", str(roster))
    page.fill("#plan_text", server.loaded.text.replace("cue_lead: 2m ", "cue_lead: 3m "))
    page.click("#add-session button[type=submit]")
    page.locator("#plan-changes").wait_for(timeout=5000)
    assert "to replace" in page.locator("#plan-changes").inner_text()
    assert page.locator("h1").count() == 1
    assert serious_violations(page) == [], "plan changes page"
    apply = page.locator("#confirm-changes button[type=submit]")
    for _ in range(10):  # by keyboard: Tab to the button, Enter
        page.keyboard.press("Tab")
        if apply.evaluate("el => el === document.activeElement"):
            break
    assert apply.evaluate("el => el === document.activeElement")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(f"/sessions/{server.schedule.session.id}")
    record = server.call(lambda: store.get_session(server.schedule.session.id))
    assert record is not None and record.plan_revision == 1
