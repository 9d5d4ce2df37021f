"""The schedule built from plans: timeline, groups, rotation wiring, planned messages, warnings."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from facilitator.plan.errors import PlanError
from facilitator.plan.loader import load_plan, load_plan_text
from facilitator.schedule.build import build_schedule
from facilitator.schedule.model import Lane, MessageKind

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "session_plans" / "shared-living-experiences.yaml"


@pytest.fixture(scope="module")
def seed():  # type: ignore[no-untyped-def]
    return build_schedule(load_plan(SEED))


def test_seed_groups_are_balanced(seed) -> None:  # type: ignore[no-untyped-def]
    sizes = sorted(len(g.students) for g in seed.groups)
    assert len(seed.groups) == 6 and sum(sizes) == 61
    assert sizes[0] >= 10 and sizes[-1] <= 11
    everyone = [e for g in seed.groups for e in g.students]
    assert len(set(everyone)) == 61


def test_seed_rotation(seed) -> None:  # type: ignore[no-untyped-def]
    rot = seed.rotation
    assert len(rot.slots) == 2 and rot.lower_bound == 2 and rot.optimal
    per_group = Counter(v.group for s in rot.slots for v in s.visits)
    per_fac = Counter(v.facilitator for s in rot.slots for v in s.visits)
    assert set(per_group.values()) == {1} and len(per_group) == 6
    assert set(per_fac.values()) == {2} and len(per_fac) == 3


def test_seed_timeline_is_utc_and_contiguous(seed) -> None:  # type: ignore[no-untyped-def]
    s = seed.session
    assert s.start == datetime(2027, 1, 14, 18, 0, tzinfo=UTC)  # 13:00 EST
    assert s.end - s.start == timedelta(hours=2, minutes=10)
    phases = seed.phases
    assert [p.kind for p in phases] == ["plenary", "breakout", "plenary"]
    for a, b in itertools.pairwise(phases):
        assert a.end == b.start
    slots = seed.rotation.slots
    assert slots[0].start == phases[1].start
    assert slots[1].start - slots[0].end == timedelta(minutes=5)


def test_seed_messages(seed) -> None:  # type: ignore[no-untyped-def]
    counts = Counter(m.kind for m in seed.messages)
    assert counts[MessageKind.INVITATION] == 61
    assert counts[MessageKind.PRE_SURVEY] == 61 and counts[MessageKind.POST_SURVEY] == 61
    assert counts[MessageKind.POST_SURVEY_REMINDER] == 122
    assert counts[MessageKind.HEADS_UP] == 6 and counts[MessageKind.MOVE_NOW] == 6
    assert counts[MessageKind.BREAKOUT_END] == 3
    keys = [m.key for m in seed.messages]
    assert len(keys) == len(set(keys)), "idempotency keys must be unique"
    first_slot = seed.rotation.slots[0]
    heads = [m for m in seed.messages if m.kind == MessageKind.HEADS_UP and m.context["slot"] == 0]
    assert all(m.due == first_slot.start - timedelta(minutes=2) for m in heads)
    assert all(m.lane == Lane.CUE for m in heads)
    move = next(m for m in seed.messages if m.kind == MessageKind.MOVE_NOW)
    assert move.deadline - move.due == timedelta(minutes=1)
    reminders = [m for m in seed.messages if m.kind == MessageKind.POST_SURVEY_REMINDER]
    assert {m.unless_completed for m in reminders} == {"post"}
    pre = next(m for m in seed.messages if m.kind == MessageKind.PRE_SURVEY)
    assert pre.due == seed.session.start - timedelta(days=1)
    focus = next(m for m in seed.messages if m.kind == MessageKind.FOCUS_GROUP)
    assert focus.due == seed.session.end + timedelta(days=14)


def test_self_guided_rooms_get_the_prompt(seed) -> None:  # type: ignore[no-untyped-def]
    prompts = [m for m in seed.messages if m.kind == MessageKind.SELF_GUIDED_PROMPT]
    for m in prompts:
        slot = seed.rotation.slots[m.context["slot"]]
        assert m.context["group_id"] not in {v.group for v in slot.visits}
        assert "stayed with you" in m.context["prompt"]
    assert len(prompts) == 61  # each student's room is self-guided in exactly one of the two slots


def test_deterministic(seed) -> None:  # type: ignore[no-untyped-def]
    again = build_schedule(load_plan(SEED))
    assert again == seed


def test_past_start_warns() -> None:
    schedule = build_schedule(load_plan(SEED), now=datetime(2030, 1, 1, tzinfo=UTC))
    assert any("starts in the past" in w.message for w in schedule.warnings)
    schedule = build_schedule(load_plan(SEED), now=datetime(2026, 1, 1, tzinfo=UTC))
    assert not any("past" in w.message for w in schedule.warnings)


PLAN = """\
session: {{title: DST Test, start: "{start}", timezone: {tz}, zoom: {{host_email: h@example.edu}}}}
facilitators:
  - {{id: dr-a, name: A, email: a@example.edu, timezone: {ftz}}}
students:
  inline:
{students}
phases:
  - {{kind: plenary, duration: 1h}}
  - {{kind: breakout, duration: 50m, groups: {groups}, slot: 20m, transition: 10m, visits_per_group: 1}}
messages:
  pre_survey: {{url: "https://s.example.edu/?c={{code}}", send: start-1d}}
"""


def make(
    start: str, tz: str = "America/New_York", ftz: str = "America/New_York", n: int = 6, groups: int = 2
) -> str:
    students = "".join(f"    - {{email: s{i}@example.edu, name: S{i}}}\n" for i in range(n))
    return PLAN.format(start=start, tz=tz, ftz=ftz, students=students, groups=groups)


def test_dst_change_uses_elapsed_time_and_local_days() -> None:
    # 2027-03-14 is the US spring-forward day: 01:30 + 1h is 03:30 local.
    schedule = build_schedule(load_plan_text(make("2027-03-14 01:30")))
    plenary = schedule.phases[0]
    assert plenary.end - plenary.start == timedelta(hours=1)
    pre = next(m for m in schedule.messages if m.kind == MessageKind.PRE_SURVEY)
    # start-1d keeps the local wall-clock time (01:30 EST the day before), 24h of elapsed time here
    assert pre.due == datetime(2027, 3, 13, 6, 30, tzinfo=UTC)


def test_start_inside_dst_gap_is_a_plan_error() -> None:
    with pytest.raises(PlanError) as info:
        build_schedule(load_plan_text(make("2027-03-14 02:30")))
    assert "session.start" in str(info.value) and "does not exist" in str(info.value)


def test_small_groups_and_night_cues_warn() -> None:
    schedule = build_schedule(load_plan_text(make("2027-05-05 12:00", ftz="Asia/Tokyo", n=4)))
    text = " ".join(w.message for w in schedule.warnings)
    assert "Group 1 has only 2 student(s)" in text
    assert "gets cues at night in Asia/Tokyo" in text


def test_slots_that_do_not_fit_name_the_field() -> None:
    text = make("2027-05-05 12:00", groups=3)  # one facilitator, 3 groups -> 3 slots, room for 2
    with pytest.raises(PlanError) as info:
        build_schedule(load_plan_text(text, file="p.yaml"))
    (problem,) = info.value.problems
    assert problem.path == "phases[1].duration"
    assert "need 3 slots" in problem.message and "fits 2" in problem.message
    breakout_line = next(i for i, ln in enumerate(text.splitlines(), 1) if "kind: breakout" in ln)
    assert (
        problem.line == breakout_line and problem.col == text.splitlines()[breakout_line - 1].index("50m") + 1
    )


def test_availability_infeasible_says_why() -> None:
    text = make("2027-05-05 12:00", groups=2).replace(
        "timezone: America/New_York}\n",
        'timezone: America/New_York, available: [{from: "2027-05-05 13:00", until: "2027-05-05 13:25"}]}\n',
        1,
    )
    with pytest.raises(PlanError) as info:
        build_schedule(load_plan_text(text, file="p.yaml"))
    message = str(info.value)
    assert "p.yaml:" in message and "dr-a" in message and "available" in message
