"""Write the report's files into one directory: report.html, scores-wide.csv, scores-long.csv."""

from __future__ import annotations

from pathlib import Path

from facilitator.report.build import Study
from facilitator.report.csvout import write_long, write_wide
from facilitator.report.errors import fail
from facilitator.report.html import render_html


def write_outputs(study: Study, out: Path) -> list[Path]:
    """The files written, in order; a directory that cannot be made is a user error."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        html = out / "report.html"
        html.write_text(render_html(study), encoding="utf-8")
        wide, long = out / "scores-wide.csv", out / "scores-long.csv"
        write_wide(study, wide)
        write_long(study, long)
    except OSError as exc:
        raise fail(str(out), f"cannot write the report here: {exc.strerror}") from None
    return [html, wide, long]
