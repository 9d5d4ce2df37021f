"""What `run` says before the host console runs a plan's rotation."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from facilitator.plan.loader import load_plan
from facilitator.schedule.build import build_schedule
from facilitator.zoomapp.service import alternative_host_warning

SEED = Path(__file__).resolve().parents[2] / "session_plans" / "shared-living-experiences.yaml"


def test_alternative_hosts_are_warned_about_only_when_the_plan_makes_them() -> None:
    schedule = build_schedule(load_plan(SEED))
    assert schedule.session.zoom.get("alternative_hosts", True) is True  # the default
    warning = alternative_host_warning(schedule)
    assert warning is not None and "alternative_hosts: false" in warning
    plain = replace(
        schedule,
        session=replace(schedule.session, zoom={**schedule.session.zoom, "alternative_hosts": False}),
    )
    assert alternative_host_warning(plain) is None
