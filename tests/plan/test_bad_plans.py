"""Each kind of bad plan gives `PLAN:LINE:COL: field.path: message` at the offending node."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from facilitator.plan.errors import PlanError
from facilitator.plan.loader import load_plan

GOOD = """\
session:
  title: Test Session
  start: 2030-05-06 13:00
  timezone: America/New_York
  zoom:
    host_email: host@example.edu
facilitators:
  - id: dr-a
    name: Dr. A
    email: a@example.edu
  - id: dr-b
    name: Dr. B
    email: b@example.edu
students:
  roster: roster.csv
phases:
  - kind: plenary
    title: Talks
    duration: 30m
    talks:
      - {speaker: dr-a, minutes: 15}
  - kind: breakout
    duration: 50m
    groups: 4
    slot: 20m
    transition: 5m
    visits_per_group: 1
messages:
  pre_survey:
    url: https://survey.example.edu/pre?code={code}
    send: start-1d
"""

ROSTER = "email,name\n" + "".join(f"s{i}@students.example.edu,Student {i}\n" for i in range(12))


def write(tmp_path: Path, text: str, roster: str | None = ROSTER) -> Path:
    plan = tmp_path / "plan.yaml"
    plan.write_text(text, encoding="utf-8")
    if roster is not None:
        (tmp_path / "roster.csv").write_text(roster, encoding="utf-8")
    return plan


def problems(tmp_path: Path, text: str, roster: str | None = ROSTER) -> list[str]:
    with pytest.raises(PlanError) as info:
        load_plan(write(tmp_path, text, roster))
    return [str(p) for p in info.value.problems]


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_good_plan_loads(tmp_path: Path) -> None:
    loaded = load_plan(write(tmp_path, GOOD))
    assert len(loaded.students) == 12
    assert loaded.plan.facilitators[1].id == "dr-b"


def test_malformed_yaml_names_line(tmp_path: Path) -> None:
    text = GOOD.replace("  title: Test Session", "  title: [Test Session")
    (msg,) = problems(tmp_path, text)
    assert re.match(r".*plan\.yaml:\d+:\d+: not valid YAML", msg), msg


def test_unknown_key_suggests_the_right_one(tmp_path: Path) -> None:
    text = GOOD.replace("    transition: 5m", "    transtion: 5m")
    (msg,) = problems(tmp_path, text)
    line = line_of(text, "transtion")
    assert msg.startswith(f"{tmp_path / 'plan.yaml'}:{line}:5: phases[1].transtion: unknown key")
    assert "did you mean `transition`?" in msg


def test_missing_required_field(tmp_path: Path) -> None:
    text = GOOD.replace("    email: b@example.edu\n", "")
    (msg,) = problems(tmp_path, text)
    assert "facilitators[1].email: `email` is required" in msg
    assert f":{line_of(text, 'id: dr-b')}:" in msg


def test_unknown_timezone_suggests(tmp_path: Path) -> None:
    text = GOOD.replace("America/New_York", "America/New_Yrok")
    (msg,) = problems(tmp_path, text)
    assert f":{line_of(text, 'New_Yrok')}:13: session.timezone: unknown time zone" in msg
    assert "America/New_York" in msg


def test_reference_to_unknown_facilitator(tmp_path: Path) -> None:
    text = GOOD.replace("{speaker: dr-a, minutes: 15}", "{speaker: dr-z, minutes: 15}")
    (msg,) = problems(tmp_path, text)
    assert "phases[0].talks[0].speaker: no facilitator has id `dr-z`" in msg
    assert f":{line_of(text, 'dr-z')}:" in msg


def test_duplicate_ids_and_emails(tmp_path: Path) -> None:
    text = GOOD.replace(
        "  - id: dr-b\n    name: Dr. B\n    email: b@example.edu",
        "  - id: dr-a\n    name: Dr. B\n    email: a@example.edu",
    )
    msgs = problems(tmp_path, text)
    assert any("facilitators[1].id: facilitator id `dr-a` is used twice" in m for m in msgs)
    assert any("facilitators[1].email: a@example.edu is given for two facilitators" in m for m in msgs)


def test_duplicate_student(tmp_path: Path) -> None:
    roster = ROSTER + "s3@students.example.edu,Student Three Again\n"
    msgs = problems(tmp_path, GOOD, roster)
    assert any("student s3@students.example.edu is listed 2 times" in m for m in msgs)


def test_roster_missing(tmp_path: Path) -> None:
    (msg,) = problems(tmp_path, GOOD, roster=None)
    assert f":{line_of(GOOD, 'roster.csv')}:" in msg
    assert "students.roster: roster file" in msg and "does not exist" in msg


def test_roster_without_email_column(tmp_path: Path) -> None:
    (msg,) = problems(tmp_path, GOOD, roster="mail,name\nx@example.edu,X\n")
    assert msg.endswith("roster.csv:1:1: email: the roster needs an `email` column (found: mail, name)")


def test_roster_invalid_address_names_row_and_column(tmp_path: Path) -> None:
    roster = "name,email\nAda,ada@example.edu\nBob,bob-at-example\n"
    msgs = problems(tmp_path, GOOD, roster)
    assert any(
        m.endswith("roster.csv:3:2: email: 'bob-at-example' is not an email address like `name@example.edu`")
        for m in msgs
    ), msgs


@pytest.mark.parametrize("bad", ["0m", "-5m", "soon"])
def test_zero_negative_or_garbage_durations(tmp_path: Path, bad: str) -> None:
    text = GOOD.replace("    duration: 30m", f"    duration: {bad}")
    (msg,) = problems(tmp_path, text)
    assert f":{line_of(text, 'duration: ' + bad)}:15: phases[0].duration:" in msg


def test_facilitators_per_room_too_large(tmp_path: Path) -> None:
    text = GOOD.replace("    visits_per_group: 1", "    visits_per_group: 1\n    facilitators_per_room: 3")
    (msg,) = problems(tmp_path, text)
    assert "phases[1].facilitators_per_room: 3 facilitators per room, but the plan has only 2" in msg


def test_k_larger_than_possible(tmp_path: Path) -> None:
    text = GOOD.replace("visits_per_group: 1", "visits_per_group: 3")
    (msg,) = problems(tmp_path, text)
    assert "phases[1].visits_per_group: 3 visits per group, but only 2 facilitator(s)" in msg


def test_survey_url_without_code(tmp_path: Path) -> None:
    text = GOOD.replace("pre?code={code}", "pre")
    (msg,) = problems(tmp_path, text)
    assert "messages.pre_survey.url: the survey URL must contain `{code}`" in msg
    assert f":{line_of(text, 'survey.example.edu/pre')}:" in msg


def test_bad_relative_time(tmp_path: Path) -> None:
    text = GOOD.replace("send: start-1d", "send: tomorrow-ish")
    (msg,) = problems(tmp_path, text)
    assert "messages.pre_survey.send:" in msg and "start-1d" in msg


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = GOOD.replace("transition: 5m", "transtion: 5m").replace("America/New_York", "Mars/Base")
    assert len(problems(tmp_path, text)) == 2


def test_not_a_mapping(tmp_path: Path) -> None:
    (msg,) = problems(tmp_path, "- just\n- a list\n")
    assert ":1:1: a plan is a mapping" in msg


def test_duplicate_yaml_key(tmp_path: Path) -> None:
    text = GOOD.replace("  title: Test Session\n", "  title: Test Session\n  title: Again\n")
    (msg,) = problems(tmp_path, text)
    assert f":{line_of(text, 'title: Again')}:3: `title` is given twice" in msg


def test_more_than_100_rooms_is_refused_with_the_limit(tmp_path: Path) -> None:
    names = ", ".join(f"R{i}" for i in range(101))
    msgs = problems(tmp_path, GOOD.replace("    groups: 4", f"    groups: [{names}]"))
    assert any("phases[1].groups: 101 groups: Zoom allows at most 100 breakout rooms" in m for m in msgs)


def test_more_than_1000_preassigned_students_is_refused(tmp_path: Path) -> None:
    roster = "email,name\n" + "".join(f"s{i}@students.example.edu,Student {i}\n" for i in range(1001))
    msgs = problems(tmp_path, GOOD, roster)
    assert any("1001 students: Zoom pre-assigns at most 1000 people to breakout rooms" in m for m in msgs)
