"""WCAG 2.1 AA through axe-core: no serious or critical violation on the pages people use."""

from __future__ import annotations

from datetime import timedelta
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


def test_board_with_posts_closed_board_and_facilitator_with_posts_pass_axe(
    server: LiveServer, context: Any
) -> None:
    """The states the first check does not reach: posts with vote buttons and an answered badge,
    the confirmation shown, a wrong-room warning, and the read-only board after the breakout."""
    from playwright.sync_api import expect

    from facilitator.web.board_view import closes_at

    group = str(server.schedule.rotation.room_of("dr-okafor", 0))
    board = context.new_page()
    board.set_viewport_size({"width": 390, "height": 844})
    board.goto(server.board_url(group))
    board.fill("#body", "A question for axe")
    board.get_by_role("button", name="Post anonymously").click()
    expect(board.locator("#post-notice")).to_be_visible()
    facilitator = context.new_page()
    server.set_time(server.schedule.rotation.slots[0].start + timedelta(minutes=5))
    server.place(server.schedule.facilitator("dr-okafor").email, None)
    facilitator.goto(server.facilitator_url("dr-okafor"))
    facilitator.get_by_role("button", name="Mark answered").click()
    expect(board.locator(".badge.answered")).to_be_visible()
    expect(facilitator.locator("#zoom-position.wrong")).to_be_visible()
    assert serious_violations(board) == [], "board with posts"
    assert serious_violations(facilitator) == [], "facilitator page with posts and a warning"
    end = closes_at(server.schedule)
    assert end is not None
    server.set_time(end)
    board.reload()
    assert serious_violations(board) == [], "closed board"


def test_survey_and_error_pages_pass_axe(server: LiveServer, context: Any) -> None:
    from facilitator.surveys.codes import survey_code
    from facilitator.surveys.completion import completion_url

    secret = server.settings.survey_secret.get_secret_value()
    session = server.schedule.session
    code = survey_code(secret, session.study, server.schedule.students[0].email)
    page = context.new_page()
    # The app's clock stands at the session start: the post-survey is open, the pre-survey has closed.
    response = page.goto(completion_url(server.url, session.id, code, "post", secret))
    assert response is not None and response.status == 200
    assert serious_violations(page) == [], "survey done"
    response = page.goto(completion_url(server.url, session.id, code, "pre", secret))
    assert response is not None and response.status == 410
    assert serious_violations(page) == [], "survey closed"
    for path, status in (
        ("/b/not-a-real-token", 403),
        ("/f/not-a-real-token", 403),
        ("/no/such/page", 404),
        (f"/survey/done?session={session.id}&code={code}&kind=pre&sig=forged", 403),
    ):
        response = page.goto(server.url + path)
        assert response is not None and response.status == status, path
        assert page.locator("h1").count() == 1
        assert serious_violations(page) == [], path


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
