"""The `check` rotation grid fits the terminal for 10+ groups: split into whole columns, ids never cut."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from facilitator.cli.check_report import render_check
from facilitator.plan.loader import load_plan
from facilitator.schedule.build import build_schedule

PLANS = Path(__file__).resolve().parents[2] / "session_plans"


@pytest.mark.parametrize("width", [80, 100, 132])
def test_ten_groups_fit_the_terminal_and_every_id_is_whole(width: int) -> None:
    schedule = build_schedule(load_plan(PLANS / "mentor-rotation.yaml"))
    assert len(schedule.groups) >= 10
    out = io.StringIO()
    render_check(schedule, Console(file=out, width=width, highlight=False, color_system=None))
    text = out.getvalue()
    assert "…" not in text, "a cell was cut"
    assert max(len(line) for line in text.splitlines()) <= width
    grid_lines = text.split("Rotation (", 1)[1].split("Itineraries", 1)[0]
    for slot in schedule.rotation.slots:
        for visit in slot.visits:
            assert visit.facilitator in grid_lines
    for group in schedule.groups:
        assert group.name in grid_lines


def test_the_seed_grid_stays_one_table_on_a_wide_page() -> None:
    schedule = build_schedule(load_plan(PLANS / "shared-living-experiences.yaml"))
    out = io.StringIO()
    render_check(schedule, Console(file=out, width=160, highlight=False, color_system=None))
    assert out.getvalue().count("Rotation (") == 1 and "(groups " not in out.getvalue()
