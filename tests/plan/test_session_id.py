"""`session.id`: the identity a session keeps across plan edits; anything else is a located error."""

from __future__ import annotations

import random
import string
from pathlib import Path

import pytest

from facilitator.plan.errors import PlanError
from facilitator.plan.loader import load_plan_text
from facilitator.schedule.build import build_schedule

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "session_plans" / "shared-living-experiences.yaml"


def with_id(value: str, start: str = "2027-01-14 13:00") -> str:
    text = SEED.read_text().replace("start: 2027-01-14 13:00", f"start: {start}")
    return text.replace("session:\n", f"session:\n  id: {value}\n", 1)


def test_an_explicit_id_survives_a_moved_start_and_the_default_does_not() -> None:
    def sid(text: str) -> str:
        return build_schedule(load_plan_text(text, file="p.yaml", base_dir=SEED.parent)).session.id

    assert sid(with_id("sle-2027-cohort-a")) == sid(with_id("sle-2027-cohort-a", "2027-01-15 09:00"))
    assert sid(with_id("sle-2027-cohort-a")) == "sle-2027-cohort-a"
    plain = SEED.read_text()
    assert sid(plain) != sid(plain.replace("start: 2027-01-14 13:00", "start: 2027-01-15 09:00"))


@pytest.mark.parametrize("bad", ["Has Spaces", "UPPER", "'a/b'", "'../x'", "''", "[1, 2]", "{a: 1}"])
def test_a_bad_id_is_an_error_located_at_its_line(bad: str) -> None:
    with pytest.raises(PlanError) as caught:
        load_plan_text(with_id(bad), file="p.yaml", base_dir=SEED.parent)
    (problem,) = caught.value.problems
    assert str(problem).startswith("p.yaml:4:") and "session.id" in str(problem)


def test_fuzzed_ids_are_accepted_or_located_never_a_crash() -> None:
    rng = random.Random(1010)
    alphabet = string.ascii_letters + string.digits + "-_ ./:#'\"{}[]!@%&*\\\t\u00e9\u4e2d"
    for _ in range(300):
        value = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        try:
            loaded = load_plan_text(with_id(value), file="p.yaml", base_dir=SEED.parent)
        except PlanError as exc:
            assert all(str(p).startswith("p.yaml:") for p in exc.problems), value
            continue
        schedule = build_schedule(loaded)
        assert schedule.session.id and "/" not in schedule.session.id, value
