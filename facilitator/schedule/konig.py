"""Without availability windows a rotation is an edge colouring of the bipartite multigraph of
visits, and König's theorem gives the optimum: the largest number of visits of any facilitator, or
of any room divided by its capacity. rustworkx colours it in milliseconds; with windows, the
colour classes are first tried whole, each on a slot all of its facilitators can use.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import rustworkx as rx

from facilitator.schedule.seating import seat
from facilitator.schedule.visits import Pair


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
