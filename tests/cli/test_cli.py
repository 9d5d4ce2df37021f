"""The command line through its real entry point (a subprocess), as a director uses it."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

from icalendar import Calendar

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "session_plans" / "shared-living-experiences.yaml"
GOLDEN = Path(__file__).with_name("seed-schedule.golden.json")


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "facilitator", *args], cwd=cwd, capture_output=True, text=True, timeout=60
    )


def stable(data: dict) -> dict:  # type: ignore[type-arg]
    """The golden file ignores warnings, which depend on today's date."""
    return {k: v for k, v in data.items() if k != "warnings"}


def test_check_json_matches_golden() -> None:
    result = run("check", str(SEED), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert stable(data) == json.loads(GOLDEN.read_text(encoding="utf-8"))


def test_check_json_has_stable_keys_and_is_byte_identical() -> None:
    first, second = run("check", str(SEED), "--json"), run("check", str(SEED), "--json")
    assert first.stdout == second.stdout
    data = json.loads(first.stdout)
    assert set(data["session"]) >= {"title", "start", "end", "timezone"}
    assert set(data["phases"][0]) == {"kind", "title", "start", "end"}
    assert set(data["facilitators"][0]) >= {"id", "name", "email", "timezone"}
    assert set(data["groups"][0]) >= {"id", "name", "students"}
    assert set(data["rotation"]) >= {"lower_bound", "optimal", "slots"}
    assert set(data["rotation"]["slots"][0]) >= {"index", "start", "end", "visits"}
    assert set(data["messages"][0]) >= {"key", "due", "audience", "recipient", "kind", "channel"}
    assert data["session"]["start"].endswith("Z")


def test_seed_passes_the_independent_rotation_check(tmp_path: Path) -> None:
    checker = ROOT.parent / "shared" / "tools" / "rotation_check.py"
    if not checker.exists():
        import pytest

        pytest.skip("the shared rotation checker is not beside this checkout")
    out = tmp_path / "seed.json"
    out.write_text(run("check", str(SEED), "--json").stdout, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(checker), str(out), "--k", "1", "--expect-slots", "2"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout
    assert result.stdout.startswith("ok: 3 facilitators x 6 groups, 2 slots")


def test_check_human_output() -> None:
    result = run("check", str(SEED))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Shared Living Experiences" in out and "Thu 14 Jan 2027 13:00 EST" in out
    assert "2 slots, lower bound 2: optimal" in out
    assert out.count("self-guided") == 6
    assert "America/Chicago" in out and "13:00-13:25" in out  # Dr. Lindqvist's own zone
    assert "heads_up" in out and "ok: the plan is valid" in out


def test_bad_plan_exits_2_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(SEED.read_text().replace("transition: 5m", "transtion: 5m"), encoding="utf-8")
    (tmp_path / "shared-living-experiences-roster.csv").write_text(
        (SEED.parent / "shared-living-experiences-roster.csv").read_text()
    )
    result = run("check", str(bad))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"{bad}:" in result.stderr and "did you mean `transition`?" in result.stderr


def test_missing_plan_file() -> None:
    result = run("check", "no/such/plan.yaml")
    assert result.returncode == 2 and "no/such/plan.yaml:1:1: no such file" in result.stderr


def test_export_ics_and_zoom_csv(tmp_path: Path) -> None:
    result = run("export", str(SEED), "--ics", str(tmp_path / "ics"), "--zoom-csv", str(tmp_path / "z.csv"))
    assert result.returncode == 0, result.stderr
    files = sorted(p.name for p in (tmp_path / "ics").iterdir())
    assert files == ["dr-lindqvist.ics", "dr-marchetti.ics", "dr-okafor.ics"]
    cal = Calendar.from_ical((tmp_path / "ics" / "dr-okafor.ics").read_bytes())
    events = [c for c in cal.walk() if c.name == "VEVENT"]
    summaries = [str(e["summary"]) for e in events]
    assert len(events) == 5  # two plenaries, her talk, two visits
    assert sum(s.startswith("Visit Group") for s in summaries) == 2
    assert any(s.startswith("Your talk: ") for s in summaries)
    alarms = [c for c in cal.walk() if c.name == "VALARM"]
    assert len(alarms) == 2 and all(a["trigger"].dt.total_seconds() == -120 for a in alarms)
    rows = list(csv.reader((tmp_path / "z.csv").open()))
    assert rows[0] == ["Pre-assign Room Name", "Email Address"]
    assert len(rows) == 62 and {r[0] for r in rows[1:]} == {f"Group {i}" for i in range(1, 7)}


def test_init_writes_a_plan_check_accepts(tmp_path: Path) -> None:
    result = run("init", str(tmp_path / "new"))
    assert result.returncode == 0, result.stderr
    check = run("check", str(tmp_path / "new" / "plan.yaml"))
    assert check.returncode == 0, check.stderr
    again = run("init", str(tmp_path / "new"))
    assert again.returncode == 2 and "--force" in again.stderr


def test_every_bundled_plan_is_valid() -> None:
    for plan in sorted((ROOT / "session_plans").glob("*.yaml")):
        result = run("check", str(plan), "--json")
        assert result.returncode == 0, (plan, result.stderr)
        assert json.loads(result.stdout)["rotation"]["optimal"] is True


HOSTILE_EDITS = [
    ("    title: Small groups", "    title: Small [/i] groups"),
    ("  timezone: America/New_York", "  timezone: America"),
    ("  seed: 7", "  seed: !!int abc"),
    ("    duration: 60m", "    duration: 9223372036854775808m"),
    ("  roster: shared-living-experiences-roster.csv", "  roster: /etc/passwd"),
    ("  study: sle-2027", "  study: &a [*a]"),
]


def test_hostile_edits_of_the_seed_plan_exit_0_or_2_without_traceback(tmp_path: Path) -> None:
    """The before-stop hook's edits (and the issue's): `check` answers, never with a traceback."""
    text = SEED.read_text(encoding="utf-8")
    for roster in SEED.parent.glob("*.csv"):
        (tmp_path / roster.name).write_bytes(roster.read_bytes())
    for i, (old, new) in enumerate(HOSTILE_EDITS):
        lines = [new + line[len(old) :] if line.startswith(old) else line for line in text.splitlines()]
        (tmp_path / f"p{i}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
        result = run("check", f"p{i}.yaml", cwd=tmp_path)
        assert result.returncode in (0, 2), (new, result.stderr[-2000:])
        assert "Traceback" not in result.stdout + result.stderr, (new, result.stderr[-2000:])
        assert "root:" not in result.stdout + result.stderr
    markup = run("check", "p0.yaml", cwd=tmp_path)
    assert markup.returncode == 0 and "Small [/i] groups" in markup.stdout


def test_problems_print_one_per_line_whatever_the_width(tmp_path: Path) -> None:
    text = SEED.read_text(encoding="utf-8").replace("timezone: America/New_York", "timezone: EST")
    text = text.replace("host_email: course.director@example.edu", "host_email: '[not an email] at example'")
    (tmp_path / "p.yaml").write_text(text, encoding="utf-8")
    for roster in SEED.parent.glob("*.csv"):
        (tmp_path / roster.name).write_bytes(roster.read_bytes())
    result = subprocess.run(
        [sys.executable, "-m", "facilitator", "check", "p.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "40"},
    )
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 2 and all(line.startswith("p.yaml:") for line in lines), lines
    assert "[not an email]" in result.stderr  # brackets are the plan's text, not markup


def test_bracketed_names_print_as_written(tmp_path: Path) -> None:
    text = SEED.read_text(encoding="utf-8").replace(
        "name: Dr. Amara Okafor", "name: Dr. Amara Okafor [she/her]"
    )
    text = text.replace("title: Small groups", "title: Small groups [bold]loud[/bold]")
    (tmp_path / "p.yaml").write_text(text, encoding="utf-8")
    for roster in SEED.parent.glob("*.csv"):
        (tmp_path / roster.name).write_bytes(roster.read_bytes())
    result = run("check", "p.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "[she/her]" in result.stdout and "[bold]loud[/bold]" in result.stdout
