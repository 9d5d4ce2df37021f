"""Files a director hands on: facilitator calendars (.ics) and Zoom's pre-assignment CSV."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from icalendar import Alarm, Calendar, Event

from facilitator.schedule.model import Schedule

ZOOM_CSV_HEADER = ("Pre-assign Room Name", "Email Address")


def facilitator_calendar(schedule: Schedule, facilitator_id: str, page_url: str | None = None) -> bytes:
    """One event per visit, naming the room, with an alarm at the cue lead time."""
    fac = schedule.facilitator(facilitator_id)
    cal = Calendar()
    cal.add("prodid", "-//facilitator//session schedule//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"{schedule.session.title}: {fac.name}")
    cal.add("x-wr-timezone", fac.timezone)
    for slot, visit in schedule.rotation.visits_of(facilitator_id):
        group = schedule.group(visit.group)
        event = Event()
        event.add("uid", f"{schedule.session.id}-{facilitator_id}-slot{slot.index}@facilitator")
        event.add("dtstamp", schedule.session.start)
        event.add("dtstart", slot.start)
        event.add("dtend", slot.end)
        event.add("summary", f"{group.name} ({len(group.students)} students): {schedule.session.title}")
        description = f"Breakout room: {group.name}\nPrompt: {group.prompt}"
        if page_url:
            description += f"\nYour live page: {page_url}"
            event.add("url", page_url)
        event.add("description", description)
        event.add("location", f"Zoom breakout room {group.name}")
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", f"In {int(schedule.cue_lead.total_seconds() // 60)} minutes: {group.name}")
        alarm.add("trigger", -schedule.cue_lead if schedule.cue_lead else timedelta())
        event.add_component(alarm)
        cal.add_component(event)
    return bytes(cal.to_ical())


def zoom_preassign_csv(schedule: Schedule) -> str:
    """Zoom's breakout pre-assignment CSV, for directors who create the meeting by hand."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(ZOOM_CSV_HEADER)
    for group in schedule.groups:
        for email in group.students:
            writer.writerow((group.name, email))
    return out.getvalue()
