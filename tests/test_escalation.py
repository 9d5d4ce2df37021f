"""The rotation watcher: expected moves go to the driver; misses 2 minutes in become escalations."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from facilitator.app.escalation import CHECK_AFTER, EscalationWatcher
from facilitator.clock import ManualClock
from facilitator.schedule.model import Lane, MessageKind, PlannedMessage
from tests.zoom.test_live import T0, make_schedule, seeded_state


async def let_run() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def test_a_missed_move_is_escalated_once_and_counted_late() -> None:
    schedule = make_schedule()
    state, ev = seeded_state(schedule)
    clock = ManualClock(T0)
    queued: list[PlannedMessage] = []

    async def enqueue(message: PlannedMessage) -> None:
        queued.append(message)

    watcher = EscalationWatcher(schedule, state, clock, enqueue)
    task = watcher.start()
    slot0, slot1 = schedule.rotation.slots
    rooms = {g.id: f"U{g.id[1:]}" for g in schedule.groups}

    clock.set(slot0.start)
    await let_run()
    for visit in slot0.visits:
        if visit.facilitator != "dr-c":  # dr-c stays in the main room
            state.apply(ev.enter(f"{visit.facilitator}@example.edu", rooms[visit.group]))
    clock.set(slot0.start + CHECK_AFTER)
    await let_run()

    (message,) = queued
    assert message.kind == MessageKind.ESCALATION and message.lane == Lane.CUE
    assert message.key == f"{schedule.session.id}/escalation/dr-c/0"
    assert message.context["group_id"] == "g3" and message.context["current_group_id"] is None
    assert message.context["in_meeting"] is True
    assert message.due == slot0.start + CHECK_AFTER and message.deadline == slot0.end

    state.apply(ev.enter("dr-c@example.edu", rooms["g3"]))  # arrives late
    clock.set(slot0.end)
    await let_run()
    for visit in slot1.visits:
        state.apply(ev.enter(f"{visit.facilitator}@example.edu", rooms[visit.group]))
    clock.set(slot1.start + CHECK_AFTER)
    await let_run()
    assert len(queued) == 1, "slot 2 went to plan: no escalation"
    clock.set(slot1.end + timedelta(minutes=1))
    await asyncio.wait_for(task, 1)

    counts = watcher.adherence.counts()
    assert counts == {"visits": 6, "on_time": 5, "late": 1, "missed": 0, "escalated": 1}
    kinds = [e.kind for e in watcher.driver.expectations]  # type: ignore[attr-defined]
    assert kinds == ["open_rooms", "move", "move", "move", "move", "move", "move", "close_rooms"]


async def test_a_restart_after_a_slot_does_not_look_back() -> None:
    schedule = make_schedule()
    state, _ = seeded_state(schedule)
    slot1 = schedule.rotation.slots[1]
    clock = ManualClock(slot1.start + timedelta(minutes=5))
    queued: list[PlannedMessage] = []

    async def enqueue(message: PlannedMessage) -> None:
        queued.append(message)

    watcher = EscalationWatcher(schedule, state, clock, enqueue)
    task = watcher.start()
    await let_run()
    # nobody moved: slot 1 (current) is checked at once, slot 0 (over) is not
    assert {m.context["slot"] for m in queued} == {1}
    clock.set(slot1.end + timedelta(minutes=1))
    await asyncio.wait_for(task, 1)
    assert watcher.adherence.visits[("dr-a", 0)].on_time is None


async def test_the_host_and_co_directors_are_told_of_a_miss_in_words() -> None:
    from dataclasses import replace

    from facilitator.schedule.model import Audience, FacilitatorInfo

    hosts = (
        FacilitatorInfo(
            "@host", "Dr. Jane Director", "course.director@example.edu", "America/New_York", "email"
        ),
        FacilitatorInfo(
            "@co-director-1", "Dr. Ravi Second", "ravi.second@example.edu", "Europe/London", "email"
        ),
    )
    schedule = replace(make_schedule(), hosts=hosts)
    state, ev = seeded_state(schedule)
    clock = ManualClock(T0)
    queued: list[PlannedMessage] = []

    async def enqueue(message: PlannedMessage) -> None:
        queued.append(message)

    watcher = EscalationWatcher(schedule, state, clock, enqueue)
    task = watcher.start()
    slot0 = schedule.rotation.slots[0]
    rooms = {g.id: f"U{g.id[1:]}" for g in schedule.groups}
    clock.set(slot0.start)
    await let_run()
    for visit in slot0.visits:
        if visit.facilitator != "dr-c":
            state.apply(ev.enter(f"{visit.facilitator}@example.edu", rooms[visit.group]))
    clock.set(slot0.start + CHECK_AFTER)
    await let_run()
    task.cancel()

    to_hosts = [m for m in queued if m.audience == Audience.HOST]
    assert [m.recipient for m in to_hosts] == [h.email for h in hosts]
    assert {m.kind for m in to_hosts} == {MessageKind.HOST_ESCALATION}
    assert len({m.key for m in to_hosts}) == 2 and all(m.lane == Lane.CUE for m in to_hosts)
    text = to_hosts[0].context["escalation_text"]
    assert text == (
        "Dr C is not in Group 3, 2 minutes into slot 1 (Zoom shows them in the main room); "
        "they have been told."
    )
    assert "dr-c" not in text  # names, not ids
