"""The study report's HTML opens in chromium as a plain file: its tables and plots are there, it
needs no network and no script, and it meets WCAG 2.1 AA (axe) and works by keyboard."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from facilitator.report.build import build_study
from facilitator.report.output import write_outputs
from tests.browser.axe import serious_violations
from tests.report.helpers import SAMPLE


def test_the_html_report_shows_its_tables_and_passes_axe(context: Any, tmp_path: Path) -> None:
    study = build_study(
        SAMPLE / "pre.csv", SAMPLE / "post.csv", SAMPLE / "report.yaml", 61, "Shared Living Experiences"
    )
    write_outputs(study, tmp_path)
    requests: list[str] = []
    page = context.new_page()
    page.on("request", lambda r: requests.append(r.url))
    page.goto((tmp_path / "report.html").as_uri())
    assert requests == [(tmp_path / "report.html").as_uri()]  # nothing else is fetched
    captions = page.locator("table caption").all_inner_texts()
    assert any(c.startswith("Response rates: pre 58 of 61") for c in captions)
    assert "Paired results: OMS-HC" in captions
    assert "Baseline (Table 1)" in captions
    assert any(c.startswith("Regression of the change") for c in captions)
    total = page.get_by_role("row", name="OMS-HC (15 items) Total")
    assert "53" in total.inner_text() and "P" in total.inner_text()
    assert page.get_by_role("img", name="Response rates").count() == 1
    assert page.locator("figure svg").count() == 4
    assert serious_violations(page) == []
    page.keyboard.press("Tab")  # the first wide table's scroll region takes focus
    assert page.evaluate("document.activeElement.getAttribute('role')") == "region"
