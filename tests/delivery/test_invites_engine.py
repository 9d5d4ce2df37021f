"""The running engine: a session's invitations carry SEQUENCE = the stored plan revision."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

from icalendar import Calendar

from facilitator.app.engine import Engine
from facilitator.clock import ManualClock
from facilitator.delivery.channels.console import ConsoleChannel
from facilitator.delivery.outbox import record_session
from facilitator.store.base import MeetingRecord
from facilitator.store.sqlite import SqliteStore
from tests.web.conftest import PLAN, loaded_plan, make_settings, seed_schedule


async def test_invitation_sequence_follows_the_stored_plan_revision(tmp_path: Path) -> None:
    schedule = seed_schedule()
    settings = make_settings(tmp_path)
    store = await SqliteStore.open(settings.db_path)
    clock = ManualClock(schedule.session.start - timedelta(days=2))
    engine = Engine(settings, store, clock, channels={"email": ConsoleChannel(lambda *a: None)})
    try:
        # a meeting provisioned earlier: its join link is every invitation's fallback
        await record_session(store, schedule, loaded_plan().text, str(PLAN), now=clock.now())
        join = "https://zoom.us/j/85012345678"
        sid = schedule.session.id
        await store.save_meeting(
            MeetingRecord(sid, 85012345678, "m-uuid", join, schedule.session.host_email, "fp")
        )
        handle = await engine.add_session(schedule, loaded_plan().text, str(PLAN))
        invitation = next(m for m in schedule.messages if m.kind.value == "invitation")
        first = Calendar.from_ical(handle.renderer.render(invitation).calendar or b"")
        assert int(first.walk("VEVENT")[0]["sequence"]) == 0
        # the plan changed twice (what issue 10's reconciliation records), and the session is re-added
        with sqlite3.connect(settings.db_path) as conn:
            conn.execute("UPDATE sessions SET plan_revision = 2 WHERE id = ?", (schedule.session.id,))
        assert (await store.get_session(schedule.session.id)).plan_revision == 2  # type: ignore[union-attr]
        clock.advance(timedelta(hours=1))
        handle = await engine.add_session(schedule, loaded_plan().text, str(PLAN))
        event = Calendar.from_ical(handle.renderer.render(invitation).calendar or b"").walk("VEVENT")[0]
        assert int(event["sequence"]) == 2 and event["dtstamp"].dt == clock.now()
        assert str(event["uid"]) == str(first.walk("VEVENT")[0]["uid"]) and str(event["location"]) == join
    finally:
        await engine.close()
        await store.close()
