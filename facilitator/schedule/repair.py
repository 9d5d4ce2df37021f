"""Repairing a greedy build that left visits over: a seeded tabu search over where each visit
goes, which with `visits_per_group` may also hand a visit to another allowed facilitator.

Every search is bounded by a work budget (candidate moves looked at), never by the clock, so the
answer never depends on the machine's speed.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from facilitator.schedule.visits import Pair

# Candidate moves the tabu repair may look at (a few million a second here): per repair, at most
# REPAIR_PER_OPTION per (visit, usable slot) option and REPAIR_MOVES in all; per solve, across all
# slot counts tried, SOLVE_MOVES. Solvable instances we generated needed under 200 per option; the
# limits bound the time spent on a slot count that may be impossible before trying the next.
REPAIR_PER_OPTION = 400
REPAIR_MOVES = 1_000_000
SOLVE_MOVES = 3_000_000


@dataclass(frozen=True)
class Swaps:
    """With visits_per_group, a visit may also change hands: to another facilitator allowed in
    that group who does not visit it yet and stays within their load cap."""

    allowed: Sequence[Sequence[int]]  # group -> facilitators who may visit it
    caps: Sequence[int]  # facilitator -> most visits


def repair(
    pairs: Sequence[Pair],
    nf: int,
    ng: int,
    per_room: int,
    masks: Sequence[int],
    slots: int,
    start: list[list[Pair]],
    rng: random.Random,
    budget: list[int],
    swaps: Swaps | None,
) -> list[list[Pair]] | None:
    """Tabu search over where each visit goes, starting from a (partial) greedy build.

    Tabucol on the visits. Cost: visits beyond one per facilitator and slot, plus beyond
    `per_room` per room and slot. Each step makes the best move of one conflicting visit: to
    another slot in its facilitator's windows; with `swaps` also to another allowed facilitator
    with load to spare, or trading rooms with a visit elsewhere (both keep slot and load).
    Recently left places are skipped unless that gives the best cost yet; done at cost 0.
    """
    who = [f for f, _ in pairs]  # each visit's facilitator (may change with swaps)
    room = [g for _, g in pairs]
    index = {pair: e for e, pair in enumerate(pairs)}
    where = [-1] * len(pairs)
    for t, visits in enumerate(start):
        for pair in visits:
            where[index[pair]] = t
    usable = [[t for t in range(slots) if m >> t & 1] for m in masks]
    fin: list[list[set[int]]] = [[set() for _ in range(slots)] for _ in range(nf)]  # visits of f at t
    gin: list[list[set[int]]] = [[set() for _ in range(slots)] for _ in range(ng)]  # visits to g at t
    load, met = [0] * nf, set(index)
    for e, t in enumerate(where):
        load[who[e]] += 1
        if t >= 0:
            fin[who[e]][t].add(e)
            gin[room[e]][t].add(e)
    for e in sorted((e for e, t in enumerate(where) if t < 0), key=lambda e: (len(usable[who[e]]), e)):
        f, g = who[e], room[e]
        if not usable[f]:
            return None
        t = min(usable[f], key=lambda t: (len(fin[f][t]) + max(0, len(gin[g][t]) + 1 - per_room), t))
        where[e] = t
        fin[f][t].add(e)
        gin[g][t].add(e)

    def clash(e: int) -> bool:
        return len(fin[who[e]][where[e]]) > 1 or len(gin[room[e]][where[e]]) > per_room

    cost = sum(max(0, len(c) - 1) for row in fin for c in row)
    cost += sum(max(0, len(c) - per_room) for row in gin for c in row)
    best, step = cost, 0
    clashing = {e for e in range(len(pairs)) if clash(e)}
    banned: dict[tuple[int, int, int], int] = {}
    moves = min(budget[0], REPAIR_MOVES, REPAIR_PER_OPTION * sum(len(usable[f]) for f in who))
    allowed = [set(a) for a in swaps.allowed] if swaps is not None else []

    def put(e: int, f: int, t: int) -> None:
        fin[who[e]][where[e]].discard(e)
        gin[room[e]][where[e]].discard(e)
        met.discard((who[e], room[e]))
        load[who[e]] -= 1
        who[e], where[e] = f, t
        fin[f][t].add(e)
        gin[room[e]][t].add(e)
        met.add((f, room[e]))
        load[f] += 1

    while cost and moves > 0:
        step += 1
        choice: tuple[int, float, int, int, int, int] | None = None  # delta, tie, visit, hand, slot, other
        for e in sorted(clashing):
            f, g, a = who[e], room[e], where[e]
            freed_f, freed_g = len(fin[f][a]) > 1, len(gin[g][a]) > per_room
            hands = [f]
            if swaps is not None:
                hands += [x for x in swaps.allowed[g] if (x, g) not in met and load[x] < swaps.caps[x]]
            for f2 in hands:
                moves -= len(usable[f2])
                budget[0] -= len(usable[f2])
                for t in usable[f2]:
                    if f2 == f and t == a:
                        continue
                    delta = bool(fin[f2][t]) - freed_f
                    if t != a:
                        delta += (len(gin[g][t]) >= per_room) - freed_g
                    if banned.get((e, f2, t), 0) > step and cost + delta >= best:
                        continue
                    key = (delta, rng.random(), e, f2, t, -1)
                    if choice is None or key < choice:
                        choice = key
            if swaps is None:
                continue
            moves -= len(pairs)
            budget[0] -= len(pairs)
            for x in range(len(pairs)):  # trade rooms with a visit elsewhere; both keep their slots
                f2, g2, b = who[x], room[x], where[x]
                if (
                    g2 == g
                    or f2 not in allowed[g]
                    or f not in allowed[g2]
                    or (f2, g) in met
                    or (f, g2) in met
                ):
                    continue
                delta = 0
                if a != b:
                    delta += (len(gin[g][b]) >= per_room) - freed_g
                    delta += (len(gin[g2][a]) >= per_room) - (len(gin[g2][b]) > per_room)
                if banned.get((e, f2, b), 0) > step and cost + delta >= best:
                    continue
                key = (delta, rng.random(), e, f2, b, x)
                if choice is None or key < choice:
                    choice = key
        if choice is None:
            continue
        delta, _, e, f2, t, other = choice
        f, g, a = who[e], room[e], where[e]
        touched = fin[f][a] | gin[g][a] | {e}
        banned[(e, f, a)] = step + rng.randint(0, 9) + (6 * len(clashing)) // 10
        put(e, f2, t)
        if other >= 0:
            touched |= gin[room[other]][t] | {other}
            put(other, f, a)
            touched |= gin[room[other]][a]
        cost += delta
        best = min(best, cost)
        for x in touched | fin[f2][t] | gin[g][t]:
            if clash(x):
                clashing.add(x)
            else:
                clashing.discard(x)
    if cost:
        return None
    out: list[list[Pair]] = [[] for _ in range(slots)]
    for e, t in enumerate(where):
        out[t].append((who[e], room[e]))
    return out


def swaps_for(
    pairs: Sequence[Pair], nf: int, ng: int, excluded: frozenset[Pair], masks: Sequence[int], relax: bool
) -> Swaps:
    """Who else may take a visit: anyone allowed in the room, within their windows and up to the
    busiest facilitator's load (so the König bound stays put) unless `relax`."""
    load = [0] * nf
    for f, _ in pairs:
        load[f] += 1
    ceiling = max((m.bit_count() for m in masks), default=0) if relax else max(load, default=0)
    caps = [min(ceiling, m.bit_count()) for m in masks]
    allowed = [[f for f in range(nf) if (f, g) not in excluded and caps[f] > 0] for g in range(ng)]
    return Swaps(allowed, caps)
