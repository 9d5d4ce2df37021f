"""The rotation solver: every answer is a valid rotation, optimal when König says it can be, or a
reason a course director can act on. Property tests over random instances plus table tests."""

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from facilitator.schedule.rotation import (
    ExplicitPairs,
    FullRotation,
    RotationInfeasible,
    RotationProblem,
    RotationSolution,
    VisitsPerGroup,
    solve_rotation,
)

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def ids(prefix: str, n: int) -> tuple[str, ...]:
    return tuple(f"{prefix}-{i + 1}" for i in range(n))


def check(problem: RotationProblem, solution: RotationSolution) -> None:
    """Everything a valid rotation must satisfy, checked from the problem's own words."""
    visits = [(t, f, g) for t, slot in enumerate(solution.slots) for f, g in slot]
    assert len(solution.slots) <= problem.max_slots
    if solution.slots:
        assert solution.slots[-1], "the last slot must hold a visit"
    for t, slot in enumerate(solution.slots):
        assert list(slot) == sorted(slot)
        assert max(Counter(f for f, _ in slot).values(), default=0) <= 1, f"facilitator twice in slot {t}"
        assert max(Counter(g for _, g in slot).values(), default=0) <= problem.per_room, f"room full in {t}"
    pairs = Counter((f, g) for _, f, g in visits)
    assert max(pairs.values(), default=1) == 1, "a pair meets twice"
    assert set(f for f, _ in pairs) <= set(problem.facilitators)
    assert set(g for _, g in pairs) <= set(problem.groups)
    assert not set(pairs) & problem.exclusions
    if problem.available is not None:
        for t, f, _ in visits:
            assert t in problem.available.get(f, range(problem.max_slots)), f"{f} unavailable in slot {t}"
    demand = problem.demand
    if isinstance(demand, FullRotation):
        want = {(f, g) for f in problem.facilitators for g in problem.groups} - problem.exclusions
        assert set(pairs) == want
    elif isinstance(demand, ExplicitPairs):
        assert set(pairs) == set(demand.pairs)
    else:
        per_group = Counter(g for _, g in pairs)
        assert all(per_group[g] == demand.k for g in problem.groups)
    fload = Counter(f for _, f, _ in visits)
    gload = Counter(g for _, _, g in visits)
    bound = max([*fload.values(), *(math.ceil(n / problem.per_room) for n in gload.values()), 0])
    assert solution.lower_bound == bound
    assert solution.optimal == (len(solution.slots) == bound)


@st.composite
def problems(draw: st.DrawFn, with_availability: bool = True) -> RotationProblem:
    nf = draw(st.integers(1, 30))
    ng = draw(st.integers(1, 60))
    facs, groups = ids("dr", nf), ids("group", ng)
    kind = draw(st.sampled_from(["k", "full", "pairs"]))
    excluded = draw(st.sets(st.tuples(st.sampled_from(facs), st.sampled_from(groups)), max_size=40))
    demand: VisitsPerGroup | FullRotation | ExplicitPairs
    if kind == "k":
        demand = VisitsPerGroup(draw(st.integers(1, 4)))
    elif kind == "full":
        demand = FullRotation()
    else:
        chosen = draw(st.sets(st.tuples(st.sampled_from(facs), st.sampled_from(groups)), max_size=150))
        demand = ExplicitPairs(tuple(sorted(chosen - excluded)))
    max_slots = draw(st.integers(0, 80))
    available = None
    if with_availability and draw(st.booleans()):
        some = draw(st.lists(st.sampled_from(facs), unique=True))
        slot = st.integers(0, max(0, max_slots - 1))
        if draw(st.booleans()):  # away for a few slots
            available = {f: frozenset(range(max_slots)) - draw(st.sets(slot, max_size=5)) for f in some}
        else:  # any windows at all
            available = {f: frozenset(draw(st.sets(slot))) for f in some}
    return RotationProblem(
        facilitators=facs,
        groups=groups,
        demand=demand,
        max_slots=max_slots,
        per_room=draw(st.integers(1, 2)),
        exclusions=frozenset(excluded),
        available=available,
        seed=draw(st.integers(0, 3)),
    )


@PROPERTY
@given(problems())
def test_every_answer_is_a_valid_rotation_or_a_reason(problem: RotationProblem) -> None:
    try:
        solution = solve_rotation(problem)
    except RotationInfeasible as exc:
        assert exc.reason.strip()
        if exc.needed_slots is not None:
            assert exc.needed_slots > problem.max_slots
        return
    check(problem, solution)
    assert solve_rotation(problem) == solution, "same problem, same rotation"


@PROPERTY
@given(problems(with_availability=False))
def test_without_availability_the_konig_bound_is_reached(problem: RotationProblem) -> None:
    problem = replace(problem, max_slots=200)
    try:
        solution = solve_rotation(problem)
    except RotationInfeasible as exc:  # only a demand no exclusion-respecting choice can meet
        assert isinstance(problem.demand, VisitsPerGroup)
        assert "may visit it" in exc.reason or "by different facilitators" in exc.reason
        return
    check(problem, solution)
    assert solution.optimal and len(solution.slots) == solution.lower_bound
    if isinstance(problem.demand, VisitsPerGroup) and not problem.exclusions:
        nf, ng, k = len(problem.facilitators), len(problem.groups), problem.demand.k
        loads = Counter(f for slot in solution.slots for f, _ in slot)
        assert max(loads.values()) == math.ceil(ng * k / nf), "loads as even as they can be"
        assert solution.lower_bound == max(math.ceil(ng * k / nf), math.ceil(k / problem.per_room))


@st.composite
def planted(draw: st.DrawFn) -> tuple[RotationProblem, int]:
    """A rotation drawn first, then windows that contain it (and a few more slots): solvable."""
    nf, ng, slots = draw(st.integers(1, 30)), draw(st.integers(1, 60)), draw(st.integers(1, 20))
    per_room = draw(st.integers(1, 2))
    facs, groups = ids("dr", nf), ids("group", ng)
    wanted = draw(
        st.lists(st.tuples(st.integers(0, nf - 1), st.integers(0, ng - 1), st.integers(0, slots - 1)))
    )
    busy: set[tuple[int, int]] = set()
    room: Counter[tuple[int, int]] = Counter()
    pairs: dict[tuple[int, int], int] = {}
    for f, g, t in wanted:
        if (f, g) not in pairs and (f, t) not in busy and room[(g, t)] < per_room:
            pairs[(f, g)] = t
            busy.add((f, t))
            room[(g, t)] += 1
    extra = draw(st.sets(st.tuples(st.integers(0, nf - 1), st.integers(0, slots - 1))))
    available = {facs[f]: frozenset(t for x, t in busy | extra if x == f) for f in range(nf)}
    problem = RotationProblem(
        facilitators=facs,
        groups=groups,
        demand=ExplicitPairs(tuple(sorted((facs[f], groups[g]) for f, g in pairs))),
        max_slots=slots,
        per_room=per_room,
        available=available,
    )
    return problem, max(pairs.values(), default=-1) + 1


@settings(PROPERTY, derandomize=True)
@given(planted())
def test_solvable_availability_windows_are_solved(case: tuple[RotationProblem, int]) -> None:
    problem, planted_slots = case
    solution = solve_rotation(problem)
    check(problem, solution)
    assert len(solution.slots) <= planted_slots


@st.composite
def planted_visits_per_group(draw: st.DrawFn) -> RotationProblem:
    """Each group gets k different facilitators in slots they are free, then windows around that."""
    nf, ng, slots = draw(st.integers(1, 30)), draw(st.integers(1, 60)), draw(st.integers(1, 20))
    per_room, k = draw(st.integers(1, 2)), draw(st.integers(1, min(nf, 4)))
    rnd = random.Random(draw(st.integers(0, 2**32)))  # plain: drawing every choice is slow
    busy: set[tuple[int, int]] = set()
    room: Counter[tuple[int, int]] = Counter()
    for g in range(ng):
        got = 0
        for f in rnd.sample(range(nf), nf):
            free = [t for t in range(slots) if (f, t) not in busy and room[(g, t)] < per_room]
            if got < k and free:
                t = rnd.choice(free)
                busy.add((f, t))
                room[(g, t)] += 1
                got += 1
        assume(got == k)
    facs = ids("dr", nf)
    extra = draw(st.sets(st.tuples(st.integers(0, nf - 1), st.integers(0, slots - 1))))
    available = {facs[f]: frozenset(t for x, t in busy | extra if x == f) for f in range(nf)}
    return RotationProblem(facs, ids("group", ng), VisitsPerGroup(k), slots, per_room, available=available)


@settings(PROPERTY, derandomize=True)
@given(planted_visits_per_group())
def test_solvable_visits_per_group_windows_are_solved(problem: RotationProblem) -> None:
    check(problem, solve_rotation(problem))


@PROPERTY
@given(st.integers(1, 10), st.integers(2, 30), st.data())
def test_a_facilitator_with_fewer_windows_than_visits_is_named(nf: int, ng: int, data: st.DataObject) -> None:
    facs = ids("dr", nf)
    who = data.draw(st.sampled_from(facs))
    phase = max(nf, ng) + 5
    windows = data.draw(st.sets(st.integers(0, phase - 1), max_size=ng - 1))
    problem = RotationProblem(
        facs, ids("group", ng), FullRotation(), phase, available={who: frozenset(windows)}
    )
    with pytest.raises(RotationInfeasible) as caught:
        solve_rotation(problem)
    slots = "1 slot" if len(windows) == 1 else f"{len(windows)} slots"
    assert caught.value.reason == f"facilitator `{who}` is available for {slots} but must make {ng} visits"
    assert caught.value.needed_slots is None


def test_seed_study_three_physicians_six_groups_one_visit_each() -> None:
    problem = RotationProblem(
        facilitators=("dr-a", "dr-b", "dr-c"), groups=ids("group", 6), demand=VisitsPerGroup(1), max_slots=3
    )
    solution = solve_rotation(problem)
    check(problem, solution)
    assert (solution.lower_bound, solution.optimal, len(solution.slots)) == (2, True, 2)
    assert all(len(slot) == 3 for slot in solution.slots), "3 rooms with a physician, 3 on their own"
    assert Counter(f for slot in solution.slots for f, _ in slot) == {"dr-a": 2, "dr-b": 2, "dr-c": 2}
    assert Counter(g for slot in solution.slots for _, g in slot) == dict.fromkeys(problem.groups, 1)


def test_full_rotation_five_by_ten_takes_ten_slots() -> None:
    problem = RotationProblem(ids("dr", 5), ids("group", 10), FullRotation(), max_slots=12)
    solution = solve_rotation(problem)
    check(problem, solution)
    assert (len(solution.slots), solution.lower_bound, solution.optimal) == (10, 10, True)


def test_forty_by_two_hundred_full_rotation_is_optimal() -> None:
    problem = RotationProblem(ids("dr", 40), ids("group", 200), FullRotation(), max_slots=200)
    solution = solve_rotation(problem)
    check(problem, solution)
    assert len(solution.slots) == 200 and solution.optimal


def test_forty_by_two_hundred_with_windows_and_exclusions_meets_the_window_bound() -> None:
    facs, groups = ids("dr", 40), ids("group", 200)
    away = {f: {(7 * i + j * 31) % 205 for j in range(i % 4)} for i, f in enumerate(facs)}
    available = {f: frozenset(range(205)) - away[f] for f in facs if away[f]}
    exclusions = frozenset((facs[i], groups[(i * 13) % 200]) for i in range(0, 40, 3))
    problem = RotationProblem(facs, groups, FullRotation(), 205, exclusions=exclusions, available=available)
    solution = solve_rotation(problem)
    check(problem, solution)
    # A facilitator with 200 visits and 3 slots away cannot finish before slot 203.
    assert len(solution.slots) == 203


def test_two_facilitators_share_a_room_when_per_room_allows() -> None:
    problem = RotationProblem(("dr-a", "dr-b"), ("group-1",), FullRotation(), max_slots=1, per_room=2)
    solution = solve_rotation(problem)
    assert solution.slots == ((("dr-a", "group-1"), ("dr-b", "group-1")),)


def test_an_empty_slot_only_where_no_one_can_be() -> None:
    available = {"dr-a": frozenset({1, 2}), "dr-b": frozenset({1, 2})}
    problem = RotationProblem(("dr-a", "dr-b"), ids("group", 2), FullRotation(), 3, available=available)
    solution = solve_rotation(problem)
    check(problem, solution)
    assert solution.slots[0] == () and len(solution.slots) == 3
    assert solution.lower_bound == 2 and not solution.optimal


def test_a_late_arrival_is_kept_out_of_the_slots_before_it() -> None:
    available = {"dr-c": frozenset({1, 2})}
    problem = RotationProblem(
        ("dr-a", "dr-b", "dr-c"), ids("group", 6), VisitsPerGroup(1), 3, available=available
    )
    solution = solve_rotation(problem)
    check(problem, solution)
    # In 2 slots dr-c could make 1 visit and the others 2 each: 5 < 6, so 3 slots are needed.
    assert len(solution.slots) == 3
    assert all(f != "dr-c" for f, _ in solution.slots[0])


def test_visits_per_group_changes_hands_to_fit_the_windows() -> None:
    # Balanced loads (one visit each) would put three visits in slot 0, which has two rooms: the
    # one facilitator who stays all phase has to take a second visit.
    only_first = frozenset({0})
    available = {"dr-a": frozenset({0, 1, 2}), "dr-b": only_first, "dr-c": only_first, "dr-d": only_first}
    problem = RotationProblem(
        ("dr-a", "dr-b", "dr-c", "dr-d"), ids("group", 2), VisitsPerGroup(2), 3, available=available
    )
    solution = solve_rotation(problem)
    check(problem, solution)
    assert len(solution.slots) == 3 and solution.lower_bound == 2
    assert Counter(f for slot in solution.slots for f, _ in slot)["dr-a"] == 2


def test_seed_breaks_ties_but_same_seed_same_answer() -> None:
    base = RotationProblem(ids("dr", 6), ids("group", 12), VisitsPerGroup(2), max_slots=6)
    answers = {solve_rotation(replace(base, seed=s)) for s in range(4)}
    assert len(answers) > 1
    for s in range(4):
        assert solve_rotation(replace(base, seed=s)) == solve_rotation(replace(base, seed=s))


@pytest.mark.parametrize(
    ("problem", "reason", "needed"),
    [
        (
            RotationProblem(
                ("dr-a", "dr-b"), ids("group", 2), FullRotation(), 3, available={"dr-b": frozenset({2})}
            ),
            "facilitator `dr-b` is available for 1 slot but must make 2 visits",
            None,
        ),
        (
            RotationProblem(
                ("dr-a", "dr-b", "dr-c"),
                ids("group", 3),
                VisitsPerGroup(3),
                5,
                exclusions=frozenset({("dr-c", "group-3")}),
            ),
            "group `group-3` needs 3 visits but only 2 facilitators may visit it (the others are excluded)",
            None,
        ),
        (
            RotationProblem(ids("dr", 4), ids("group", 2), FullRotation(), 3, per_room=1),
            "the visits need 4 slots but the breakout fits 3",
            4,
        ),
        (
            RotationProblem(
                ("dr-a",), ids("group", 3), VisitsPerGroup(1), 3, available={"dr-a": frozenset({0, 2})}
            ),
            "groups `group-1`, `group-2` and `group-3` need 3 visits between them, but `dr-a`, the only "
            "facilitator allowed to visit them, can make only 2 visits in the slots they are available",
            None,
        ),
        (
            RotationProblem(
                ("dr-a", "dr-b", "dr-c"),
                ("group-1", "group-2"),
                ExplicitPairs(
                    (("dr-a", "group-1"), ("dr-a", "group-2"), ("dr-b", "group-1"), ("dr-c", "group-2"))
                ),
                2,
                available={"dr-b": frozenset({0}), "dr-c": frozenset({0})},
            ),
            "no order of visits fits the availability windows within 2 slots",
            None,
        ),
        (
            RotationProblem(("dr-a", "dr-b"), ids("group", 3), VisitsPerGroup(3), 5),
            "each group needs 3 visits by different facilitators but the plan has only 2 facilitators",
            None,
        ),
        (
            RotationProblem(
                ("dr-a", "dr-b", "dr-c"),
                ids("group", 2),
                VisitsPerGroup(3),
                5,
                available={"dr-c": frozenset()},
            ),
            "group `group-1` needs 3 visits but only 2 facilitators may visit it "
            "(the others are not available)",
            None,
        ),
        (
            RotationProblem(
                ("dr-a", "dr-b", "dr-c", "dr-d"),
                ("group-1",),
                VisitsPerGroup(3),
                6,
                available={f: frozenset({0}) for f in ("dr-a", "dr-b", "dr-c")},
            ),
            "group `group-1` needs 3 visits but the windows of the facilitators allowed to visit it "
            "leave room for only 2",
            None,
        ),
        (
            RotationProblem(("dr-a",), ("group-1",), ExplicitPairs((("dr-x", "group-1"),)), 2),
            "the visit of `dr-x` to `group-1` names an unknown facilitator `dr-x`",
            None,
        ),
    ],
)
def test_infeasible_plans_are_explained(problem: RotationProblem, reason: str, needed: int | None) -> None:
    with pytest.raises(RotationInfeasible) as caught:
        solve_rotation(problem)
    assert caught.value.reason == reason
    assert caught.value.needed_slots == needed


def test_a_group_whose_visitors_share_too_few_windows_is_named() -> None:
    problem = RotationProblem(
        ("dr-a", "dr-b", "dr-c"),
        ("group-1",),
        FullRotation(),
        4,
        available={"dr-a": frozenset({1}), "dr-b": frozenset({1}), "dr-c": frozenset({0, 1, 2, 3})},
    )
    with pytest.raises(RotationInfeasible) as caught:
        solve_rotation(problem)
    assert caught.value.reason == (
        "group `group-1` must be visited by `dr-a` and `dr-b`, "
        "but they are available in only 1 slot between them"
    )
