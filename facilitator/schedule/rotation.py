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
budget, never by the clock, so the answer never depends on the machine's speed."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import rustworkx as rx

from facilitator.schedule.visits import (
    Demand,
    ExplicitPairs,
    FullRotation,
    RotationInfeasible,
    VisitsPerGroup,
    counting_problem,
    names,
    plural,
    required_pairs,
    seat,
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

Pair = tuple[int, int]


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
                swaps = _swaps(pairs, nf, ng, excluded, windowed, relax) if choosing else None
                placed = place(pairs, nf, ng, cap, windowed, slots, problem.seed, budget, swaps)
            if placed is not None:
                return _solution(problem, _fill_gaps(placed, windowed))
    raise RotationInfeasible(
        f"no order of visits fits the availability windows within {plural(problem.max_slots, 'slot')}"
    )


CHOICES = 3  # with visits_per_group and availability: different balanced choices of pairs to try


def lower_bound(pairs: Sequence[Pair], nf: int, ng: int, per_room: int) -> int:
    """König's bound: the busiest facilitator's visits, or the busiest room's visits over its capacity."""
    fdeg, gdeg = [0] * nf, [0] * ng
    for f, g in pairs:
        fdeg[f] += 1
        gdeg[g] += 1
    return max([*fdeg, *(-(-d // per_room) for d in gdeg), 0])


def konig_classes(pairs: Sequence[Pair], nf: int, ng: int, per_room: int, seed: int) -> list[list[Pair]]:
    """An optimal colouring (lower_bound colours), as sorted colour classes in a canonical order.

    A room that holds `per_room` facilitators is split into that many copies and its visits dealt
    to them in turn, so each copy has at most ceil(visits / per_room) and gets one per colour.
    Then vertices on each side are packed into bins whose visits add up to at most the bound:
    colouring that smaller multigraph properly colours the original (a vertex's visits are among
    its bin's), and rustworkx colours dense near-regular graphs several times faster.
    """
    listed = list(pairs)
    if seed:
        random.Random(seed).shuffle(listed)
    dealt = [0] * ng
    ends = []
    for f, g in listed:
        ends.append((f, g * per_room + dealt[g] % per_room))
        dealt[g] += 1
    bound = lower_bound(listed, nf, ng, per_room)
    fbin, fbins = _pack([e[0] for e in ends], nf, bound)
    gbin, gbins = _pack([e[1] for e in ends], ng * per_room, bound)
    graph = rx.PyGraph()
    graph.add_nodes_from(range(fbins + gbins))
    index = graph.add_edges_from_no_data([(fbin[f], fbins + gbin[c]) for f, c in ends])
    colour = rx.graph_bipartite_edge_color(graph)
    classes: dict[int, list[Pair]] = {}
    for i, pair in zip(index, listed, strict=True):
        classes.setdefault(colour[i], []).append(pair)
    return sorted(sorted(c) for c in classes.values())


def _pack(ends: Sequence[int], count: int, bound: int) -> tuple[list[int], int]:
    """Next-fit: consecutive vertices share a bin while their degrees add up to at most `bound`."""
    degree = [0] * count
    for v in ends:
        degree[v] += 1
    bins, used, where = 1, 0, [0] * count
    for v in range(count):
        if used + degree[v] > bound:
            bins, used = bins + 1, 0
        where[v], used = bins - 1, used + degree[v]
    return where, bins


def place_classes(
    classes: Sequence[Sequence[Pair]], masks: Sequence[int], slots: int
) -> list[list[Pair]] | None:
    """Lay König's colour classes whole onto slots in which all their facilitators are available."""
    fits = []
    for visits in classes:
        usable = (1 << slots) - 1
        for f, _ in visits:
            usable &= masks[f]
        fits.append(usable)
    slot_of, stuck, _ = seat(fits, 1)
    if stuck:
        return None
    out: list[list[Pair]] = [[] for _ in range(slots)]
    for visits, t in zip(classes, slot_of, strict=True):
        out[t] = list(visits)
    return out


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
        out, left = _build(pairs, nf, ng, per_room, masks, slots, rng)
        if not left:
            return out
        if best is None or len(left) < len(best[1]):
            best = out, left
    assert best is not None
    rng = random.Random(seed * 1_000_003 + slots * 1_009 + 2)
    return _repair(pairs, nf, ng, per_room, masks, slots, best[0], rng, budget, swaps)


def _build(
    pairs: Sequence[Pair],
    nf: int,
    ng: int,
    per_room: int,
    masks: Sequence[int],
    slots: int,
    rng: random.Random | None,
) -> tuple[list[list[Pair]], list[Pair]]:
    """Slot by slot, as many visits as fit, tight ones first. Returns (slots, visits left over)."""
    todo: list[set[int]] = [set() for _ in range(nf)]  # groups each facilitator has still to visit
    visitors: list[set[int]] = [set() for _ in range(ng)]  # facilitators each group still expects
    for f, g in pairs:
        todo[f].add(g)
        visitors[g].add(f)
    frank, grank = list(range(nf)), list(range(ng))
    if rng is not None:
        rng.shuffle(frank)
        rng.shuffle(grank)
    out: list[list[Pair]] = []
    for t in range(slots):
        left = slots - t
        slack = {
            f: (masks[f] >> t).bit_count() - len(todo[f]) for f in range(nf) if todo[f] and masks[f] >> t & 1
        }
        later = [(m >> (t + 1)).bit_count() for m in masks]  # usable slots after this one
        floor = per_room * min((later[f] for f in range(nf) if todo[f]), default=0)
        need = [
            len(v) - per_room * (left - 1)
            if floor >= len(v)
            else _room_need(v, masks, t, left, per_room, later)
            for v in visitors
        ]
        gkey = [(per_room * left - len(v)) * ng + grank[g] for g, v in enumerate(visitors)]
        match = _SlotMatching(todo, visitors, slack, need, per_room, gkey, frank)
        match.fill()
        for f, g in match.mate.items():
            todo[f].discard(g)
            visitors[g].discard(f)
        out.append(sorted(match.mate.items()))
    return out, [(f, g) for f in range(nf) for g in sorted(todo[f])]


def _room_need(
    visitors: set[int], masks: Sequence[int], t: int, left: int, per_room: int, later: list[int]
) -> int:
    """How many of a room's remaining visits must happen in slot t for the rest to fit after it.

    Counting first (per_room a slot); then, only when some visitor has too few later windows to
    rule it out cheaply, a largest seating of the visitors into the later slots they can use.
    """
    need = len(visitors) - per_room * (left - 1)
    if per_room * min(later[f] for f in visitors) >= len(visitors):
        return need
    slot_of, _, _ = seat([masks[f] >> (t + 1) for f in sorted(visitors)], per_room)
    return max(need, slot_of.count(-1))


class _SlotMatching:
    """One slot's visits: a matching that covers tight facilitators and rooms, then grows.

    Augmenting and alternating paths only move matched facilitators between rooms, so whoever is
    covered stays covered (Mendelsohn-Dulmage): tight facilitators first (slack 0: as many visits
    left as usable slots), then rooms that need visits now, then as many other visits as fit.
    """

    def __init__(
        self,
        todo: list[set[int]],
        visitors: list[set[int]],
        slack: dict[int, int],
        need: list[int],
        per_room: int,
        gkey: list[int],
        frank: list[int],
    ) -> None:
        self.todo, self.visitors, self.slack, self.need = todo, visitors, slack, need
        self.per_room, self.gkey, self.frank = per_room, gkey, frank
        self.mate: dict[int, int] = {}
        self.members: dict[int, list[int]] = {}
        self.full: set[int] = set()  # rooms at capacity in this slot

    def load(self, g: int) -> int:
        return len(self.members.get(g, ()))

    def move(self, f: int, g: int | None) -> int | None:
        """Put f in room g (None: out of any room); returns the room f left."""
        old = self.mate.pop(f, None)
        if old is not None:
            self.members[old].remove(f)
            if len(self.members[old]) < self.per_room:
                self.full.discard(old)
        if g is not None:
            self.mate[f] = g
            self.members.setdefault(g, []).append(f)
            if len(self.members[g]) >= self.per_room:
                self.full.add(g)
        return old

    def fill(self) -> None:
        slack, todo = self.slack, self.todo
        order = sorted(slack, key=lambda f: (max(slack[f], 0), -len(todo[f]), self.frank[f]))
        for f in order:
            options = todo[f] - self.full
            if options:
                self.move(f, min(options, key=self.gkey.__getitem__))
        for f in order:
            if f not in self.mate and slack[f] <= 0:
                self.from_facilitator(f, steal=True)
        for g in sorted((g for g, n in enumerate(self.need) if n > 0), key=self.gkey.__getitem__):
            while self.load(g) < min(self.need[g], self.per_room) and self.from_group(g):
                pass
        for f in order:
            if f not in self.mate:
                self.from_facilitator(f, steal=False)

    def from_facilitator(self, f0: int, steal: bool) -> bool:
        """Match f0 by moving others along an alternating path; with `steal`, someone with slack to
        spare may be the one left out."""
        prev = {f0: -1}
        queue = [f0]
        for x in queue:
            for g in sorted(self.todo[x]):
                if self.mate.get(x) == g:
                    continue
                if self.load(g) < self.per_room:
                    self._shift(x, g, prev)
                    return True
                for y in self.members[g]:
                    if y not in prev:
                        prev[y] = x
                        queue.append(y)
        victims = [y for y in queue[1:] if self.slack[y] > 0]
        if not steal or not victims:
            return False
        y = max(victims, key=lambda y: (self.slack[y], self.frank[y]))
        left = self.move(y, None)
        assert left is not None
        self._shift(prev[y], left, prev)
        return True

    def _shift(self, x: int, g: int, prev: dict[int, int]) -> None:
        while True:  # x takes g; the room x leaves goes to whoever reached x
            old = self.move(x, g)
            if old is None:
                return
            g, x = old, prev[x]

    def from_group(self, g0: int) -> bool:
        """One more visit for room g0: a free facilitator, or one from a room with visits to spare."""
        prev: dict[int, tuple[int, int]] = {}
        queue = [g0]
        for x in queue:
            for f in sorted(self.visitors[x]):
                h = self.mate.get(f, -1)
                if f not in self.slack or h == x:
                    continue
                if h < 0 or self.load(h) > self.need[h]:
                    while True:  # f moves to x; x passes the facilitator it was asked for onward
                        self.move(f, x)
                        if x == g0:
                            return True
                        x, f = prev[x]
                if h not in prev and h != g0:
                    prev[h] = (x, f)
                    queue.append(h)
        return False


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


def _repair(
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


def _swaps(
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
