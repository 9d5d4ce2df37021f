"""The plan chooses the console's strategy; a wrong value names the file, line and field."""

from __future__ import annotations

import random

import pytest

from facilitator.plan.errors import PlanError
from facilitator.plan.loader import load_plan_text
from facilitator.schedule.build import build_schedule
from facilitator.zoomapp.service import console_strategy
from tests.web.conftest import PLAN

TEXT = PLAN.read_text()


def with_strategy(value: str) -> str:
    return TEXT.replace(
        "    mute_upon_entry: true\n", f"    mute_upon_entry: true\n    console_strategy: {value}\n", 1
    )


def test_the_default_is_move_and_reopen_can_be_chosen() -> None:
    assert console_strategy(build_schedule(load_plan_text(TEXT, base_dir=PLAN.parent))) == "move"
    chosen = build_schedule(load_plan_text(with_strategy("reopen"), base_dir=PLAN.parent))
    assert console_strategy(chosen) == "reopen"


def test_a_wrong_strategy_names_file_line_and_field() -> None:
    with pytest.raises(PlanError) as err:
        load_plan_text(with_strategy("sideways"), file="p.yaml", base_dir=PLAN.parent)
    (problem,) = err.value.problems
    assert problem.path == "session.zoom.console_strategy" and problem.file == "p.yaml"
    assert problem.line == TEXT.splitlines().index("    mute_upon_entry: true") + 2
    assert "'move' or 'reopen'" in problem.message


def test_fuzzed_strategy_values_are_plan_errors_never_crashes() -> None:
    rng = random.Random(5)
    for _ in range(60):
        value = "".join(rng.choice("abcmoverpn:{}[]-'\" 0123") for _ in range(rng.randrange(1, 12)))
        try:
            loaded = load_plan_text(with_strategy(value), base_dir=PLAN.parent)
        except PlanError as exc:
            assert all(p.line is not None for p in exc.problems), exc
            continue
        assert console_strategy(build_schedule(loaded)) in {"move", "reopen"}
