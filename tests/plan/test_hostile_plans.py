"""Careless and hostile plans: every one is a PlanError naming file, line and field, never a crash.

Each test reproduces a finding of issue 11 (file access from plans, YAML that crashed or
exhausted the loader, numbers out of range, time zones, encodings, DST, one-pass reporting).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from facilitator.plan.checks import group_id
from facilitator.plan.errors import PlanError
from facilitator.plan.loader import load_plan, load_plan_text
from facilitator.plan.times import When
from facilitator.schedule.build import build_schedule, load_and_build
from facilitator.schedule.model import MessageKind
from tests.plan.test_bad_plans import GOOD, ROSTER, line_of, problems, write


def edited(old: str, new: str, text: str = GOOD) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


# --- file access from plans -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("roster", "says"),
    [
        ("/etc/passwd", "not an absolute path"),
        ("/dev/zero", "not an absolute path"),
        ("/proc/self/environ", "not an absolute path"),
        ("../../../../etc/passwd", "`..` is not allowed"),
        ("sub/../../roster.csv", "`..` is not allowed"),
        ("C:\\Windows\\win.ini", "not an absolute path"),
    ],
)
def test_roster_path_may_not_leave_the_plans_folder(tmp_path: Path, roster: str, says: str) -> None:
    (msg,) = problems(tmp_path, edited("roster: roster.csv", f"roster: '{roster}'"))
    assert f":{line_of(GOOD, 'roster.csv')}:" in msg and "students.roster" in msg and says in msg
    assert "root:" not in msg and "PATH=" not in msg


def test_roster_symlink_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secrets.csv"
    secret.write_text("FACILITATOR_SECRET_KEY=not-for-you\n", encoding="utf-8")
    plan_dir = tmp_path / "plans"
    plan_dir.mkdir()
    os.symlink(secret, plan_dir / "roster.csv")
    (plan_dir / "plan.yaml").write_text(GOOD, encoding="utf-8")
    with pytest.raises(PlanError) as info:
        load_plan(plan_dir / "plan.yaml")
    (msg,) = [str(p) for p in info.value.problems]
    assert "leads outside the plan's folder" in msg and "not-for-you" not in msg


def test_roster_that_is_a_folder_or_device_is_refused(tmp_path: Path) -> None:
    (tmp_path / "folder.csv").mkdir()
    (msg,) = problems(tmp_path, edited("roster: roster.csv", "roster: folder.csv"))
    assert "is not a regular file" in msg
    if Path("/dev/zero").exists():
        os.symlink("/dev/zero", tmp_path / "zero.csv")
        (msg,) = problems(tmp_path, edited("roster: roster.csv", "roster: zero.csv"))
        assert "leads outside" in msg


def test_roster_over_the_size_cap_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    big = ROSTER + ("x" * 1000 + "\n") * 2200  # 2.2 MB
    (msg,) = problems(tmp_path, GOOD, roster=big)
    assert "larger than the limit of 2,048 KiB" in msg


def test_roster_field_over_128_kib_is_a_plan_error(tmp_path: Path) -> None:
    roster = 'email,name\ns1@example.edu,"' + "n" * 140_000 + '"\n'
    (msg,) = problems(tmp_path, GOOD, roster=roster)
    assert "roster.csv:1:1" in msg and "not valid CSV" in msg


def test_uploaded_plan_opens_no_path_it_names(tmp_path: Path) -> None:
    text = edited("roster: roster.csv", "roster: /etc/passwd")
    with pytest.raises(PlanError) as info:
        load_plan_text(text, file="up.yaml", rosters={})
    (msg,) = [str(p) for p in info.value.problems]
    assert "was not uploaded with the plan" in msg and "root:" not in msg
    # the roster uploaded beside the plan is used, whatever the browser called it
    loaded = load_plan_text(
        edited("roster: roster.csv", "roster: r.csv"), rosters={"r (1).csv": ROSTER.encode()}
    )
    assert len(loaded.students) == 12


# --- YAML that used to crash or exhaust the loader ---------------------------------------------


@pytest.mark.parametrize(
    ("value", "says", "where"),
    [
        ("!!int abc", "`abc` is not a whole number", ":3:9:"),
        ("!!float x", "`x` is not a number", ":3:9:"),
        ("!!bool maybe", "`maybe` is not true or false", ":3:9:"),
        ("9" * 5000, "numbers may have at most 40", ":3:9:"),
        ("&a [*a]", "nest more than 32 deep", ":3:9:"),
        ("[" * 3000 + "]" * 3000, "nest more than 32 deep", ":1:1:"),
    ],
    ids=["int-tag", "float-tag", "bool-tag", "5000-digits", "self-alias", "3000-deep"],
)
def test_hostile_yaml_values_are_plan_errors(tmp_path: Path, value: str, says: str, where: str) -> None:
    text = edited("title: Test Session", f"title: Test Session\n  seed: {value}")
    (msg,) = problems(tmp_path, text)
    assert says in msg and where in msg, msg


def test_alias_bomb_is_stopped_at_the_limit(tmp_path: Path) -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8)
    )
    (msg,) = problems(tmp_path, GOOD + bomb)
    assert "expands to more than 100,000 values" in msg


def test_plan_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    (msg,) = problems(tmp_path, GOOD + "# " + "x" * (1024 * 1024) + "\n")
    assert "larger than the limit of 1,024 KiB" in msg
    with pytest.raises(PlanError) as info:  # pasted on the web: the same limit, in bytes
        load_plan_text(GOOD + "# " + "x" * (1024 * 1024) + "\n")
    assert "at most 1,048,576 bytes" in str(info.value)


@pytest.mark.parametrize("duration", ["9223372036854775808m", "9223372036854775808", "P99999999D", "401d"])
def test_huge_durations_name_the_limit(tmp_path: Path, duration: str) -> None:
    (msg,) = problems(tmp_path, edited("duration: 30m", f"duration: {duration}"))
    assert "phases[0].duration" in msg and "limit" in msg


def test_huge_duration_with_an_availability_window_answers_quickly(tmp_path: Path) -> None:
    text = edited(
        "    email: b@example.edu\n",
        '    email: b@example.edu\n    available: [{from: "2030-05-06 13:00", until: "2030-05-06 14:00"}]\n',
    )
    text = edited("duration: 50m", "duration: 99999999m", text)
    (msg,) = problems(tmp_path, text)
    assert "phases[1].duration" in msg and "limit of 400 days" in msg
    (msg,) = problems(tmp_path, text.replace("99999999m", "25h"))
    assert "phases[1].duration" in msg and "limit of 24h" in msg


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("visits_per_group: 1", "visits_per_group: 100000", "must be at most 100"),
        ("minutes: 15", "minutes: 99999999999", "must be at most 1440"),
        ("start: 2030-05-06 13:00", "start: 0001-01-01 00:00", "year must be between"),
        ("send: start-1d", "send: start-99999d", "offsets are limited to 400 days"),
    ],
)
def test_numbers_out_of_range_name_the_limit(tmp_path: Path, field: str, value: str, says: str) -> None:
    (msg,) = problems(tmp_path, edited(field, value))
    assert says in msg, msg


def test_wrong_shapes_are_explained_in_plan_words(tmp_path: Path) -> None:
    (msg,) = problems(tmp_path, edited("students:\n  roster: roster.csv", "students: 5"))
    assert "students: expected a mapping of `key: value` lines here, got 5" in msg
    assert "Input should be" not in msg and "instance of" not in msg


# --- time zones -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "hint"),
    [
        ("EST", "did you mean `America/New_York`?"),
        ("PST", "did you mean `America/Los_Angeles`?"),
        ("CET", "did you mean `Europe/Berlin`?"),
        ("US/Eastern", "did you mean `America/New_York`?"),
        ("America", "name a city too"),
        ("A" * 300, "use a region and city"),
        ("america/new_york", "did you mean `America/New_York`?"),
        ("Etc/GMT+5", "fixed offsets ignore summer time"),
    ],
)
def test_only_iana_region_zones_are_accepted(tmp_path: Path, zone: str, hint: str) -> None:
    (msg,) = problems(tmp_path, edited("timezone: America/New_York", f"timezone: {zone}"))
    assert "session.timezone: unknown time zone" in msg and hint in msg, msg


# --- plan shapes that crashed the schedule ------------------------------------------------------


def test_talks_only_plan_is_valid(tmp_path: Path) -> None:
    text = GOOD.split("  - kind: breakout")[0] + GOOD.split("    visits_per_group: 1\n")[1]
    schedule = build_schedule(load_plan(write(tmp_path, text)))
    assert schedule.groups == () and schedule.rotation.slots == ()
    kinds = {m.kind for m in schedule.messages}
    assert MessageKind.INVITATION in kinds and MessageKind.SELF_GUIDED_PROMPT not in kinds


def test_empty_group_list_is_a_plan_error(tmp_path: Path) -> None:
    (msg,) = problems(tmp_path, edited("groups: 4", "groups: []"))
    assert f":{line_of(GOOD, 'groups: 4')}:13: phases[1].groups:" in msg and "at least one group" in msg


def test_non_latin_group_names_get_distinct_ids(tmp_path: Path) -> None:
    names = ["Группа 1", "Группа 2", "小组", "Café"]
    loaded = load_plan(write(tmp_path, edited("groups: 4", f"groups: [{', '.join(names)}]")))
    schedule = build_schedule(loaded)
    assert [g.id for g in schedule.groups] == ["группа-1", "группа-2", "小组", "cafe"]
    assert group_id("Group 4") == "group-4"  # Latin names keep the ids they always had


def test_clashing_group_names_are_both_named(tmp_path: Path) -> None:
    (msg,) = problems(tmp_path, edited("groups: 4", "groups: [Группа, группа, X, Y]"))
    assert "`Группа` and `группа` give the same id" in msg


# --- encodings and separators -----------------------------------------------------------------


def test_roster_with_semicolons_is_read(tmp_path: Path) -> None:
    loaded = load_plan(write(tmp_path, GOOD, roster=ROSTER.replace(",", ";")))
    assert len(loaded.students) == 12


def test_windows_1252_roster_is_read(tmp_path: Path) -> None:
    plan = write(tmp_path, GOOD, roster=None)
    text = ROSTER.replace("Student 0", "José Núñez")
    (tmp_path / "roster.csv").write_bytes(text.encode("cp1252"))
    loaded = load_plan(plan)
    assert any(s.name == "José Núñez" for s in loaded.students)


def test_roster_in_an_unreadable_encoding_says_how_to_save_it(tmp_path: Path) -> None:
    plan = write(tmp_path, GOOD, roster=None)
    (tmp_path / "roster.csv").write_bytes(ROSTER.encode("utf-8") + b"\x81\x8d\x00")
    with pytest.raises(PlanError) as info:
        load_plan(plan)
    (msg,) = [str(p) for p in info.value.problems]
    assert "roster.csv:1:1" in msg and 'save it as "CSV UTF-8 (comma delimited)"' in msg


def test_utf16_plan_with_bom_is_read_and_without_bom_explained(tmp_path: Path) -> None:
    plan = write(tmp_path, GOOD)
    plan.write_bytes(GOOD.encode("utf-16"))
    assert load_plan(plan).plan.session.title == "Test Session"
    plan.write_bytes(GOOD.encode("utf-16-le"))
    with pytest.raises(PlanError) as info:
        load_plan(plan)
    assert "save it as UTF-8" in str(info.value)


# --- DST ----------------------------------------------------------------------------------------


def test_availability_inside_a_dst_gap_is_an_error_like_start(tmp_path: Path) -> None:
    text = edited(
        "    email: b@example.edu\n",
        '    email: b@example.edu\n    available: [{from: "2030-03-10 02:30", until: "2030-03-10 05:00"}]\n',
    )
    (msg,) = problems(tmp_path, text)
    assert "facilitators[1].available[0].from" in msg and "does not exist in America/New_York" in msg


BERLIN = ZoneInfo("Europe/Berlin")
# 2027-10-31: clocks go back from 03:00 CEST to 02:00 CET, so 02:00-02:59 happens twice.
START = datetime(2027, 10, 31, 1, 30, tzinfo=BERLIN).astimezone(UTC)  # 23:30Z
END_SECOND_PASS = START + timedelta(minutes=130)  # 01:40Z = 02:40 CET, the repeated hour
END_FIRST_PASS = START + timedelta(minutes=70)  # 00:40Z = 02:40 CEST


@pytest.mark.parametrize(
    ("when", "end", "expected"),
    [
        ("end", END_SECOND_PASS, END_SECOND_PASS),
        ("end+5m", END_SECOND_PASS, END_SECOND_PASS + timedelta(minutes=5)),
        ("end-5m", END_SECOND_PASS, END_SECOND_PASS - timedelta(minutes=5)),
        ("end", END_FIRST_PASS, END_FIRST_PASS),
        ("end+5m", END_FIRST_PASS, END_FIRST_PASS + timedelta(minutes=5)),
        ("start+70m", END_SECOND_PASS, END_FIRST_PASS),
        ("start+130m", END_SECOND_PASS, END_SECOND_PASS),
        ("start-5m", END_SECOND_PASS, START - timedelta(minutes=5)),
        ("end+1d", END_SECOND_PASS, datetime(2027, 11, 1, 2, 40, tzinfo=BERLIN).astimezone(UTC)),
        ("end-1d", END_FIRST_PASS, datetime(2027, 10, 30, 2, 40, tzinfo=BERLIN).astimezone(UTC)),
    ],
)
def test_times_relative_to_a_repeated_hour_resolve_on_the_right_side(
    when: str, end: datetime, expected: datetime
) -> None:
    assert When.parse(when).resolve(START, end, BERLIN) == expected


def test_post_survey_due_at_end_in_the_repeated_hour_is_not_an_hour_early(tmp_path: Path) -> None:
    text = edited("start: 2030-05-06 13:00", "start: 2027-10-31 01:30")
    text = edited("timezone: America/New_York", "timezone: Europe/Berlin", text)
    text = edited("duration: 50m", "duration: 1h40m", text) + (
        "  post_survey:\n    url: https://survey.example.edu/post?code={code}\n    send: end\n"
    )
    schedule = build_schedule(load_plan(write(tmp_path, text)))
    assert schedule.session.end == END_SECOND_PASS
    post = next(m for m in schedule.messages if m.kind == MessageKind.POST_SURVEY)
    assert post.due == schedule.session.end  # was 00:40Z, during slot 3


# --- one pass ---------------------------------------------------------------------------------


def test_plan_roster_and_rotation_problems_come_in_one_pass(tmp_path: Path) -> None:
    text = edited("timezone: America/New_York", "timezone: EST")
    roster = ROSTER + "not-an-email,Broken\n"
    plan = write(tmp_path, text, roster=roster)
    with pytest.raises(PlanError) as info:
        load_and_build(lambda: load_plan(plan))
    found = [str(p) for p in info.value.problems]
    assert any("session.timezone" in p for p in found) and any("roster.csv:14:1" in p for p in found)
    # with the zone fixed, the roster row and the rotation problem still come together
    tight = edited("duration: 50m", "duration: 20m", edited("transition: 5m", "transition: 5m"))
    plan = write(tmp_path, tight.replace("groups: 4", "groups: 4\n    pairs: null"), roster=roster)
    with pytest.raises(PlanError) as info:
        load_and_build(lambda: load_plan(plan))
    found = [str(p) for p in info.value.problems]
    assert any("roster.csv:14:1" in p for p in found) and any("phases[1].duration" in p for p in found), found
