"""Can visits fit the availability windows? Seating items into slots, and the counting that
rules a slot count out before any search.

`seat` is a bipartite matching of items (visits, colour classes, facilitators) to the slots their
bitmask allows, at most `per_slot` to a slot; when it cannot seat everyone it also names a set of
items that need more room than their usable slots hold, which is what an error message must say.
"""

from __future__ import annotations

from collections.abc import Sequence

from facilitator.schedule.visits import names, plural


def counting_problem(
    facilitators: Sequence[str],
    groups: Sequence[str],
    per_room: int,
    pairs: Sequence[tuple[int, int]],
    masks: Sequence[int],
    slots: int,
) -> str:
    """A reason that simple counting rules out `slots` slots under the availability windows, or ''."""
    window = (1 << slots) - 1
    load = [0] * len(facilitators)
    visitors: list[list[int]] = [[] for _ in groups]
    for f, g in pairs:
        load[f] += 1
        visitors[g].append(f)
    for f, fid in enumerate(facilitators):
        have = (masks[f] & window).bit_count()
        if load[f] > have:
            return (
                f"facilitator `{fid}` is available for {plural(have, 'slot')} "
                f"but must make {plural(load[f], 'visit')}"
            )
    for g, gid in enumerate(groups):
        _, stuck, between = seat([masks[f] & window for f in visitors[g]], per_room)
        if stuck:
            who = [facilitators[visitors[g][i]] for i in stuck]
            room = "" if per_room == 1 else f" with at most {per_room} in a room at a time"
            return (
                f"group `{gid}` must be visited by {names(who)}, but they are available in only "
                f"{plural(between, 'slot')} between them{room}"
            )
    return ""


def seat(masks: Sequence[int], per_slot: int) -> tuple[list[int], list[int], int]:
    """Give each item a slot from its mask, at most `per_slot` items a slot (Kuhn's augmenting paths).

    Returns (slot of each item, -1 for those left out of a largest seating; a set of items that
    need more room than the slots they can use between them hold, or []; how many slots those are).
    """
    holders: dict[int, list[int]] = {}
    full = 0  # bitmask of slots already holding per_slot items

    def find(i: int, seen: list[int]) -> bool:
        nonlocal full
        free = masks[i] & ~full & ~seen[0]
        if free:  # a free slot: no need to displace anyone
            t = (free & -free).bit_length() - 1
            here = holders.setdefault(t, [])
            here.append(i)
            if len(here) == per_slot:
                full |= 1 << t
            return True
        rest = masks[i] & ~seen[0]
        seen[0] |= rest
        while rest:
            low = rest & -rest
            rest ^= low
            here = holders[low.bit_length() - 1]
            for j, other in enumerate(here):
                if find(other, seen):
                    here[j] = i
                    return True
        return False

    stuck: list[int] = []
    between = 0
    for i in sorted(range(len(masks)), key=lambda i: (masks[i].bit_count(), i)):
        seen = [0]
        if not find(i, seen) and not stuck:
            slots = [t for t in holders if seen[0] >> t & 1]
            stuck, between = sorted({i, *(j for t in slots for j in holders[t])}), len(slots)
    slot_of = [-1] * len(masks)
    for t, items in holders.items():
        for i in items:
            slot_of[i] = t
    return slot_of, stuck, between
