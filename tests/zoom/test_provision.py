"""Provisioning: one meeting per session, everyone registered once, restarts resume."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from facilitator.clock import ManualClock
from facilitator.schedule.model import Group, Schedule
from facilitator.zoom.client import ZoomClient
from facilitator.zoom.provision import ProvisionError, is_pending, meeting_request, provision
from facilitator.zoomsim.simulator import ZoomSimulator
from tests.zoom.doubles import Crash, CrashingStore, InMemoryProvisionStore, seed_like_schedule

PEOPLE = 61 + 3


def adds_per_email(sim: ZoomSimulator, meeting_id: int) -> Counter[str]:
    """How many times Zoom was asked to register each address (its 3-per-day counter)."""
    return Counter(
        {
            key.split(":", 1)[1]: n
            for (kind, key, _), n in sim.state.daily.items()
            if kind == "registrant_add" and key.startswith(f"{meeting_id}:")
        }
    )


def zoom_calls(sim: ZoomSimulator) -> Counter[str]:
    return Counter(r.endpoint for r in sim.requests if r.endpoint is not None)


async def test_first_run_makes_one_meeting_and_registers_everyone_in_batches(
    sim: ZoomSimulator, zoom: ZoomClient, schedule: Schedule
) -> None:
    store = InMemoryProvisionStore()
    messages: list[str] = []
    result = await provision(schedule, zoom, store, progress=messages.append)
    assert result.created and not result.updated and result.registered == PEOPLE
    assert zoom_calls(sim) == Counter({"create_meeting": 1, "batch_registrants": 3})  # nothing wasted
    meeting = sim.state.meetings[result.meeting.meeting_id]
    assert meeting.type == 2 and meeting.settings["approval_type"] == 0
    assert meeting.settings["waiting_room"] is True
    assert (
        meeting.settings["alternative_hosts"]
        == "physician1@example.edu;physician2@example.edu;physician3@example.edu"
    )
    view = sim.meeting_view(meeting.id)
    assert [name for name, _ in view.rooms] == [g.name for g in schedule.groups]
    assert dict(view.rooms)["Group 1"] == schedule.groups[0].students
    assert len(result.join_urls) == PEOPLE and len(set(result.join_urls.values())) == PEOPLE
    assert all(f"/w/{meeting.id}?tk=" in url for url in result.join_urls.values())
    assert set(adds_per_email(sim, meeting.id).values()) == {1}
    assert store.meetings[schedule.session.id].meeting_id == meeting.id
    assert messages[-1] == f"Registered {PEOPLE}/{PEOPLE} people"


async def test_running_twice_changes_nothing(
    sim: ZoomSimulator, zoom: ZoomClient, schedule: Schedule
) -> None:
    store = InMemoryProvisionStore()
    first = await provision(schedule, zoom, store)
    before = zoom_calls(sim)
    second = await provision(schedule, zoom, store)
    assert not second.created and not second.updated and second.registered == 0
    assert zoom_calls(sim) - before == Counter({"get_meeting": 1})
    assert len(sim.state.meetings) == 1
    assert second.join_urls == first.join_urls
    assert set(adds_per_email(sim, first.meeting.meeting_id).values()) == {1}


async def test_changed_groups_patch_the_rooms_without_reregistering(
    sim: ZoomSimulator, zoom: ZoomClient, schedule: Schedule
) -> None:
    store = InMemoryProvisionStore()
    first = await provision(schedule, zoom, store)
    g1, g2 = schedule.groups[0], schedule.groups[1]
    moved = g1.students[0]
    regrouped = replace(
        schedule,
        groups=(
            replace(g1, students=g1.students[1:]),
            replace(g2, students=tuple(sorted((*g2.students, moved)))),
            *schedule.groups[2:],
        ),
    )
    before = zoom_calls(sim)
    second = await provision(regrouped, zoom, store)
    assert second.updated and not second.created
    assert zoom_calls(sim) - before == Counter({"get_meeting": 1, "update_meeting": 1})
    rooms = dict(sim.meeting_view(first.meeting.meeting_id).rooms)
    assert moved in rooms["Group 2"] and moved not in rooms["Group 1"]
    assert store.meetings[schedule.session.id].rooms_fingerprint != first.meeting.rooms_fingerprint


async def test_rooms_changed_by_hand_on_zoom_are_put_back(
    sim: ZoomSimulator, zoom: ZoomClient, schedule: Schedule
) -> None:
    store = InMemoryProvisionStore()
    first = await provision(schedule, zoom, store)
    sim.state.meetings[first.meeting.meeting_id].settings["breakout_room"] = {"enable": True, "rooms": []}
    again = await provision(schedule, zoom, store)
    assert again.updated
    assert len(sim.meeting_view(first.meeting.meeting_id).rooms) == 6


async def test_meeting_deleted_on_zoom_is_recreated_and_everyone_registered_to_it(
    sim: ZoomSimulator, zoom: ZoomClient, schedule: Schedule
) -> None:
    store = InMemoryProvisionStore()
    first = await provision(schedule, zoom, store)
    await zoom.delete_meeting(first.meeting.meeting_id)
    second = await provision(schedule, zoom, store)
    assert second.created and second.registered == PEOPLE
    new_id = second.meeting.meeting_id
    assert new_id != first.meeting.meeting_id and list(sim.state.meetings) == [new_id]
    assert all(f"/w/{new_id}?tk=" in url for url in second.join_urls.values())
    assert all(f"/w/{new_id}?tk=" in r.join_url for r in store.registrants.values())


async def test_crash_mid_registration_resumes_without_duplicates(
    sim: ZoomSimulator, zoom: ZoomClient, schedule: Schedule
) -> None:
    store = CrashingStore(registrant_save=2)  # batch 2 registered on Zoom, then the process dies
    with pytest.raises(Crash):
        await provision(schedule, zoom, store)
    assert len(store.registrants) == 30
    result = await provision(schedule, zoom, store)
    assert len(result.join_urls) == PEOPLE and len(store.registrants) == PEOPLE
    meeting_id = result.meeting.meeting_id
    assert set(adds_per_email(sim, meeting_id).values()) == {1}  # nobody was added twice
    calls = zoom_calls(sim)
    assert calls["create_meeting"] == 1 and calls["batch_registrants"] == 3 and calls["list_registrants"] == 1
    assert len(sim.state.meetings) == 1


async def test_crash_after_zoom_created_the_meeting_does_not_create_another(
    sim: ZoomSimulator, zoom: ZoomClient, schedule: Schedule
) -> None:
    store = CrashingStore(meeting_save=2)  # the "pending" mark is saved, the real record is not
    with pytest.raises(Crash):
        await provision(schedule, zoom, store)
    assert is_pending(store.meetings[schedule.session.id])
    result = await provision(schedule, zoom, store)
    assert len(sim.state.meetings) == 1 and zoom_calls(sim)["create_meeting"] == 1
    assert result.meeting.meeting_id == next(iter(sim.state.meetings))
    assert len(result.join_urls) == PEOPLE


async def test_a_429_storm_during_provisioning_is_paced_and_loses_nothing(
    sim: ZoomSimulator, zoom: ZoomClient, schedule: Schedule
) -> None:
    sim.inject("429", count=9, path_prefix="/v2/")
    result = await provision(schedule, zoom, InMemoryProvisionStore())
    assert zoom.stats.responses_429 == 9
    assert len(result.join_urls) == PEOPLE
    assert sim.count("create_meeting", 201) == 1 and sim.count("batch_registrants", 201) == 3
    assert set(adds_per_email(sim, result.meeting.meeting_id).values()) == {1}


async def test_facilitators_are_not_alternative_hosts_when_the_plan_says_so(
    sim: ZoomSimulator, zoom: ZoomClient
) -> None:
    schedule = seed_like_schedule(zoom_options={"alternative_hosts": False, "waiting_room": False})
    result = await provision(schedule, zoom, InMemoryProvisionStore())
    settings = sim.state.meetings[result.meeting.meeting_id].settings
    assert settings["alternative_hosts"] == "" and settings["waiting_room"] is False


async def test_more_than_100_groups_is_refused_before_calling_zoom(
    sim: ZoomSimulator, zoom: ZoomClient
) -> None:
    base = seed_like_schedule(students=101, groups=1)
    groups = tuple(Group(f"g{i}", f"Group {i}", (s.email,), "p") for i, s in enumerate(base.students))
    with pytest.raises(ProvisionError, match="at most 100 breakout rooms; this plan has 101"):
        await provision(replace(base, groups=groups), zoom, InMemoryProvisionStore())
    assert not [r for r in sim.requests if r.path.startswith("/v2/")]


async def test_meeting_body_times_are_utc_and_duration_covers_the_session(schedule: Schedule) -> None:
    body = meeting_request(schedule).body()
    assert body["start_time"] == "2027-01-14T18:00:00Z"
    assert body["duration"] == 130 and body["timezone"] == "America/New_York"
    assert body["settings"]["registrants_confirmation_email"] is False


async def test_provisioning_the_seed_plan_from_yaml(sim: ZoomSimulator, zoom: ZoomClient) -> None:
    plan_file = Path(__file__).parents[2] / "session_plans" / "shared-living-experiences.yaml"
    try:
        from facilitator.plan.loader import load_plan
        from facilitator.schedule.build import build_schedule

        schedule = build_schedule(load_plan(plan_file))
    except (ImportError, FileNotFoundError) as exc:  # pragma: no cover - only while the plan stage is missing
        pytest.skip(f"seed plan not available: {exc}")
    store = InMemoryProvisionStore()
    first = await provision(schedule, zoom, store)
    second = await provision(schedule, zoom, store)
    assert len(sim.state.meetings) == 1 and second.join_urls == first.join_urls
    assert len(first.join_urls) == len(schedule.students) + len(schedule.facilitators)


async def test_provisioning_against_the_sqlite_store(
    sim: ZoomSimulator, zoom: ZoomClient, schedule: Schedule, tmp_path: Path, clock: ManualClock
) -> None:
    sqlite = pytest.importorskip("facilitator.store.sqlite")
    from facilitator.store.base import SessionRecord

    store = await sqlite.SqliteStore.open(tmp_path / "facilitator.db")
    try:
        s = schedule.session
        await store.upsert_session(
            SessionRecord(s.id, s.title, "plan.yaml", "", s.start, s.end, "active", clock.now())
        )
        crashing = CrashingStore(registrant_save=3)

        class HalfDead:
            """Writes go to SQLite; the third registrant save dies, as a killed process would."""

            load_meeting = store.load_meeting
            save_meeting = store.save_meeting
            load_registrants = store.load_registrants

            async def save_registrants(self, records):  # type: ignore[no-untyped-def]
                await crashing.save_registrants(records)
                await store.save_registrants(records)

        with pytest.raises(Crash):
            await provision(schedule, zoom, HalfDead())
        result = await provision(schedule, zoom, store)
        again = await provision(schedule, zoom, store)
    finally:
        await store.close()
    reopened = await sqlite.SqliteStore.open(tmp_path / "facilitator.db")
    try:
        saved = await reopened.load_registrants(s.id)
        meeting = await reopened.load_meeting(s.id)
    finally:
        await reopened.close()
    assert meeting is not None and meeting.meeting_id == result.meeting.meeting_id
    assert {e: r.join_url for e, r in saved.items()} == dict(result.join_urls) == dict(again.join_urls)
    assert len(sim.state.meetings) == 1
    assert set(adds_per_email(sim, meeting.meeting_id).values()) == {1}
