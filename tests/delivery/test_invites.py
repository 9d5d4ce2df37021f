"""Invitation emails carry the calendar invitation; other messages do not; SEQUENCE is the plan
revision and DTSTAMP the time of rendering."""

from __future__ import annotations

from datetime import timedelta

import pytest
from icalendar import Calendar

from facilitator.clock import ManualClock
from facilitator.delivery.context import MessageContextBuilder, MessageRenderer
from facilitator.delivery.invites import InvitationCalendars
from facilitator.delivery.render import Renderer, RenderError
from facilitator.links import LinkSigner
from tests.web.conftest import seed_schedule

S = seed_schedule()
SIGNER = LinkSigner("link-secret-for-tests-0123456789abcdef", "https://facilitator.example.edu")


def _renderer(revision: int, clock: ManualClock) -> MessageRenderer:
    joins = {s.email: f"https://zoom.us/w/1?tk=s{i}" for i, s in enumerate(S.students)}
    joins.update({f.email: f"https://zoom.us/w/1?tk=f-{f.id}" for f in S.facilitators})
    builder = MessageContextBuilder(S, SIGNER, "survey-secret", joins)
    return MessageRenderer(Renderer(), builder, InvitationCalendars(S, clock, revision))


def test_invitations_carry_a_request_and_other_messages_do_not() -> None:
    clock = ManualClock(S.session.start - timedelta(days=1))
    render = _renderer(3, clock)
    kinds: dict[str, int] = {}
    for msg in S.messages:
        out = render.render(msg)
        if out.calendar is None:
            continue
        kinds[msg.kind.value] = kinds.get(msg.kind.value, 0) + 1
        cal = Calendar.from_ical(out.calendar)
        event = cal.walk("VEVENT")[0]
        assert str(cal["method"]) == "REQUEST" and int(event["sequence"]) == 3
        assert event["dtstamp"].dt == clock.now()
        assert "zoom.us/w/1?tk=" in str(event["location"])
    assert kinds == {"invitation": len(S.students), "facilitator_welcome": len(S.facilitators)}


def test_student_invitation_text_points_at_the_attachment_and_the_download() -> None:
    render = _renderer(0, ManualClock(S.session.start))
    msg = next(m for m in S.messages if m.kind.value == "invitation")
    out = render.render(msg)
    assert "calendar invitation is attached" in out.text and "/calendar.ics" in out.text
    welcome = next(m for m in S.messages if m.kind.value == "facilitator_welcome")
    assert "calendar invitation for the session is attached" in render.render(welcome).text


def test_a_recipient_missing_from_the_schedule_fails_that_message_only() -> None:
    calendars = InvitationCalendars(S, ManualClock(S.session.start), 0)
    with pytest.raises(RenderError, match="no calendar invitation"):
        calendars.for_message("invitation", "student", "ghost@example.edu", {})
    assert calendars.for_message("heads_up", "facilitator", "dr-okafor", {}) is None


def test_follow_up_and_board_emails_name_the_support_contacts_and_who_sees_posts() -> None:
    render = _renderer(0, ManualClock(S.session.start))
    resources = render.render(next(m for m in S.messages if m.kind.value == "resources"))
    board = render.render(next(m for m in S.messages if m.kind.value == "board_link"))
    for out in (resources, board):
        assert "24/7 crisis line: +1 555 0199 (24/7)" in out.text
        assert out.html is not None and 'href="tel:+15550199"' in out.html
    for who in ("the physician who facilitates it", "the course director", "anonymous export"):
        assert who in board.text
    assert "stops taking posts when the small groups end" in board.text
