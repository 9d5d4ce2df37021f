"""Reading Qualtrics, REDCap and plain CSV exports, and the errors for files that are not."""

from __future__ import annotations

from pathlib import Path

import pytest

from facilitator.report.errors import ReportError
from facilitator.report.exports import parse_export, read_export
from facilitator.report.scoring import score_export
from tests.report.helpers import SAMPLE, instrument

QUALTRICS = (
    "\ufeffStartDate,EndDate,ResponseId,code,Q4_1,Q4_2\n"
    "Start Date,End Date,Response ID,Your code,MBI (2 items) - item 1,MBI (2 items) - item 2\n"
    '"{""ImportId"":""startDate""}","{""ImportId"":""endDate""}","{""ImportId"":""_recordId""}",'
    '"{""ImportId"":""QID1_TEXT""}","{""ImportId"":""QID4_1""}","{""ImportId"":""QID4_2""}"\n'
    '2027-01-07 14:00:00,2027-01-07 14:06:00,R_1,"AAAA-BBBB-C",3,"4"\n'
    "2027-01-07 14:10:00,2027-01-07 14:16:00,R_2,DDDD-EEEE-F,,6\n"
)


def test_qualtrics_three_header_rows_are_skipped_and_lines_kept() -> None:
    export = parse_export(QUALTRICS, "pre.csv")
    assert export.format == "qualtrics"
    assert [r.line for r in export.rows] == [4, 5]
    assert export.rows[0].values["code"] == "AAAA-BBBB-C"
    assert export.rows[1].values["Q4_1"] == ""


def test_older_qualtrics_exports_with_two_header_rows() -> None:
    text = "StartDate,ResponseId,code,Q1\nStart Date,Response ID,Your code,Question 1\n2027-01-07,R_1,X,3\n"
    export = parse_export(text, "old.csv")
    assert export.format == "qualtrics"
    assert [(r.line, r.values["Q1"]) for r in export.rows] == [(3, "3")]


def test_redcap_raw_and_labels_score_the_same() -> None:
    raw = "record_id,code,ee,dp\n1,AAAA-BBBB-C,2,5\n"
    labels = "Record ID,code,ee,dp\n1,AAAA-BBBB-C,Sometimes,Often\n"
    inst = instrument("mbi-2", labels={"Sometimes": 2, "Often": 5})
    cols = [("ee", "ee"), ("dp", "dp")]
    for text in (raw, labels):
        export = parse_export(text, "r.csv")
        assert export.format == "redcap"
        assert score_export(export, "code", None, [(inst, cols)])[0].scores == {"mbi-2.ee": 2, "mbi-2.dp": 5}


def test_plain_csv_with_quoted_multiline_cells_keeps_line_numbers() -> None:
    text = 'code,comment,ee\nA,"two\nlines",3\nB,,4\n'
    export = parse_export(text, "p.csv")
    assert export.format == "plain"
    assert [r.line for r in export.rows] == [2, 4]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "p.csv:1: the file is empty"),
        ("code,ee,ee\n", "p.csv:1: column 'ee': this column name appears twice"),
        ("code,ee\nA,1,2\n", "p.csv:2: 3 cells but the header has 2"),
        ('code,ee\n"A,1\n', "p.csv:2: not a readable CSV row"),
    ],
)
def test_unreadable_tables_are_user_errors(text: str, message: str) -> None:
    with pytest.raises(ReportError) as caught:
        parse_export(text, "p.csv")
    assert str(caught.value.problems[0]).startswith(message)


def test_missing_columns_are_named() -> None:
    export = parse_export("code,ee\nA,1\n", "p.csv")
    with pytest.raises(ReportError) as caught:
        export.require(["code", "ee", "dp", "Q9"])
    assert [str(p) for p in caught.value.problems] == [
        "p.csv:1: column 'dp': no such column in the header row",
        "p.csv:1: column 'Q9': no such column in the header row",
    ]


def test_files_that_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="no such file"):
        read_export(tmp_path / "nope.csv")
    latin = tmp_path / "latin.csv"
    latin.write_bytes("code,ee\nJosé,1\n".encode("latin-1"))
    with pytest.raises(ReportError, match="not UTF-8 text"):
        read_export(latin)


def test_the_bundled_sample_reads_as_qualtrics() -> None:
    pre, post = read_export(SAMPLE / "pre.csv"), read_export(SAMPLE / "post.csv")
    assert (pre.format, post.format) == ("qualtrics", "qualtrics")
    assert len(pre.rows) == 59 and len(post.rows) == 55  # 58 students, one answered twice
