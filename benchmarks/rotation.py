"""Benchmark: the rotation solver on the seed study up to 40 facilitators x 200 groups.

    python benchmarks/rotation.py [--runs 7]

Prints, per case, the median wall time over --runs solves (after one warm-up), the slots used,
König's lower bound, the `optimal` flag and, where availability windows apply, the window bound:
the slot by which the facilitator whose windows are latest can have made all their visits (no
rotation can be shorter; reaching it means the solver found the shortest one). Targets on a
2-core machine: 40x200 full rotation optimal in < 50 ms; with windows and exclusions < 1 s.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections import Counter

from facilitator.schedule.rotation import (
    FullRotation,
    RotationProblem,
    RotationSolution,
    VisitsPerGroup,
    solve_rotation,
)


def ids(prefix: str, n: int) -> tuple[str, ...]:
    return tuple(f"{prefix}-{i + 1}" for i in range(n))


def windows(facs: tuple[str, ...], slots: int, seed: int) -> dict[str, frozenset[int]]:
    """About a third of the facilitators are away for 1-5 slots (late, leaving early, a call)."""
    rng = random.Random(seed)
    out = {}
    for f in facs:
        if rng.random() < 0.35:
            start = rng.randrange(slots)
            out[f] = frozenset(range(slots)) - set(range(start, start + rng.randint(1, 5)))
    return out


def cases() -> list[tuple[str, RotationProblem]]:
    f40, g200 = ids("dr", 40), ids("group", 200)
    rng = random.Random(7)
    excluded = frozenset((f, g) for f in f40 for g in g200 if rng.random() < 0.01)
    return [
        ("seed study 3x6, k=1", RotationProblem(ids("dr", 3), ids("group", 6), VisitsPerGroup(1), 3)),
        ("10x30 full rotation", RotationProblem(ids("dr", 10), ids("group", 30), FullRotation(), 30)),
        ("40x200 full rotation", RotationProblem(f40, g200, FullRotation(), 200)),
        (
            "40x200 full, 1% excluded",
            RotationProblem(f40, g200, FullRotation(), 200, exclusions=excluded),
        ),
        (
            "40x200 full, windows + 1% excl.",
            RotationProblem(
                f40, g200, FullRotation(), 210, exclusions=excluded, available=windows(f40, 210, 1)
            ),
        ),
        (
            "40x200 k=3, windows, 2/room",
            RotationProblem(f40, g200, VisitsPerGroup(3), 20, per_room=2, available=windows(f40, 20, 2)),
        ),
    ]


def window_bound(problem: RotationProblem, solution: RotationSolution) -> int | None:
    if problem.available is None:
        return None
    load = Counter(f for slot in solution.slots for f, _ in slot)
    every = range(problem.max_slots)
    return max(sorted(problem.available.get(f, every))[n - 1] + 1 for f, n in load.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    head = f"{'case':34} {'visits':>6} {'median ms':>10} {'slots':>6} {'bound':>6} {'window':>7} optimal"
    print(head)
    print("-" * len(head))
    for name, problem in cases():
        solution = solve_rotation(problem)  # warm-up, and the answer we report
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            again = solve_rotation(problem)
            times.append((time.perf_counter() - start) * 1000)
            assert again == solution, "not deterministic"
        visits = sum(len(slot) for slot in solution.slots)
        wb = window_bound(problem, solution)
        print(
            f"{name:34} {visits:>6} {statistics.median(times):>10.2f} {len(solution.slots):>6} "
            f"{solution.lower_bound:>6} {'-' if wb is None else wb:>7} {solution.optimal}"
        )


if __name__ == "__main__":
    main()
