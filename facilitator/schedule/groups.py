"""Students into breakout groups: balanced, from the roster, or seeded random.

Students the roster already places stay where it puts them; everyone else goes to the currently
smallest group, so sizes differ by at most one unless the roster itself makes them uneven.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from facilitator.plan.checks import group_id
from facilitator.plan.models import Student


def assign_groups(
    students: Sequence[Student], group_names: Sequence[str], method: str, seed: int
) -> dict[str, list[str]]:
    """Map group id -> student emails (sorted). Deterministic for the same inputs and seed."""
    ids = [group_id(n) for n in group_names]
    by_name = {n: group_id(n) for n in group_names} | {i: i for i in ids}
    members: dict[str, list[str]] = {gid: [] for gid in ids}
    unplaced: list[Student] = []
    for student in sorted(students, key=lambda s: s.email):
        if student.group is not None and student.group in by_name:
            members[by_name[student.group]].append(student.email)
        else:
            unplaced.append(student)
    if method == "random":
        random.Random(seed).shuffle(unplaced)
    elif method == "balanced":
        # Interleave by name so alphabetical neighbours (often siblings or friends) spread out.
        unplaced.sort(key=lambda s: (s.name.casefold(), s.email))
    for student in unplaced:
        smallest = min(ids, key=lambda gid: (len(members[gid]), ids.index(gid)))
        members[smallest].append(student.email)
    return {gid: sorted(emails) for gid, emails in members.items()}
