"""A student on a 390 px wide phone: posts, sees "Posted", votes and sorts; the same by keyboard
alone; and the board turns read-only when the breakout has ended."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from facilitator.web.board_view import closes_at
from tests.browser.harness import LiveServer

PHONE = {"width": 390, "height": 844}


def _phone(context: Any) -> Any:
    page = context.new_page()
    page.set_viewport_size(PHONE)
    return page


def _bodies(page: Any) -> list[str]:
    return [t.strip() for t in page.locator("#posts li .body").all_inner_texts()]


def test_student_on_a_phone_posts_sees_posted_votes_and_sorts(server: LiveServer, context: Any) -> None:
    group = server.schedule.groups[0].id
    page = _phone(context)
    page.goto(server.board_url(group))
    expect(page.locator("body")).to_have_attribute("data-live", "1")
    empty = page.locator("#empty-note")
    expect(empty).to_be_visible()
    for text in ("First question", "Second question", "Third question"):
        page.fill("#body", text)
        page.get_by_role("button", name="Post anonymously").click()
        expect(page.locator("#post-notice")).to_have_text("Posted. Your post is at the top of the list.")
        expect(page.locator("#posts li").first.locator(".body")).to_have_text(text)
    expect(empty).to_be_hidden()
    assert page.locator("#body").input_value() == ""
    assert _bodies(page) == ["Third question", "Second question", "First question"]  # newest first
    # vote for the oldest post: its button says what it does and how many votes it has
    oldest = page.locator("#posts li", has_text="First question")
    vote = oldest.get_by_role("button", name="Upvote: 0 votes")
    vote.click()
    expect(oldest.get_by_role("button", name="Upvote: 1 vote")).to_be_visible()
    page.get_by_role("link", name="Most votes").click()
    expect(page.locator("#posts li").first.locator(".body")).to_have_text("First question")
    assert _bodies(page) == ["First question", "Third question", "Second question"]
    expect(page.get_by_role("link", name="Most votes")).to_have_attribute("aria-current", "true")
    assert page.url.endswith("?sort=votes")
    page.get_by_role("link", name="Newest first").click()
    assert _bodies(page) == ["Third question", "Second question", "First question"]
    # nothing spills sideways on a phone
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # a post from another student arrives live, in order
    other = context.new_page()
    other.goto(server.board_url(group))
    other.fill("#body", "From another phone")
    other.get_by_role("button", name="Post anonymously").click()
    expect(page.locator("#posts li").first.locator(".body")).to_have_text("From another phone")


def test_board_by_keyboard_alone(server: LiveServer, context: Any) -> None:
    group = server.schedule.groups[1].id
    page = _phone(context)
    page.goto(server.board_url(group))
    expect(page.locator("body")).to_have_attribute("data-live", "1")

    def tab_to(selector: str, limit: int = 30) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
                return
        raise AssertionError(f"Tab never reached {selector}")

    tab_to("#body")
    page.keyboard.type("Typed without a mouse")
    tab_to("#post-form button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.locator("#post-notice")).to_have_text("Posted. Your post is at the top of the list.")
    page.keyboard.press("Shift+Tab")  # focus stays in the page's flow
    tab_to("button.vote")
    page.keyboard.press("Enter")
    expect(page.locator("#posts li").first.get_by_role("button", name="Upvote: 1 vote")).to_be_visible()
    tab_to('.sort a[data-sort="votes"]')
    page.keyboard.press("Enter")
    expect(page.locator('.sort a[data-sort="votes"]')).to_have_attribute("aria-current", "true")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # a visible focus ring


def test_board_turns_read_only_after_the_breakout(server: LiveServer, context: Any) -> None:
    group = server.schedule.groups[2].id
    page = _phone(context)
    page.goto(server.board_url(group))
    page.fill("#body", "Posted in time")
    page.get_by_role("button", name="Post anonymously").click()
    expect(page.locator("#post-notice")).to_have_text(re.compile("^Posted"))
    end = closes_at(server.schedule)
    assert end is not None
    page.fill("#body", "Half written when the groups end")
    server.set_time(end)  # the open page turns read-only by itself, at the app clock's end of the breakout
    expect(page.locator("#board-closed")).to_have_text(re.compile("This board closed at 14:55"))
    expect(page.get_by_role("button", name="Post anonymously")).to_be_hidden()
    assert page.locator("#body").input_value() == "Half written when the groups end"  # kept, to copy
    assert page.locator("button.vote").count() == 0
    page.reload()
    expect(page.locator("#board-closed")).to_be_visible()
    assert page.locator("#post-form").count() == 0
    assert _bodies(page) == ["Posted in time"]
