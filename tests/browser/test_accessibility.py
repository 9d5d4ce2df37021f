"""WCAG 2.1 AA through axe-core: no serious or critical violation on the pages people use."""

from __future__ import annotations

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
