"""Which facilitator-group visits are required: the demand, minus exclusions, within capacity.

The rotation solver first fixes the set of visits (pairs) and only then places them in slots; this
module does the first half. For `visits_per_group: k` the choice matters: the number of slots is at
least the largest facilitator load, so loads are balanced by a capacitated b-matching (augmenting
paths over a round-robin greedy start) with the smallest feasible load ceiling. Everything works on
plan-order indices and sorted containers, so the same inputs always give the same pairs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class VisitsPerGroup:
    """Each group is visited by `k` different facilitators; loads as even as possible."""

    k: int


@dataclass(frozen=True)
class FullRotation:
    """Every facilitator meets every group once (except excluded pairs)."""


@dataclass(frozen=True)
class ExplicitPairs:
    """Exactly these (facilitator_id, group_id) visits."""

    pairs: tuple[tuple[str, str], ...]


Demand = VisitsPerGroup | FullRotation | ExplicitPairs
Pair = tuple[int, int]  # (facilitator index, group index), both in plan order


class RotationInfeasible(Exception):
    """No rotation satisfies the plan; `reason` says why in words a course director understands."""

    def __init__(self, reason: str, needed_slots: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        # Set only when the phase is simply too short: how many slots the visits would need.
        self.needed_slots = needed_slots


def names(ids: Sequence[str], limit: int = 6) -> str:
    """`a`, `b` and `c` — shortened after `limit` names so messages stay readable."""
    quoted = [f"`{i}`" for i in ids[:limit]]
    if len(ids) > limit:
        return ", ".join(quoted) + f" and {len(ids) - limit} more"
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def required_pairs(
    facilitators: Sequence[str],
    groups: Sequence[str],
    demand: Demand,
    excluded: frozenset[tuple[int, int]],
    caps: Sequence[int] | None,
    order: Sequence[int],
) -> list[tuple[int, int]]:
    """The required visits as sorted (facilitator index, group index) pairs.

    `caps[f]` bounds facilitator f's visits (the slots they are available for; None = unbounded) and
    is only used to choose pairs for `VisitsPerGroup`; `order` is the facilitator preference order
    (plan order, or a seeded permutation) used to break ties.
    """
    nf, ng = len(facilitators), len(groups)
    if isinstance(demand, FullRotation):
        return [(f, g) for f in range(nf) for g in range(ng) if (f, g) not in excluded]
    if isinstance(demand, ExplicitPairs):
        return _explicit(facilitators, groups, demand, excluded)
    if demand.k < 1:
        raise RotationInfeasible(f"visits per group must be at least 1 (the plan asks for {demand.k})")
    if demand.k > nf:
        have = f"only {plural(nf, 'facilitator')}" if nf else "no facilitators"
        raise RotationInfeasible(
            f"each group needs {plural(demand.k, 'visit')} by different facilitators but the plan has {have}"
        )
    limit = [ng] * nf if caps is None else [min(ng, c) for c in caps]
    return _choose_k(facilitators, groups, demand.k, excluded, limit, order, caps is not None)


def _explicit(
    facilitators: Sequence[str],
    groups: Sequence[str],
    demand: ExplicitPairs,
    excluded: frozenset[tuple[int, int]],
) -> list[tuple[int, int]]:
    fidx = {f: i for i, f in enumerate(facilitators)}
    gidx = {g: i for i, g in enumerate(groups)}
    seen: set[tuple[int, int]] = set()
    for fac, grp in demand.pairs:
        if fac not in fidx:
            raise RotationInfeasible(f"the visit of `{fac}` to `{grp}` names an unknown facilitator `{fac}`")
        if grp not in gidx:
            raise RotationInfeasible(f"the visit of `{fac}` to `{grp}` names an unknown group `{grp}`")
        pair = (fidx[fac], gidx[grp])
        if pair in excluded:
            raise RotationInfeasible(f"`{fac}` must visit `{grp}` but that pair is also excluded")
        if pair in seen:
            raise RotationInfeasible(f"the visit of `{fac}` to `{grp}` is listed twice")
        seen.add(pair)
    return sorted(seen)


def _choose_k(
    facilitators: Sequence[str],
    groups: Sequence[str],
    k: int,
    excluded: frozenset[tuple[int, int]],
    limit: Sequence[int],
    order: Sequence[int],
    availability: bool,
) -> list[tuple[int, int]]:
    nf, ng = len(facilitators), len(groups)
    allowed: list[list[int]] = []
    for g in range(ng):
        start = (g * k) % nf if nf else 0
        rotated = [order[(start + j) % nf] for j in range(nf)]
        allowed.append([f for f in rotated if (f, g) not in excluded and limit[f] > 0])
        if len(allowed[g]) < k:
            may = sum(1 for f in range(nf) if (f, g) not in excluded)
            if may == len(allowed[g]):  # k <= nf, so someone is excluded
                why = "the others are excluded"
            else:
                why = (
                    "the others are not available"
                    if may == nf
                    else "the others are excluded or not available"
                )
            raise RotationInfeasible(
                f"group `{groups[g]}` needs {plural(k, 'visit')} but only "
                f"{plural(len(allowed[g]), 'facilitator')} may visit it ({why})"
            )
    chosen: list[set[int]] = [set() for _ in range(ng)]
    users: list[set[int]] = [set() for _ in range(nf)]
    ceiling = max(1, math.ceil(ng * k / nf)) if nf else 1
    for g in range(ng):  # round-robin start: perfectly even when nothing is excluded
        for f in allowed[g]:
            if len(chosen[g]) == k:
                break
            if len(users[f]) < min(ceiling, limit[f]):
                chosen[g].add(f)
                users[f].add(g)
    top = max(limit, default=0)
    for g in range(ng):
        while len(chosen[g]) < k:
            reached = _augment(g, allowed, chosen, users, [min(ceiling, c) for c in limit])
            if reached is None:
                continue
            if ceiling >= top:
                raise RotationInfeasible(
                    _hall_reason(facilitators, groups, k, reached, allowed, limit, availability)
                )
            ceiling += 1
    return sorted((f, g) for g in range(ng) for f in chosen[g])


def _augment(
    g0: int, allowed: list[list[int]], chosen: list[set[int]], users: list[set[int]], cap: list[int]
) -> list[int] | None:
    """One more facilitator for group g0 along an augmenting path; None on success.

    On failure returns the groups reached: together they need more visits than the facilitators
    allowed to visit them can still make (the Hall violation behind the failure).
    """
    came_from: dict[int, int] = {}  # facilitator -> group that would take it
    gave_up: dict[int, int] = {g0: -1}  # group -> facilitator it would hand over
    queue = [g0]
    for x in queue:
        for f in allowed[x]:
            if f in chosen[x] or f in came_from:
                continue
            came_from[f] = x
            if len(users[f]) < cap[f]:
                while True:  # walk back: each group takes the facilitator freed for it
                    x = came_from[f]
                    chosen[x].add(f)
                    users[f].add(x)
                    if x == g0:
                        return None
                    f = gave_up[x]
                    chosen[x].discard(f)
                    users[f].discard(x)
            for y in sorted(users[f]):
                if y not in gave_up:
                    gave_up[y] = f
                    queue.append(y)
    return queue


def _hall_reason(
    facilitators: Sequence[str],
    groups: Sequence[str],
    k: int,
    reached: list[int],
    allowed: list[list[int]],
    limit: Sequence[int],
    availability: bool,
) -> str:
    """Words for a set of groups whose allowed facilitators cannot make enough visits between them.

    Each allowed facilitator can visit each of these groups at most once and at most `limit` times
    in all, so together they can make at most the sum of min(limit, groups they may visit).
    """
    gs = sorted(reached)
    reach: dict[int, int] = {}
    for g in gs:
        for f in allowed[g]:
            reach[f] = reach.get(f, 0) + 1
    fs = sorted(reach)
    most = sum(min(limit[f], reach[f]) for f in fs)
    one = len(gs) == 1
    them = "it" if one else "them"
    who = (
        f"{names([facilitators[fs[0]]])}, the only facilitator allowed to visit {them},"
        if len(fs) == 1
        else f"the facilitators allowed to visit {them} ({names([facilitators[f] for f in fs])})"
    )
    where = " in the slots they are available" if availability else ""
    return (
        f"{'group' if one else 'groups'} {names([groups[g] for g in gs])} "
        f"{'needs' if one else 'need'} {plural(k * len(gs), 'visit')}{'' if one else ' between them'}, "
        f"but {who} can make only {plural(most, 'visit')}{where}"
    )
