"""Test doubles for provisioning: an in-memory store and a seed-like schedule.

`InMemoryProvisionStore` is a TEST DOUBLE of the four `Store` methods provisioning uses
(the real one is `facilitator.store.sqlite.SqliteStore`, also tested against provisioning).
`CrashingStore` wraps it to fail at a chosen save, the way a killed process would.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from facilitator.schedule.model import (
    FacilitatorInfo,
    Group,
    Rotation,
    Schedule,
    SessionSummary,
    StudentInfo,
)
from facilitator.store.base import MeetingRecord, RegistrantRecord

FIRST = ["Ada", "Bo", "Chen", "Dana", "Eli", "Fatima", "Goran", "Hana", "Ivo", "Jun", "Kemi", "Luis"]
LAST = ["Abara", "Berg", "Costa", "Dvorak", "Eze", "Fischer", "Garcia", "Haddad", "Ito", "Jensen"]


class InMemoryProvisionStore:
    """TEST DOUBLE: load/save meeting and registrants, kept in dicts (upsert, like SQLite's)."""

    def __init__(self) -> None:
        self.meetings: dict[str, MeetingRecord] = {}
        self.registrants: dict[tuple[str, str], RegistrantRecord] = {}
        self.meeting_saves = 0
        self.registrant_saves = 0

    async def load_meeting(self, session_id: str) -> MeetingRecord | None:
        return self.meetings.get(session_id)

    async def save_meeting(self, record: MeetingRecord) -> None:
        self.meeting_saves += 1
        self.meetings[record.session_id] = record

    async def load_registrants(self, session_id: str) -> dict[str, RegistrantRecord]:
        return {email: r for (sid, email), r in self.registrants.items() if sid == session_id}

    async def save_registrants(self, records: Sequence[RegistrantRecord]) -> None:
        self.registrant_saves += 1
        for r in records:
            self.registrants[(r.session_id, r.email)] = r


class Crash(Exception):
    """What a killed process looks like to the code that was running."""


class CrashingStore(InMemoryProvisionStore):
    """TEST DOUBLE that dies at the Nth meeting save or Nth registrant save (1-based)."""

    def __init__(self, *, meeting_save: int | None = None, registrant_save: int | None = None) -> None:
        super().__init__()
        self.crash_meeting_save = meeting_save
        self.crash_registrant_save = registrant_save

    async def save_meeting(self, record: MeetingRecord) -> None:
        if self.crash_meeting_save is not None and self.meeting_saves + 1 == self.crash_meeting_save:
            self.crash_meeting_save = None
            raise Crash("killed before saving the meeting")
        await super().save_meeting(record)

    async def save_registrants(self, records: Sequence[RegistrantRecord]) -> None:
        if self.crash_registrant_save is not None and self.registrant_saves + 1 == self.crash_registrant_save:
            self.crash_registrant_save = None
            self.registrant_saves += 1
            raise Crash("killed before saving a batch of registrants")
        await super().save_registrants(records)


def seed_like_schedule(
    *,
    students: int = 61,
    groups: int = 6,
    facilitators: int = 3,
    session_id: str = "seed-study-20270114-1300",
    title: str = "Shared Living Experiences",
    start: datetime = datetime(2027, 1, 14, 18, 0, tzinfo=UTC),
    zoom_options: dict[str, object] | None = None,
) -> Schedule:
    """The seed study's shape (61 students, 3 physicians, 6 groups) with invented people."""
    student_infos = []
    for i in range(students):
        name = f"{FIRST[i % len(FIRST)]} {LAST[(i // len(FIRST)) % len(LAST)]}"
        group = f"group-{i % groups + 1}"
        student_infos.append(StudentInfo(f"student{i + 1:03d}@example.edu", name, "America/New_York", group))
    group_list = tuple(
        Group(
            id=f"group-{g + 1}",
            name=f"Group {g + 1}",
            students=tuple(sorted(s.email for s in student_infos if s.group == f"group-{g + 1}")),
            prompt="What stayed with you?",
        )
        for g in range(groups)
    )
    facilitator_infos = tuple(
        FacilitatorInfo(
            f"dr-{k + 1}",
            f"Dr. Physician {LAST[k]}",
            f"physician{k + 1}@example.edu",
            "America/New_York",
            "email",
        )
        for k in range(facilitators)
    )
    options: dict[str, object] = {
        "host_email": "course.director@example.edu",
        "waiting_room": True,
        "mute_upon_entry": True,
        "join_before_host": False,
        "auto_recording": "none",
        "alternative_hosts": True,
    }
    options.update(zoom_options or {})
    session = SessionSummary(
        id=session_id,
        title=title,
        start=start,
        end=start + timedelta(hours=2, minutes=10),
        timezone="America/New_York",
        study="sle",
        host_email=str(options["host_email"]),
        zoom=options,
    )
    return Schedule(
        session=session,
        timeline=(),
        facilitators=facilitator_infos,
        students=tuple(student_infos),
        groups=group_list,
        rotation=Rotation(lower_bound=0, optimal=True, slots=()),
        messages=(),
    )
