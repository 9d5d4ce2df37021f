"""The plan's `support:` contacts: loaded into the schedule, bad entries located by line, and a
seeded fuzz of the section that must end in a plan or a PlanError, never a traceback."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from facilitator.plan.errors import PlanError
from facilitator.plan.loader import load_plan
from facilitator.schedule.build import build_schedule
from tests.plan.test_bad_plans import GOOD, line_of, problems, write

SUPPORT = """\
support:
  - name: Student counselling service
    url: https://wellbeing.example.edu/counselling
    hours: Mon-Fri 9-17
  - {name: 24/7 crisis line, phone: "+1 555 0199", hours: "24/7"}
"""


def test_support_contacts_reach_the_schedule(tmp_path: Path) -> None:
    schedule = build_schedule(load_plan(write(tmp_path, GOOD + SUPPORT)))
    first, second = schedule.session.support
    assert first.name == "Student counselling service" and first.url and first.phone is None
    assert second.phone == "+1 555 0199" and second.hours == "24/7"


def test_a_contact_without_phone_or_url_is_located(tmp_path: Path) -> None:
    text = GOOD + "support:\n  - {name: Somebody, hours: always}\n"
    (msg,) = problems(tmp_path, text)
    assert f":{line_of(text, 'Somebody')}:" in msg and "support[0]" in msg
    assert "give a `phone` or a `url`" in msg


def test_a_url_that_is_not_a_web_address_is_located(tmp_path: Path) -> None:
    text = GOOD + 'support:\n  - {name: Counselling, url: "javascript:alert(1)"}\n'
    (msg,) = problems(tmp_path, text)
    assert "support[0].url" in msg and f":{line_of(text, 'javascript')}:" in msg


def test_unknown_support_key_suggests(tmp_path: Path) -> None:
    text = GOOD + 'support:\n  - {name: Counselling, phnoe: "+1 555 0100"}\n'
    found = problems(tmp_path, text)
    assert any("support[0].phnoe: unknown key" in m and "`phone`" in m for m in found)


VALUES = ['""', "x", '"+1 555 0100"', "https://wellbeing.example.edu", "'javascript:x'", "12", "[]", "{}",
          "null", "true", '"' + "é" * 200 + '"', "- a", "'https://a b'"]  # fmt: skip
KEYS = ["name", "phone", "url", "hours", "nmae", "extra"]


def test_fuzzed_support_sections_load_or_fail_cleanly(tmp_path: Path) -> None:
    rng = random.Random(20270114)
    outcomes = {"ok": 0, "error": 0}
    for n in range(120):
        entries = []
        for _ in range(rng.randint(0, 3)):
            keys = rng.sample(KEYS, rng.randint(0, 4))
            entries.append("{" + ", ".join(f"{k}: {rng.choice(VALUES)}" for k in keys) + "}")
        body = rng.choice(["support: [" + ", ".join(entries) + "]", "support: " + rng.choice(VALUES)])
        folder = tmp_path / str(n)
        folder.mkdir()
        try:
            load_plan(write(folder, GOOD + body + "\n"))
            outcomes["ok"] += 1
        except PlanError as exc:
            assert all(str(p).startswith(str(folder / "plan.yaml")) for p in exc.problems), exc.problems
            outcomes["error"] += 1
    assert outcomes["ok"] > 0 and outcomes["error"] > 0, outcomes


@pytest.mark.parametrize(
    "plan", sorted((Path(__file__).resolve().parents[2] / "session_plans").glob("*.yaml"))
)
def test_every_bundled_plan_names_support(plan: Path) -> None:
    assert build_schedule(load_plan(plan)).session.support
