"""The rotation: which facilitator visits which breakout group in which slot. Pure and deterministic.

Without availability windows this is edge-colouring a bipartite multigraph and König's theorem
gives the optimum (the largest number of visits of any facilitator, or of any room divided by its
capacity); rustworkx colours it in milliseconds. With windows it becomes list edge-colouring, which
is NP-hard, so we try slot counts S upward from the bound and, for each, (1) lay König's colour
classes onto slots whole; else (2) build slot by slot, each slot a matching that covers every
*tight* facilitator or room (one that cannot skip this slot and still finish in time); else (3)
repair the better greedy build with a seeded tabu search, which with `visits_per_group` may also
hand a visit to another allowed facilitator. Simple counting rules out most impossible S first
and names the culprit when even the whole phase is impossible. Every search is bounded by a work
budget, never by the clock, so the answer never depends on the machine's speed.

This module is the public entry point and the search over slot counts; the steps live in
visits.py (which visits), konig.py (1), slotting.py (2), repair.py (3) and seating.py (the
window matching and counting that all of them share)."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from facilitator.schedule.konig import konig_classes, lower_bound, place_classes
from facilitator.schedule.repair import SOLVE_MOVES, Swaps, repair, swaps_for
from facilitator.schedule.seating import counting_problem, seat
from facilitator.schedule.slotting import build_slots
from facilitator.schedule.visits import (
    Demand,
    ExplicitPairs,
    FullRotation,
    Pair,
    RotationInfeasible,
    VisitsPerGroup,
    names,
    plural,
    required_pairs,
)

__all__ = [
    "Demand",
    "ExplicitPairs",
    "FullRotation",
    "RotationInfeasible",
    "RotationProblem",
    "RotationSolution",
    "VisitsPerGroup",
    "solve_rotation",
]


@dataclass(frozen=True)
class RotationProblem:
    facilitators: tuple[str, ...]  # ids, in plan order
    groups: tuple[str, ...]  # ids, in plan order
    demand: Demand
    max_slots: int  # how many slots fit in the breakout phase (upper limit)
    per_room: int = 1
    exclusions: frozenset[tuple[str, str]] = frozenset()  # (facilitator, group) never meet
    # facilitator -> usable slot indices; absent = all; indices outside range(max_slots) are ignored
    available: Mapping[str, frozenset[int]] | None = None
    seed: int = 0  # tie-breaking only; same inputs + seed -> same output


@dataclass(frozen=True)
class RotationSolution:
    lower_bound: int  # König: max(visits of any facilitator, ceil(visits of any group / per_room))
    optimal: bool  # len(slots) == lower_bound
    # slot index -> sorted (facilitator, group) visits; a slot is empty only when availability forces it
    slots: tuple[tuple[tuple[str, str], ...], ...]


def solve_rotation(problem: RotationProblem) -> RotationSolution:
    """Choose the required visits and place them in as few slots as possible.

    Raises RotationInfeasible with a reason in plain words: the most specific one we can find, so
    counting problems are reported before the search is given up on.
    """
    nf, ng, cap = len(problem.facilitators), len(problem.groups), problem.per_room
    excluded, masks = _validate(problem)
    order = list(range(nf))
    if problem.seed:
        random.Random(problem.seed).shuffle(order)

    def choose(caps: list[int] | None, order: list[int]) -> list[Pair]:
        return required_pairs(problem.facilitators, problem.groups, problem.demand, excluded, caps, order)

    def counting(pairs: list[Pair], slots: int) -> str:
        return counting_problem(problem.facilitators, problem.groups, cap, pairs, masks or [], slots)

    pairs = choose(None, order)
    bound = lower_bound(pairs, nf, ng, cap)
    if bound > problem.max_slots:
        raise RotationInfeasible(
            f"the visits need {plural(bound, 'slot')} but the breakout fits {problem.max_slots}",
            needed_slots=bound,
        )
    if masks is None:
        return _solution(problem, konig_classes(pairs, nf, ng, cap, problem.seed))
    choosing = isinstance(problem.demand, VisitsPerGroup)
    if choosing:  # the reasons, if even the whole phase cannot hold any choice of pairs
        pairs = choose([m.bit_count() for m in masks], order)
        reason = _too_few_windows(problem, excluded, masks)
    else:
        reason = counting(pairs, problem.max_slots)
    if reason:
        raise RotationInfeasible(reason)
    orders = [order]
    if choosing:  # which pairs fit the windows best is hard to see in advance: try other choices too
        for extra in range(1, CHOICES):
            orders.append(order[:])
            random.Random(problem.seed * 7_919 + extra).shuffle(orders[-1])
    budget = [SOLVE_MOVES]  # shared by the repairs of all slot counts and choices tried
    last: list[Pair] = []
    classes: list[list[Pair]] = []
    for slots in range(bound, problem.max_slots + 1):
        windowed = [m & ((1 << slots) - 1) for m in masks]
        tried: set[tuple[Pair, ...]] = set()
        for attempt, ordering in enumerate(orders):
            if choosing:  # a facilitator's load must fit their windows within `slots`
                try:
                    pairs = choose([m.bit_count() for m in windowed], ordering)
                except RotationInfeasible:
                    break
            if tuple(pairs) in tried or (not choosing and counting(pairs, slots)):
                continue
            tried.add(tuple(pairs))
            if pairs != last:
                classes, last = konig_classes(pairs, nf, ng, cap, problem.seed), pairs
            placed = place_classes(classes, windowed, slots)
            if placed is None:
                relax = attempt == len(orders) - 1  # last try: loads may go beyond the balanced ceiling
                swaps = swaps_for(pairs, nf, ng, excluded, windowed, relax) if choosing else None
                placed = place(pairs, nf, ng, cap, windowed, slots, problem.seed, budget, swaps)
            if placed is not None:
                return _solution(problem, _fill_gaps(placed, windowed))
    raise RotationInfeasible(
        f"no order of visits fits the availability windows within {plural(problem.max_slots, 'slot')}"
    )


CHOICES = 3  # with visits_per_group and availability: different balanced choices of pairs to try


def place(
    pairs: Sequence[Pair],
    nf: int,
    ng: int,
    per_room: int,
    masks: Sequence[int],
    slots: int,
    seed: int,
    budget: list[int],
    swaps: Swaps | None = None,
) -> list[list[Pair]] | None:
    """Greedy builds (plan order, then one seeded shuffle), then tabu repair of the better one."""
    best: tuple[list[list[Pair]], list[Pair]] | None = None
    for attempt in range(2):
        rng = random.Random(seed * 1_000_003 + slots * 1_009 + attempt) if attempt else None
        out, left = build_slots(pairs, nf, ng, per_room, masks, slots, rng)
        if not left:
            return out
        if best is None or len(left) < len(best[1]):
            best = out, left
    assert best is not None
    rng = random.Random(seed * 1_000_003 + slots * 1_009 + 2)
    return repair(pairs, nf, ng, per_room, masks, slots, best[0], rng, budget, swaps)


def _too_few_windows(problem: RotationProblem, excluded: frozenset[Pair], masks: Sequence[int]) -> str:
    """A group whose allowed facilitators are available in too few different slots for k visits."""
    assert isinstance(problem.demand, VisitsPerGroup)
    k, nf = problem.demand.k, len(problem.facilitators)
    for g, gid in enumerate(problem.groups):
        allowed = [masks[f] for f in range(nf) if (f, g) not in excluded]
        slot_of, _, _ = seat(allowed, problem.per_room)
        room_for = len(slot_of) - slot_of.count(-1)
        if room_for < k:
            return (
                f"group `{gid}` needs {plural(k, 'visit')} but the windows of the facilitators "
                f"allowed to visit it leave room for only {room_for}"
            )
    return ""


def _fill_gaps(slots: list[list[Pair]], masks: Sequence[int]) -> list[list[Pair]]:
    """Give each empty slot before the last a visit whose facilitator can be there, so no room
    waits without need. The slot is empty, so the moved visit clashes with nothing; it comes from a
    slot with visits to spare, or from the last slot (which may then end the rotation earlier).
    """
    for t in range(len(slots)):
        used = [u for u, visits in enumerate(slots) if visits]
        if slots[t] or not used or t > used[-1]:
            continue
        donors = [u for u in used if len(slots[u]) > 1 or u == used[-1]]
        for u in sorted(donors, key=lambda u: (u != used[-1], -len(slots[u]), u)):
            movable = [pair for pair in slots[u] if masks[pair[0]] >> t & 1]
            if movable:
                slots[u].remove(movable[0])
                slots[t].append(movable[0])
                break
    return slots


def _validate(problem: RotationProblem) -> tuple[frozenset[Pair], list[int] | None]:
    """Index the exclusions and availability; reject ids that name nobody, so typos never vanish."""
    if problem.per_room < 1:
        raise RotationInfeasible(
            f"facilitators per room must be at least 1 (the plan says {problem.per_room})"
        )
    if problem.max_slots < 0:
        raise RotationInfeasible(f"the breakout cannot fit {problem.max_slots} slots")
    for kind, ids in (("facilitator", problem.facilitators), ("group", problem.groups)):
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise RotationInfeasible(f"{kind} {names(twice)} is listed more than once")
    fidx = {f: i for i, f in enumerate(problem.facilitators)}
    gidx = {g: i for i, g in enumerate(problem.groups)}
    excluded = set()
    for fid, gid in sorted(problem.exclusions):
        if fid not in fidx or gid not in gidx:
            unknown = f"facilitator `{fid}`" if fid not in fidx else f"group `{gid}`"
            raise RotationInfeasible(f"the exclusion of `{fid}` from `{gid}` names an unknown {unknown}")
        excluded.add((fidx[fid], gidx[gid]))
    if problem.available is None:
        return frozenset(excluded), None
    unknown_ids = sorted(set(problem.available) - set(fidx))
    if unknown_ids:
        raise RotationInfeasible(f"availability is given for unknown facilitator {names(unknown_ids)}")
    full = (1 << problem.max_slots) - 1
    masks = []
    for fid in problem.facilitators:
        usable = problem.available.get(fid)
        masks.append(
            full if usable is None else sum(1 << t for t in set(usable) if 0 <= t < problem.max_slots)
        )
    return frozenset(excluded), masks


def _solution(problem: RotationProblem, slots: Sequence[Sequence[Pair]]) -> RotationSolution:
    used = max((t + 1 for t, visits in enumerate(slots) if visits), default=0)
    fids, gids = problem.facilitators, problem.groups
    named = tuple(tuple(sorted((fids[f], gids[g]) for f, g in slots[t])) for t in range(used))
    visits = [pair for t in range(used) for pair in slots[t]]  # swaps may have changed the pairs
    bound = lower_bound(visits, len(fids), len(gids), problem.per_room)
    return RotationSolution(lower_bound=bound, optimal=used == bound, slots=named)
