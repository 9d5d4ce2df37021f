"""What the renderers may show: nothing a student typed in place of a code, nothing unescaped."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

from rich.console import Console

from facilitator.report.build import build_study
from facilitator.report.html import render_html
from facilitator.report.text import print_report
from tests.report.helpers import SAMPLE


def test_identifying_or_hostile_text_in_the_code_column_never_reaches_the_report(tmp_path: Path) -> None:
    for name in ("pre.csv", "post.csv", "report.yaml"):
        shutil.copy(SAMPLE / name, tmp_path / name)
    lines = (tmp_path / "post.csv").read_text(encoding="utf-8-sig").splitlines()
    hostile = ["jane.quill@students.example.edu", "<script>alert(1)</script>", "[bold red]Jane Quill"]
    for i, text in enumerate(hostile):
        cells = lines[3 + i].split(",")
        cells[10] = text
        lines[3 + i] = ",".join(cells)
    (tmp_path / "post.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    study = build_study(
        tmp_path / "pre.csv", tmp_path / "post.csv", tmp_path / "report.yaml", 61, "<b>Title</b>"
    )
    assert len(study.pairing.unmatched) == 3
    html = render_html(study)
    buffer = io.StringIO()
    print_report(study, Console(file=buffer, width=200))
    for output in (html, buffer.getvalue()):
        assert "jane" not in output.lower() and "<script>" not in output and "quill" not in output.lower()
    assert "&lt;b&gt;Title&lt;/b&gt;" in html and "<b>Title</b>" not in html
    assert "<b>Title</b>: study report" in buffer.getvalue()  # printed literally, not as markup


def test_a_separate_baseline_export_feeds_table_1_and_the_regression(tmp_path: Path) -> None:
    import csv

    with (SAMPLE / "pre.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    header, data = rows[0], rows[3:]
    keep = [i for i, h in enumerate(header) if h == "code" or h[:3] in ("Q2_", "Q3_", "Q4_")]
    with (tmp_path / "baseline.csv").open("w", encoding="utf-8", newline="") as fh:  # a plain CSV
        writer = csv.writer(fh)
        writer.writerow(["record_id"] + [header[i] for i in keep])
        for n, row in enumerate(data[:40], 1):
            writer.writerow([n] + [row[i] for i in keep])
    study = build_study(
        SAMPLE / "pre.csv", SAMPLE / "post.csv", SAMPLE / "report.yaml", 61, "T", tmp_path / "baseline.csv"
    )
    assert study.formats == {"pre": "qualtrics", "post": "qualtrics", "baseline": "redcap"}
    phq = next(d for d in study.baseline if d.measure == "phq-9.total")
    distinct = {row[header.index("code")] for row in data[:40]}
    assert phq.n == len(distinct)  # one answer per code, from the baseline file only
    assert study.regression is not None and study.regression.n <= len(distinct)
