"""Calendar invitations, checked by parsing them back with the `icalendar` package, and an
update re-imported into a calendar the way clients do it (same UID, higher SEQUENCE wins)."""

from __future__ import annotations

import email
from datetime import UTC, datetime, timedelta
from email.policy import default
from typing import Any

import pytest
from icalendar import Calendar

from facilitator.calendars import (
    cancellation,
    detailed_calendar,
    facilitator_attendee,
    invitation,
    invitation_for,
    invitation_uid,
    room_attendee,
    student_attendee,
)
from facilitator.delivery.channels.mime import build_mime
from facilitator.plan.loader import load_plan_text
from facilitator.schedule.build import build_schedule
from tests.web.conftest import PLAN, loaded_plan, seed_schedule

S = seed_schedule()
STAMP = datetime(2027, 1, 13, 9, 0, tzinfo=UTC)
JOIN = "https://zoom.us/w/85012345678?tk=personal-okafor"


def _event(raw: bytes) -> Any:
    cal = Calendar.from_ical(raw)
    events = cal.walk("VEVENT")
    assert len(events) == 1
    return cal, events[0]


def test_physician_invitation_is_a_request_for_the_whole_session() -> None:
    who = facilitator_attendee(S, "dr-okafor")
    raw = invitation(S, who, sequence=0, dtstamp=STAMP, join_url=JOIN, page_url="https://f.example.edu/f/t")
    cal, event = _event(raw)
    assert str(cal["method"]) == "REQUEST"
    assert str(event["uid"]) == f"{S.session.id}-dr-okafor@facilitator"
    assert int(event["sequence"]) == 0 and event["dtstamp"].dt == STAMP
    assert event["dtstart"].dt == S.session.start and event["dtend"].dt == S.session.end
    assert b"DTSTART:20270114T180000Z" in raw  # UTC on the wire: every client converts it
    assert str(event["organizer"]) == f"mailto:{S.session.host_email}"
    assert str(event["attendee"]) == f"mailto:{who.email}"
    assert str(event["location"]) == JOIN and str(event["url"]) == JOIN
    text = str(event["description"])
    g1 = S.group(str(S.rotation.room_of("dr-okafor", 0))).name
    g2 = S.group(str(S.rotation.room_of("dr-okafor", 1))).name
    for line in (
        "Your day (America/New_York):",
        "13:00–14:00  Sharing plenary (main room)",
        "13:00–13:20  Your talk: Failing my boards, and what came after",
        f"14:00–14:25  Visit {g1}",
        f"14:30–14:55  Visit {g2}",
        "14:55–15:10  Wrap-up (main room)",
        f"Join on Zoom (your personal link): {JOIN}",
    ):
        assert line in text, line


def test_physician_in_another_zone_reads_their_own_times() -> None:
    text = str(
        _event(invitation(S, facilitator_attendee(S, "dr-lindqvist"), sequence=0, dtstamp=STAMP))[1][
            "description"
        ]
    )
    assert "Your day (America/Chicago):" in text and "12:00–13:00  Sharing plenary (main room)" in text


def test_student_invitation_names_their_room_and_carries_no_address_in_the_uid() -> None:
    student = S.students[0]
    who = student_attendee(S, student.email.upper())
    _, event = _event(invitation(S, who, sequence=0, dtstamp=STAMP, join_url="https://zoom.us/w/1?tk=s"))
    text = str(event["description"])
    assert text.startswith(f"Your small group: {S.group(student.group).name}")
    assert f"Small groups: your room is {S.group(student.group).name}" in text
    assert "Your talk" not in text and "Visit " not in text
    uid = str(event["uid"])
    assert student.email.split("@")[0] not in uid and uid == invitation_uid(S, who)


def test_same_inputs_same_bytes() -> None:
    who = facilitator_attendee(S, "dr-marchetti")
    assert invitation(S, who, sequence=2, dtstamp=STAMP) == invitation(S, who, sequence=2, dtstamp=STAMP)


def _changed_plan() -> Any:
    """The seed plan with a plenary 30 minutes longer: the breakout and wrap-up move later."""
    text = loaded_plan().text.replace("    duration: 60m\n", "    duration: 90m\n")
    assert text != loaded_plan().text
    return build_schedule(load_plan_text(text, file=str(PLAN), base_dir=PLAN.parent))


class ClientCalendar:
    """What a calendar client keeps: one entry per UID, replaced by a REQUEST with a higher
    SEQUENCE (or the same SEQUENCE and a newer DTSTAMP), removed by a CANCEL (RFC 5546 2.1.5)."""

    def __init__(self) -> None:
        self.entries: dict[str, Any] = {}

    def receive(self, raw: bytes) -> None:
        cal = Calendar.from_ical(raw)
        method = str(cal["method"])
        for event in cal.walk("VEVENT"):
            uid = str(event["uid"])
            known = self.entries.get(uid)
            if known is not None:
                newer = (int(event["sequence"]), event["dtstamp"].dt) > (
                    int(known["sequence"]),
                    known["dtstamp"].dt,
                )
                if not newer:
                    continue
            if method == "CANCEL":
                self.entries.pop(uid, None)
            else:
                self.entries[uid] = event


def test_an_update_replaces_the_entry_and_a_stale_copy_does_not() -> None:
    changed = _changed_plan()
    assert changed.session.id == S.session.id  # the session keeps its identity
    client = ClientCalendar()
    first = invitation(S, facilitator_attendee(S, "dr-okafor"), sequence=0, dtstamp=STAMP)
    client.receive(first)
    later = STAMP + timedelta(hours=3)
    update = invitation(changed, facilitator_attendee(changed, "dr-okafor"), sequence=1, dtstamp=later)
    client.receive(update)
    (entry,) = client.entries.values()
    assert int(entry["sequence"]) == 1 and entry["dtstamp"].dt == later
    assert entry["dtend"].dt == S.session.end + timedelta(minutes=30)
    assert "13:00–14:30  Sharing plenary (main room)" in str(entry["description"])
    assert "15:25–15:40  Wrap-up (main room)" in str(entry["description"])
    client.receive(first)  # the original arriving late (a resend) changes nothing
    (entry,) = client.entries.values()
    assert int(entry["sequence"]) == 1


def test_cancellation_removes_a_removed_person() -> None:
    student = S.students[3]
    who = student_attendee(S, student.email)
    client = ClientCalendar()
    client.receive(invitation(S, who, sequence=0, dtstamp=STAMP))
    cancel = cancellation(S, who, sequence=1, dtstamp=STAMP + timedelta(days=1))
    cal, event = _event(cancel)
    assert str(cal["method"]) == "CANCEL" and str(event["status"]) == "CANCELLED"
    assert str(event["uid"]) == invitation_uid(S, who)
    client.receive(cancel)
    assert client.entries == {}
    same = invitation_for(
        S, "student", student.email, sequence=1, dtstamp=STAMP + timedelta(days=1), cancel=True
    )
    assert same == cancel


def test_invitation_for_unknown_people_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        invitation_for(S, "facilitator", "dr-nobody", sequence=0, dtstamp=STAMP)
    with pytest.raises(KeyError):
        invitation_for(S, "student", "nobody@example.edu", sequence=0, dtstamp=STAMP)


def test_room_download_names_no_student_and_covers_the_day() -> None:
    gid = S.groups[0].id
    raw = detailed_calendar(S, room_attendee(S, gid), sequence=3, dtstamp=STAMP)
    cal = Calendar.from_ical(raw)
    assert str(cal["method"]) == "PUBLISH"
    summaries = [str(e["summary"]) for e in cal.walk("VEVENT")]
    assert summaries[1].startswith(f"Small groups: your room is {S.group(gid).name}")
    assert all(int(e["sequence"]) == 3 for e in cal.walk("VEVENT"))
    assert not any(s.email.encode() in raw for s in S.students)


def test_email_carries_the_invitation_as_calendar_clients_expect() -> None:
    raw_ics = invitation(S, facilitator_attendee(S, "dr-okafor"), sequence=4, dtstamp=STAMP, join_url=JOIN)
    raw = build_mime(
        sender="Facilitator <facilitator@example.edu>",
        recipient="amara.okafor@example.edu",
        subject="Your itinerary",
        text="Dear Dr. Okafor,\nyour day.",
        html="<p>Dear Dr. Okafor, your day.</p>",
        date=STAMP,
        message_id="<x@facilitator.local>",
        key="sle/facilitator_welcome/dr-okafor",
        calendar=raw_ics,
    )
    msg = email.message_from_bytes(raw, policy=default)
    assert msg.get_content_type() == "multipart/mixed"
    types = [p.get_content_type() for p in msg.walk()]
    assert types == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "text/calendar",
        "application/ics",
    ]
    inline = next(p for p in msg.walk() if p.get_content_type() == "text/calendar")
    assert inline.get_param("method") == "REQUEST" and inline.get_content_charset() == "utf-8"
    assert inline.get_payload(decode=True) == raw_ics
    attached = next(p for p in msg.walk() if p.get_content_type() == "application/ics")
    assert attached.get_filename() == "invite.ics" and attached.get_payload(decode=True) == raw_ics
    assert "your day" in next(p for p in msg.walk() if p.get_content_type() == "text/plain").get_content()
    cancel = cancellation(S, facilitator_attendee(S, "dr-okafor"), sequence=5, dtstamp=STAMP)
    raw = build_mime(
        sender="f@example.edu", recipient="amara.okafor@example.edu", subject="Cancelled", text="x",
        html=None, date=STAMP, message_id="<y@facilitator.local>", key="k", calendar=cancel,
    )  # fmt: skip
    msg = email.message_from_bytes(raw, policy=default)
    inline = next(p for p in msg.walk() if p.get_content_type() == "text/calendar")
    assert inline.get_param("method") == "CANCEL"
