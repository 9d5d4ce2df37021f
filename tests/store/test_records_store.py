"""Sessions, Zoom provisioning progress, survey codes and completions, contributions, audit."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from facilitator.store.base import MeetingRecord, RegistrantRecord, SurveyCounts
from facilitator.store.sqlite import SqliteStore
from tests.store.factories import SESSION, T0, open_store, session_record, store_with_session


async def test_session_upsert_updates_but_keeps_created_at(tmp_path: Path) -> None:
    store = await open_store(tmp_path)
    first = session_record()
    await store.upsert_session(first)
    await store.upsert_session(replace(first, title="Renamed", created_at=T0 + timedelta(days=9)))
    got = await store.get_session(SESSION)
    assert got is not None and got.title == "Renamed" and got.created_at == first.created_at
    assert got.start == T0 and got.start.tzinfo is not None
    assert [s.id for s in await store.list_sessions()] == [SESSION]
    assert await store.get_session("missing") is None


async def test_provisioning_progress_survives_reopen(tmp_path: Path) -> None:
    store = await store_with_session(tmp_path)
    meeting = MeetingRecord(
        SESSION, 85012345678, "abc==", "https://zoom.example/j/1", "host@example.edu", "fp1"
    )
    await store.save_meeting(meeting)
    await store.save_meeting(replace(meeting, rooms_fingerprint="fp2"))
    await store.save_registrants(
        [
            RegistrantRecord(SESSION, "ada@example.edu", "r1", "https://zoom.example/j/1?tk=a"),
            RegistrantRecord(SESSION, "ben@example.edu", "r2", "https://zoom.example/j/1?tk=b"),
        ]
    )
    await store.close()
    store = await SqliteStore.open(tmp_path / "facilitator.db")
    assert await store.load_meeting(SESSION) == replace(meeting, rooms_fingerprint="fp2")
    registrants = await store.load_registrants(SESSION)
    assert sorted(registrants) == ["ada@example.edu", "ben@example.edu"]
    assert registrants["ben@example.edu"].registrant_id == "r2"
    assert await store.load_meeting("other") is None


async def test_survey_codes_and_completions(tmp_path: Path) -> None:
    store = await store_with_session(tmp_path)
    codes = {
        "ada@example.edu": "K7QF-2M9D-X",
        "ben@example.edu": "A1B2-C3D4-E",
        "cy@example.edu": "ZZZZ-0000-1",
    }
    await store.save_survey_codes(SESSION, "sle-2025", codes)
    await store.save_survey_codes(SESSION, "sle-2025", codes)  # again: harmless
    assert await store.code_for(SESSION, "ada@example.edu") == "K7QF-2M9D-X"
    assert await store.code_for(SESSION, "nobody@example.edu") is None

    assert await store.record_survey_event(SESSION, "K7QF-2M9D-X", "pre", "opened", T0) is True
    assert (
        await store.record_survey_event(SESSION, "K7QF-2M9D-X", "pre", "opened", T0) is True
    )  # opens repeat
    assert await store.record_survey_event(SESSION, "K7QF-2M9D-X", "pre", "completed", T0) is True
    assert await store.record_survey_event(SESSION, "K7QF-2M9D-X", "pre", "completed", T0) is False
    await store.record_survey_event(SESSION, "K7QF-2M9D-X", "post", "completed", T0)
    await store.record_survey_event(SESSION, "A1B2-C3D4-E", "post", "completed", T0)
    await store.record_survey_event(SESSION, "TYPO-TYPO-0", "pre", "completed", T0)  # not one of ours

    assert await store.survey_completed(SESSION, "K7QF-2M9D-X", "pre") is True
    assert await store.survey_completed(SESSION, "A1B2-C3D4-E", "pre") is False
    assert await store.survey_counts(SESSION) == SurveyCounts(pre=1, post=2, both=1, total=3)
    with pytest.raises(ValueError, match="survey kind"):
        await store.record_survey_event(SESSION, "K7QF-2M9D-X", "mid", "completed", T0)
    with pytest.raises(ValueError, match="survey event"):
        await store.record_survey_event(SESSION, "K7QF-2M9D-X", "pre", "started", T0)


async def test_contributions_moderation_and_votes(tmp_path: Path) -> None:
    store = await store_with_session(tmp_path)
    a = await store.add_contribution(SESSION, "g1", "It felt lonely at first.", T0, hidden=False)
    b = await store.add_contribution(
        SESSION, "g1", "Awaiting approval", T0 + timedelta(seconds=1), hidden=True
    )
    await store.add_contribution(SESSION, "g2", "Other room", T0, hidden=False)
    assert (a.votes, a.hidden, a.created_at) == (0, False, T0)
    assert [c.id for c in await store.list_contributions(SESSION, "g1")] == [a.id]
    assert [c.id for c in await store.list_contributions(SESSION, "g1", include_hidden=True)] == [a.id, b.id]
    assert len(await store.list_contributions(SESSION)) == 2
    assert await store.set_contribution_hidden(SESSION, b.id, False) is True
    assert await store.set_contribution_hidden("other-session", b.id, True) is False
    assert await store.add_vote(a.id, "h1") is True
    assert await store.add_vote(a.id, "h1") is False
    assert await store.add_vote(a.id, "h2") is True
    assert await store.add_vote(999, "h1") is False
    assert [c.votes for c in await store.list_contributions(SESSION, "g1")] == [2, 0]


async def test_audit_log_newest_first(tmp_path: Path) -> None:
    store = await store_with_session(tmp_path)
    await store.audit(SESSION, "director", "cancel_message", "message 4", T0)
    await store.audit(SESSION, "director", "retry_message", "message 4", T0 + timedelta(minutes=1))
    await store.audit(None, "system", "start", "runner started", T0)
    entries = await store.list_audit(SESSION, limit=10)
    assert [e.action for e in entries] == ["retry_message", "cancel_message"]
    assert len(await store.list_audit(None)) == 3
    assert len(await store.list_audit(SESSION, limit=1)) == 1
