"""Files a director hands on: facilitator calendars (.ics) and Zoom's pre-assignment CSV."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from facilitator.calendars import detailed_calendar, facilitator_attendee
from facilitator.schedule.model import Schedule

ZOOM_CSV_HEADER = ("Pre-assign Room Name", "Email Address")


def facilitator_calendar(
    schedule: Schedule,
    facilitator_id: str,
    page_url: str | None = None,
    *,
    sequence: int = 0,
    dtstamp: datetime,
    join_url: str | None = None,
) -> bytes:
    """A physician's day as a calendar file: plenaries, their talk, each visit (with an alarm at
    the cue lead time) and their Zoom link. See calendars.py for UIDs, SEQUENCE and DTSTAMP."""
    who = facilitator_attendee(schedule, facilitator_id)
    return detailed_calendar(
        schedule, who, sequence=sequence, dtstamp=dtstamp, join_url=join_url, page_url=page_url
    )


def zoom_preassign_csv(schedule: Schedule) -> str:
    """Zoom's breakout pre-assignment CSV, for directors who create the meeting by hand."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(ZOOM_CSV_HEADER)
    for group in schedule.groups:
        for email in group.students:
            writer.writerow((group.name, email))
    return out.getvalue()
