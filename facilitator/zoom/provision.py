"""Schedule -> one Zoom meeting with pre-assigned rooms, and a personal join link per person.

Idempotent by design: running it again never makes a second meeting nor registers anyone twice.
* The meeting: the store remembers it. On a rerun we GET it; if it was deleted on Zoom we make a
  new one; if the rooms, time or title changed (fingerprint, or what Zoom reports) we PATCH it.
  Before creating, a "pending" record is saved, so a crash between Zoom's answer and our save
  is resolved next time by looking the meeting up (topic + start time) instead of creating again.
* Registrants: saved after every batch of 30, so a restart resumes where it stopped. On a rerun
  with people still missing, one listing of Zoom's registrants first picks up anyone a crashed
  run registered but did not save (Zoom allows only 3 adds per person per meeting per day).
Zoom calls on a first run: 1 create + ceil(people / 30) batch registrations. Nothing else.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from facilitator.schedule.model import Schedule
from facilitator.store.base import MeetingRecord, RegistrantRecord
from facilitator.zoom.client import ZoomClient
from facilitator.zoom.errors import ZoomNotFound
from facilitator.zoom.models import (
    MAX_BATCH_REGISTRANTS,
    MAX_BREAKOUT_ROOMS,
    MAX_PREASSIGNED,
    BatchRegistrant,
    BreakoutEcho,
    BreakoutRoom,
    BreakoutRoomSettings,
    Meeting,
    MeetingRequest,
    MeetingSettings,
)

PENDING_MEETING_ID = 0  # a MeetingRecord with this id means "creation was started, outcome unknown"


class ProvisionStore(Protocol):
    """The part of `store.base.Store` provisioning needs."""

    async def load_meeting(self, session_id: str) -> MeetingRecord | None: ...
    async def save_meeting(self, record: MeetingRecord) -> None: ...
    async def load_registrants(self, session_id: str) -> dict[str, RegistrantRecord]: ...
    async def save_registrants(self, records: Sequence[RegistrantRecord]) -> None: ...


class ProvisionError(ValueError):
    """The schedule asks for something Zoom cannot do (too many rooms or pre-assigned people)."""


@dataclass(frozen=True)
class ProvisionResult:
    meeting: MeetingRecord
    join_urls: Mapping[str, str]  # email -> personal join URL (students and facilitators)
    created: bool  # a meeting was created in this run
    updated: bool  # the meeting was changed (PATCH) in this run
    registered: int  # people registered in this run


@dataclass(frozen=True)
class Person:
    email: str
    first_name: str
    last_name: str | None


def is_pending(record: MeetingRecord) -> bool:
    """True when a create was started but its result never saved (see module docstring)."""
    return record.meeting_id == PENDING_MEETING_ID


def _split_name(name: str) -> tuple[str, str | None]:
    parts = name.strip().rsplit(" ", 1)
    if len(parts) == 2 and parts[0].strip():
        return parts[0].strip()[:64], parts[1][:64]
    return (name.strip() or "Participant")[:64], None


def people(schedule: Schedule) -> list[Person]:
    """Everyone to register: students, then facilitators; each email once."""
    seen: set[str] = set()
    out: list[Person] = []
    for email, name in [(s.email, s.name) for s in schedule.students] + [
        (f.email, f.name) for f in schedule.facilitators
    ]:
        key = email.lower()
        if key not in seen:
            seen.add(key)
            out.append(Person(key, *_split_name(name)))
    return out


def rooms(schedule: Schedule) -> list[BreakoutRoom]:
    """One room per group, named after it, with the group's students pre-assigned."""
    out = [
        BreakoutRoom(name=g.name[:255], participants=sorted(e.lower() for e in g.students))
        for g in schedule.groups
    ]
    if len(out) > MAX_BREAKOUT_ROOMS:
        raise ProvisionError(
            f"Zoom pre-assigns at most {MAX_BREAKOUT_ROOMS} breakout rooms; this plan has {len(out)}"
        )
    assigned = sum(len(r.participants) for r in out)
    if assigned > MAX_PREASSIGNED:
        raise ProvisionError(
            f"Zoom pre-assigns at most {MAX_PREASSIGNED} people to rooms; this plan has {assigned}"
        )
    return out


def meeting_request(schedule: Schedule) -> MeetingRequest:
    """The create/update body for the session's meeting (always complete, so a PATCH restores all)."""
    s = schedule.session
    options = s.zoom
    alternative = (
        ";".join(f.email for f in schedule.facilitators) if options.get("alternative_hosts", True) else ""
    )
    group_names = ", ".join(g.name for g in schedule.groups)
    return MeetingRequest(
        topic=s.title[:200],
        type=2,
        start_time=s.start,
        duration=max(1, -(-int((s.end - s.start).total_seconds()) // 60)),
        timezone=s.timezone,
        agenda=f"{s.title}. Breakout groups: {group_names}."[:2000],
        settings=MeetingSettings(
            approval_type=0,  # registration, auto-approved: everyone gets a personal join link
            registrants_confirmation_email=False,  # our own invitation says more (room, surveys)
            registrants_email_notification=False,
            alternative_hosts=alternative,
            waiting_room=bool(options.get("waiting_room", True)),
            join_before_host=bool(options.get("join_before_host", False)),
            mute_upon_entry=bool(options.get("mute_upon_entry", True)),
            auto_recording=options.get("auto_recording", "none"),
            breakout_room=BreakoutRoomSettings(enable=True, rooms=rooms(schedule)),
        ),
    )


def fingerprint(body: MeetingRequest) -> str:
    """A hash of everything we manage on the meeting: a change means "PATCH it"."""
    canonical = json.dumps(body.body(), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def _rooms_of(breakout: BreakoutRoomSettings | BreakoutEcho | None) -> list[tuple[str, tuple[str, ...]]]:
    rooms = (breakout.rooms if breakout else None) or []
    return sorted((r.name, tuple(sorted(p.lower() for p in r.participants))) for r in rooms)


def _drifted(meeting: Meeting, body: MeetingRequest) -> bool:
    """Did someone change the meeting on Zoom (rooms, time, length, title) since we set it?"""
    wanted = body.settings.breakout_room if body.settings else None
    return (
        _rooms_of(meeting.settings.breakout_room if meeting.settings else None) != _rooms_of(wanted)
        or meeting.start_time != body.start_time
        or meeting.duration != body.duration
        or meeting.topic != body.topic
    )


async def _create(
    schedule: Schedule, zoom: ZoomClient, store: ProvisionStore, body: MeetingRequest, fp: str
) -> MeetingRecord:
    s = schedule.session
    pending = MeetingRecord(s.id, PENDING_MEETING_ID, "", "", s.host_email, f"pending:{fp}")
    await store.save_meeting(pending)
    meeting = await zoom.create_meeting(s.host_email, body)
    record = MeetingRecord(s.id, meeting.id, meeting.uuid or "", meeting.join_url or "", s.host_email, fp)
    await store.save_meeting(record)
    return record


async def _meeting(
    schedule: Schedule, zoom: ZoomClient, store: ProvisionStore, say: Callable[[str], None]
) -> tuple[MeetingRecord, bool, bool]:
    """The session's meeting as it should be: (record, created, updated)."""
    s = schedule.session
    body = meeting_request(schedule)
    fp = fingerprint(body)
    record = await store.load_meeting(s.id)
    if record is not None and is_pending(record):
        found = await zoom.find_meeting(s.host_email, body.topic or "", s.start)
        record = None
        if found is not None:  # an earlier run created it but stopped before saving
            say(f"Found the Zoom meeting {found.id} an interrupted run created")
            record = MeetingRecord(s.id, found.id, found.uuid or "", found.join_url or "", s.host_email, "")
            await store.save_meeting(record)
    if record is not None and record.host_email.lower() != s.host_email.lower():
        say(f"The host changed to {s.host_email}: the meeting is recreated under the new host")
        with contextlib.suppress(ZoomNotFound):
            await zoom.delete_meeting(record.meeting_id)
        record = None
    if record is None:
        record = await _create(schedule, zoom, store, body, fp)
        say(f"Created Zoom meeting {record.meeting_id} for {s.title}")
        return record, True, False
    try:
        meeting = await zoom.get_meeting(record.meeting_id)
    except ZoomNotFound:
        say(f"Zoom meeting {record.meeting_id} no longer exists; creating it again")
        record = await _create(schedule, zoom, store, body, fp)
        return record, True, False
    if record.rooms_fingerprint == fp and not _drifted(meeting, body):
        say(f"Zoom meeting {record.meeting_id} is up to date")
        return record, False, False
    await zoom.update_meeting(record.meeting_id, body)
    record = replace(record, rooms_fingerprint=fp, uuid=meeting.uuid or record.uuid)
    await store.save_meeting(record)
    say(f"Updated Zoom meeting {record.meeting_id} (rooms, time or title changed)")
    return record, False, True


async def provision(
    schedule: Schedule,
    zoom: ZoomClient,
    store: ProvisionStore,
    *,
    progress: Callable[[str], None] | None = None,
) -> ProvisionResult:
    """Make the session's Zoom meeting match the schedule and register everyone once."""
    say = progress or (lambda _message: None)
    record, created, updated = await _meeting(schedule, zoom, store, say)
    session_id = schedule.session.id
    known = {
        email: reg
        for email, reg in (await store.load_registrants(session_id)).items()
        if str(record.meeting_id) in reg.join_url  # links of a meeting since replaced don't count
    }
    everyone = people(schedule)
    missing = [p for p in everyone if p.email not in known]
    if missing and not created:
        wanted = {p.email for p in missing}
        recovered = [
            RegistrantRecord(session_id, r.email.lower(), r.id, r.join_url or "")
            async for r in zoom.list_registrants(record.meeting_id)
            if r.email.lower() in wanted and r.join_url
        ]
        if recovered:
            await store.save_registrants(recovered)
            known.update({r.email: r for r in recovered})
            missing = [p for p in missing if p.email not in known]
            say(f"Found {len(recovered)} registrations an interrupted run made")
    registered = 0
    for start in range(0, len(missing), MAX_BATCH_REGISTRANTS):
        chunk = missing[start : start + MAX_BATCH_REGISTRANTS]
        batch = [
            BatchRegistrant(email=p.email, first_name=p.first_name, last_name=p.last_name) for p in chunk
        ]
        results = await zoom.batch_registrants(record.meeting_id, batch)
        records = [
            RegistrantRecord(session_id, r.email.lower(), r.registrant_id, r.join_url) for r in results
        ]
        await store.save_registrants(records)
        known.update({r.email: r for r in records})
        registered += len(records)
        say(f"Registered {len(known)}/{len(everyone)} people")
    join_urls = {p.email: known[p.email].join_url for p in everyone if p.email in known}
    return ProvisionResult(record, join_urls, created, updated, registered)
