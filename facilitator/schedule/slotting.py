"""The greedy build of a rotation under availability windows, one slot at a time.

List edge-colouring is NP-hard, so when König's colour classes do not fit the windows the
rotation is built slot by slot: each slot a matching that covers every *tight* facilitator or
room (one that cannot skip this slot and still finish in time), then grows as large as it can.
What is left over goes to the tabu repair (repair.py).
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from facilitator.schedule.seating import seat
from facilitator.schedule.visits import Pair


def build_slots(
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
