"""`facilitator report` end to end on the bundled sample, as a director runs it: a subprocess,
real files, the plan's roster or a stored session's; user errors exit 2 with one line each."""

from __future__ import annotations

import asyncio
import csv
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from scipy import stats as sps

from facilitator.report.stats import format_p
from facilitator.report.synthetic import SAMPLE_SECRET, SAMPLE_STUDY
from facilitator.report.tables import num
from facilitator.store.base import SessionRecord
from facilitator.store.sqlite import SqliteStore
from facilitator.surveys.codes import survey_code
from tests.report.helpers import SAMPLE, SEED_PLAN

ROSTER = SEED_PLAN.with_name("shared-living-experiences-roster.csv")
LABELS = {
    "strongly disagree": 1,
    "disagree": 2,
    "neither agree nor disagree": 3,
    "agree": 4,
    "strongly agree": 5,
}
REVERSED_POSITIONS = {2, 6, 7, 8}  # o3, o8, o9, o10 in the default form


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "facilitator", "report", *map(str, args)],
        capture_output=True, text=True, timeout=120, cwd=cwd,
    )  # fmt: skip


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    out = tmp_path_factory.mktemp("report")
    done = run(SEED_PLAN, "--pre", SAMPLE / "pre.csv", "--post", SAMPLE / "post.csv", "--out", out)
    return done, out


def test_the_sample_report_prints_every_table(
    sample_run: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    done, out = sample_run
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert "pre 58 of 61, post 55 of 61, both 53 of 61 (87%)" in " ".join(text.split())
    for needle in ("Paired results: OMS-HC", "Attitudes", "Disclosure and", "Social distance",
                   "Baseline (Table 1)", "PHQ-9 Total", "PROMIS Anxiety 8a Raw sum", "Emotional exhaustion",
                   "Regression of the change", "Codes corrected", "Methods and results", "Holm"):  # fmt: skip
        assert needle in text, needle
    assert {p.name for p in out.iterdir()} == {"report.html", "scores-wide.csv", "scores-long.csv"}


def _hand_scored_totals(path: Path) -> dict[str, list[float]]:
    """OMS-HC totals straight from an export, with this test's own reading of labels and reverse keys."""
    totals: dict[str, list[float]] = {}
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))[2:]
    for row in rows:
        cells = [row[f"Q1_{n}"].strip() for n in range(1, 16)]
        if any(not c for c in cells):
            continue
        values = [float(c) if c.isdigit() else LABELS[c.lower()] for c in cells]
        total = sum(6 - v if n in REVERSED_POSITIONS else v for n, v in enumerate(values, 1))
        totals.setdefault(row["code"], []).append(total)
    return totals


def test_scores_and_statistics_match_an_independent_computation(
    sample_run: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    done, out = sample_run
    with (out / "scores-wide.csv").open(encoding="utf-8", newline="") as fh:
        wide = list(csv.DictReader(fh))
    pre_by_hand = _hand_scored_totals(SAMPLE / "pre.csv")
    checked = 0
    for row in wide:
        answers = pre_by_hand.get(row["code"], [])
        if len(answers) == 1 and row["oms_hc_total_pre"]:
            assert float(row["oms_hc_total_pre"]) == answers[0]
            checked += 1
    assert checked >= 50
    pairs = [r for r in wide if r["status"] == "paired" and r["oms_hc_total_pre"] and r["oms_hc_total_post"]]
    pre = np.array([float(r["oms_hc_total_pre"]) for r in pairs])
    post = np.array([float(r["oms_hc_total_post"]) for r in pairs])
    test = sps.ttest_rel(post, pre)
    diff = post - pre
    line = next(ln for ln in done.stdout.splitlines() if "Total" in ln and "(52)" in ln)
    assert len(pairs) == 53
    assert f"{num(float(test.statistic), 2)} (52)" in line
    assert format_p(float(test.pvalue)) in line
    assert num(float(diff.mean() / diff.std(ddof=1)), 2) in line


def test_outputs_identify_nobody_and_load_nothing_external(
    sample_run: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    _, out = sample_run
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    assert "src=" not in html and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html and "@import" not in html
    assert html.count("<svg") == 5  # response rates and one slope plot per OMS-HC score
    for name in ("report.html", "scores-wide.csv", "scores-long.csv"):
        text = (out / name).read_text(encoding="utf-8")
        assert "@" not in text and "example.edu" not in text and "R_" not in text  # no e-mail, no response id
    header = (out / "scores-wide.csv").read_text().splitlines()[0].split(",")
    assert header[:2] == ["code", "status"]
    assert all(h.replace("_", "").isalnum() for h in header)  # names R and SPSS accept


def test_small_cells_are_withheld(tmp_path: Path) -> None:
    config = (SAMPLE / "report.yaml").read_text().replace("min_cell: 5", "min_cell: 54")
    (tmp_path / "report.yaml").write_text(config)
    done = run(SEED_PLAN, "--pre", SAMPLE / "pre.csv", "--post", SAMPLE / "post.csv",
               "--config", tmp_path / "report.yaml", "--out", tmp_path / "out")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Withheld (fewer than 54 pairs)" in done.stdout
    assert "<54" in done.stdout  # counts above cut-offs
    html = (tmp_path / "out" / "report.html").read_text()
    assert "t (df)" in html and "(52)</td>" not in html and "<svg" in html and html.count("<svg") == 1


def test_a_stored_session_gives_the_roster(tmp_path: Path) -> None:
    db = tmp_path / "facilitator.db"

    async def store_session() -> None:
        store = await SqliteStore.open(db)
        start = datetime(2027, 1, 14, 18, 0, tzinfo=UTC)
        await store.upsert_session(
            SessionRecord(
                "sle-2027",
                "Shared Living Experiences",
                str(SEED_PLAN),
                SEED_PLAN.read_text(),
                start,
                start + timedelta(hours=2),
                "finished",
                start,
            )
        )
        # The session issued the sample's codes to its roster, but for one student who answered
        # (the sample's own student0001 code is left out, so it counts as never issued).
        emails = [line.split(",")[0] for line in ROSTER.read_text().splitlines()[1:]]
        codes = {e: survey_code(SAMPLE_SECRET, SAMPLE_STUDY, f"student{i:04d}@students.example.edu")
                 for i, e in enumerate(emails, 1) if i != 1}  # fmt: skip
        await store.save_survey_codes("sle-2027", SAMPLE_STUDY, codes)
        await store.close()

    asyncio.run(store_session())
    done = run(
        "sle-2027",
        "--db",
        db,
        "--pre",
        SAMPLE / "pre.csv",
        "--post",
        SAMPLE / "post.csv",
        "--out",
        tmp_path / "o",
    )
    assert done.returncode == 0, done.stderr
    assert "both 53 of 61 (87%)" in " ".join(done.stdout.split())
    answered = {r.split(",")[10] for r in (SAMPLE / "pre.csv").read_text().splitlines()[3:]}
    first = survey_code(SAMPLE_SECRET, SAMPLE_STUDY, "student0001@students.example.edu")
    assert first in answered
    expected = 1
    assert re.search(rf"Codes this session never issued\s*│\s*{expected}\s", done.stdout), done.stdout
    missing = run("no-such-session", "--db", db, "--pre", SAMPLE / "pre.csv", "--post", SAMPLE / "post.csv")
    assert missing.returncode == 2
    assert missing.stderr.strip() == f"no-such-session: not a plan file, nor a session in {db}"


def test_user_errors_are_one_line_each_with_file_row_and_column(tmp_path: Path) -> None:
    post = (SAMPLE / "post.csv").read_text(encoding="utf-8-sig").splitlines()
    cells = post[5].split(",")
    cells[12] = "7"  # Q1_2 outside 1-5
    post[5] = ",".join(cells)
    (tmp_path / "post.csv").write_text("\n".join(post) + "\n")
    done = run(SEED_PLAN, "--pre", SAMPLE / "pre.csv", "--post", tmp_path / "post.csv",
               "--config", SAMPLE / "report.yaml", "--out", tmp_path / "o")  # fmt: skip
    assert done.returncode == 2
    assert (
        done.stderr.strip()
        == f"{tmp_path / 'post.csv'}:6: column 'Q1_2': '7' is outside the oms-hc scale (1-5 whole numbers)"
    )
    assert not (tmp_path / "o").exists()
    (tmp_path / "r.yaml").write_text("code_column: code\ninstruments:\n  oms-hc:\n    pre: {pattern: Q1_}\n")
    bad_config = run(
        SEED_PLAN, "--pre", SAMPLE / "pre.csv", "--post", SAMPLE / "post.csv", "--config", tmp_path / "r.yaml"
    )
    assert bad_config.returncode == 2 and "Traceback" not in bad_config.stderr
    assert f"{tmp_path / 'r.yaml'}:4: column 'instruments.oms-hc.pre'" in bad_config.stderr
    no_config = run(SEED_PLAN, "--pre", tmp_path / "post.csv", "--post", SAMPLE / "post.csv")
    assert no_config.returncode == 2 and "no column mapping" in no_config.stderr
    no_plan = run(tmp_path / "missing.yaml", "--pre", SAMPLE / "pre.csv", "--post", SAMPLE / "post.csv")
    assert no_plan.returncode == 2 and "the plan does not load: no such file" in no_plan.stderr
    too_many = tmp_path / "tiny.yaml"
    plan = SEED_PLAN.read_text().replace("roster: shared-living-experiences-roster.csv", "roster: tiny.csv")
    too_many.write_text(plan)
    roster = SEED_PLAN.with_name("shared-living-experiences-roster.csv").read_text().splitlines()[:11]
    (tmp_path / "tiny.csv").write_text("\n".join(roster) + "\n")
    wrong = run(too_many, "--pre", SAMPLE / "pre.csv", "--post", SAMPLE / "post.csv")
    assert wrong.returncode == 2, wrong.stdout + wrong.stderr
    assert "more than the 10 students on the roster" in wrong.stderr
