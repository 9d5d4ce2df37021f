"""Calendar invitations (iCalendar, RFC 5545 with iTIP methods, RFC 5546) for students and physicians.

Two shapes, both pure functions of a Schedule and two numbers the caller owns:

* `invitation(...)`: `METHOD:REQUEST` with ONE event for the whole session, attached to each
  person's invitation email. One event, because an iTIP request carries one UID and calendar
  clients take the first event of a request; its description lists the person's own day (the
  plenary, their talk or their room, a physician's rotation visits) in their own time zone,
  and its location is their Zoom join link. `cancellation(...)` is the same event with
  `METHOD:CANCEL`, for someone removed from the session.
* `detailed_calendar(...)`: `METHOD:PUBLISH`, one event per stop (plenaries, the talk, each
  visit with an alarm at the cue lead, or the student's room), the download link's file.

Clients replace an entry when the UID matches and the SEQUENCE is higher (DTSTAMP breaks ties),
so UIDs are derived from the session and the person (never random), `sequence` is the plan's
revision counter (`SessionRecord.plan_revision`, raised on every plan change) and `dtstamp` is
when the file is made. Both are parameters, never read here: the same inputs give the same bytes.
All times are written in UTC (`...Z`), which every client converts to the reader's zone; the
descriptions use the person's own zone, named.

A student's UID carries a digest of their address, not the address: calendar UIDs travel.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event, vCalAddress, vText

from facilitator.schedule.model import Schedule

PRODID = "-//facilitator//session invitations//EN"
Method = Literal["REQUEST", "CANCEL", "PUBLISH"]


@dataclass(frozen=True)
class Attendee:
    """Whoever a calendar is for: a facilitator (by id) or a student (by email and group)."""

    email: str
    name: str
    timezone: str
    facilitator_id: str | None = None
    group_id: str | None = None  # a student's room

    @property
    def key(self) -> str:
        """The stable, non-identifying part of this person's UIDs."""
        if self.facilitator_id is not None:
            return self.facilitator_id
        if not self.email:
            return f"room-{self.group_id}"
        return "student-" + hashlib.sha256(self.email.strip().lower().encode()).hexdigest()[:16]


def facilitator_attendee(schedule: Schedule, facilitator_id: str) -> Attendee:
    fac = schedule.facilitator(facilitator_id)
    return Attendee(fac.email, fac.name, fac.timezone, facilitator_id=fac.id)


def student_attendee(schedule: Schedule, email: str) -> Attendee:
    """The student with this address; KeyError when the schedule has none."""
    wanted = email.strip().lower()
    student = next((s for s in schedule.students if s.email.strip().lower() == wanted), None)
    if student is None:
        raise KeyError(f"no student {email!r} in this schedule")
    return Attendee(student.email, student.name, student.timezone, group_id=student.group)


def room_attendee(schedule: Schedule, group_id: str) -> Attendee:
    """A room's calendar, the same for every student in it (the board's download: no identity)."""
    group = schedule.group(group_id)
    return Attendee("", group.name, schedule.session.timezone, group_id=group.id)


def invitation_uid(schedule: Schedule, who: Attendee) -> str:
    return f"{schedule.session.id}-{who.key}@facilitator"


@dataclass(frozen=True)
class _Stop:
    start: datetime
    end: datetime
    what: str
    kind: str  # plenary | talk | break | room | visit
    index: int


def _stops(schedule: Schedule, who: Attendee) -> list[_Stop]:
    """The person's day: plenaries and breaks, their talk, their room or their visits."""
    stops: list[_Stop] = []
    for n, item in enumerate(schedule.timeline):
        if item.kind == "plenary":
            stops.append(_Stop(item.start, item.end, f"{item.title} (main room)", "plenary", n))
        elif item.kind == "break":
            stops.append(_Stop(item.start, item.end, item.title, "break", n))
        elif item.kind == "talk" and who.facilitator_id and item.speaker == who.facilitator_id:
            stops.append(_Stop(item.start, item.end, f"Your talk: {item.title}", "talk", n))
        elif item.kind == "breakout" and who.group_id:
            name = schedule.group(who.group_id).name
            stops.append(_Stop(item.start, item.end, f"{item.title}: your room is {name}", "room", n))
        elif item.kind == "slot" and who.facilitator_id and item.slot is not None:
            gid = schedule.rotation.room_of(who.facilitator_id, item.slot)
            if gid is not None:
                group = schedule.group(gid)
                what = f"Visit {group.name} ({len(group.students)} students)"
                stops.append(_Stop(item.start, item.end, what, "visit", item.slot))
    return sorted(stops, key=lambda s: (s.start, s.start - s.end))


def agenda(schedule: Schedule, who: Attendee) -> list[str]:
    """`14:30–14:55  Visit Group 5 (10 students)`, in the person's own zone."""
    tz = ZoneInfo(who.timezone)
    return [
        f"{s.start.astimezone(tz):%H:%M}–{s.end.astimezone(tz):%H:%M}  {s.what}"
        for s in _stops(schedule, who)
    ]


def _calendar(method: Method) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    return cal


def _people(event: Event, schedule: Schedule, who: Attendee, cancelled: bool) -> None:
    organizer = vCalAddress(f"mailto:{schedule.session.host_email}")
    organizer.params["cn"] = vText(f"{schedule.session.title} (course director)")
    event.add("organizer", organizer)
    attendee = vCalAddress(f"mailto:{who.email}")
    attendee.params["cn"] = vText(who.name)
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    attendee.params["partstat"] = vText("DECLINED" if cancelled else "NEEDS-ACTION")
    attendee.params["rsvp"] = vText("FALSE")
    event.add("attendee", attendee)


def invitation(
    schedule: Schedule,
    who: Attendee,
    *,
    sequence: int,
    dtstamp: datetime,
    join_url: str | None = None,
    page_url: str | None = None,
    method: Literal["REQUEST", "CANCEL"] = "REQUEST",
) -> bytes:
    """The whole session as one invitation (or its cancellation) for one person."""
    session = schedule.session
    cancelled = method == "CANCEL"
    cal = _calendar(method)
    event = Event()
    event.add("uid", invitation_uid(schedule, who))
    event.add("sequence", sequence)
    event.add("dtstamp", dtstamp)
    event.add("dtstart", session.start)
    event.add("dtend", session.end)
    event.add("summary", f"{'Cancelled: ' if cancelled else ''}{session.title}")
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    _people(event, schedule, who, cancelled)
    if cancelled:
        event.add(
            "description", "You are no longer expected at this session; this removes it from your calendar."
        )
    else:
        lines = [f"Your day ({who.timezone}):", *agenda(schedule, who)]
        if who.facilitator_id is None and who.group_id:
            lines.insert(0, f"Your small group: {schedule.group(who.group_id).name}")
        if join_url:
            lines += ["", f"Join on Zoom (your personal link): {join_url}"]
            event.add("url", join_url)
        if page_url:
            lines += ["", f"Your live page: {page_url}"]
        event.add("description", "\n".join(lines))
        event.add("location", join_url or "Zoom (the link is in your invitation email)")
    cal.add_component(event)
    return bytes(cal.to_ical())


def cancellation(schedule: Schedule, who: Attendee, *, sequence: int, dtstamp: datetime) -> bytes:
    """`METHOD:CANCEL` for a person removed from the session (same UID, a higher sequence)."""
    return invitation(schedule, who, sequence=sequence, dtstamp=dtstamp, method="CANCEL")


def detailed_calendar(
    schedule: Schedule,
    who: Attendee,
    *,
    sequence: int,
    dtstamp: datetime,
    join_url: str | None = None,
    page_url: str | None = None,
) -> bytes:
    """`METHOD:PUBLISH`, one event per stop; physicians' visits carry an alarm at the cue lead."""
    session = schedule.session
    cal = _calendar("PUBLISH")
    cal.add("x-wr-calname", f"{session.title}: {who.name}")
    cal.add("x-wr-timezone", who.timezone)
    where = join_url or "Zoom (the link is in your invitation email)"
    for stop in _stops(schedule, who):
        event = Event()
        event.add("uid", f"{session.id}-{who.key}-{stop.kind}{stop.index}@facilitator")
        event.add("sequence", sequence)
        event.add("dtstamp", dtstamp)
        event.add("dtstart", stop.start)
        event.add("dtend", stop.end)
        event.add("summary", f"{stop.what}: {session.title}")
        lines = [stop.what]
        if stop.kind == "visit":
            gid = schedule.rotation.room_of(str(who.facilitator_id), stop.index)
            if gid is not None:
                lines.append(f"Prompt: {schedule.group(gid).prompt}")
            _alarm(event, schedule.cue_lead, stop.what)
        if join_url:
            lines.append(f"Join on Zoom: {join_url}")
            event.add("url", join_url)
        if page_url:
            lines.append(f"Your live page: {page_url}")
            if not join_url:
                event.add("url", page_url)
        event.add("description", "\n".join(lines))
        event.add("location", where)
        cal.add_component(event)
    return bytes(cal.to_ical())


def _alarm(event: Event, lead: timedelta, what: str) -> None:
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", f"In {int(lead.total_seconds() // 60)} minutes: {what}")
    alarm.add("trigger", -lead if lead else timedelta())
    event.add_component(alarm)


def person_attendee(schedule: Schedule, audience: str, recipient_id: str) -> Attendee:
    """A message's recipient as an Attendee: `audience` is "facilitator" (recipient_id is their
    id) or "student" (recipient_id is their email). KeyError when the schedule has no such person."""
    if audience == "facilitator":
        if recipient_id not in {f.id for f in schedule.facilitators}:
            raise KeyError(f"no facilitator {recipient_id!r} in this schedule")
        return facilitator_attendee(schedule, recipient_id)
    return student_attendee(schedule, recipient_id)


def invitation_for(
    schedule: Schedule,
    audience: str,
    recipient_id: str,
    *,
    sequence: int,
    dtstamp: datetime,
    join_url: str | None = None,
    page_url: str | None = None,
    cancel: bool = False,
) -> bytes:
    """The invitation update (or, with `cancel`, the cancellation) for one person of a session,
    for code that reconciles a changed plan: build it against the NEW schedule with the raised
    revision as `sequence` (for a removed person, against the OLD schedule, which still has them)."""
    who = person_attendee(schedule, audience, recipient_id)
    if cancel:
        return cancellation(schedule, who, sequence=sequence, dtstamp=dtstamp)
    return invitation(schedule, who, sequence=sequence, dtstamp=dtstamp, join_url=join_url, page_url=page_url)
