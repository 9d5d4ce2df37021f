"""`facilitator report SESSION|PLAN --pre FILE --post FILE`: pair the surveys, score them and write
the study report (terminal tables, a self-contained HTML report, CSVs for R or SPSS).

The roster count comes from the plan (a plan file) or the session's stored plan (a session id in
the database). Imports stay inside the command so `facilitator check` starts fast.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from rich.console import Console

from facilitator.cli.common import USER_ERROR


def register(sub: Any) -> None:
    report = sub.add_parser(
        "report", help="pair the pre/post surveys and write the study report (tables, HTML, CSVs)"
    )
    report.add_argument("target", metavar="SESSION|PLAN", help="a plan file, or a session id in the database")
    report.add_argument("--pre", type=Path, required=True, help="the pre-survey export (CSV)")
    report.add_argument("--post", type=Path, required=True, help="the post-survey export (CSV)")
    report.add_argument("--baseline", type=Path, help="a separate baseline export (default: from --pre)")
    report.add_argument(
        "--config", type=Path, help="column mapping and choices (default: report.yaml beside --pre)"
    )
    report.add_argument("--out", type=Path, default=Path("report"), help="directory for report.html and CSVs")
    report.add_argument("--db", type=Path, help="the database holding SESSION (default: FACILITATOR_DB_PATH)")
    report.set_defaults(func=cmd_report)


def _roster(target: str, db: Path | None) -> tuple[str, int, list[str]]:
    """(title, number of students, codes issued) from a plan file or a stored session.

    A stored session also knows the survey codes it issued: they widen the set of valid codes a
    mistyped one may be corrected to, and answered codes it never issued are counted."""
    from facilitator.plan.errors import PlanError
    from facilitator.plan.loader import load_plan, load_plan_text

    path = Path(target)
    try:
        if path.suffix.lower() in (".yaml", ".yml") or path.is_file():
            loaded = load_plan(path)
            return loaded.plan.session.title, len(loaded.students), []
        record, database = asyncio.run(_session(target, db))
        base_dir = Path(record.plan_file).parent
        loaded = load_plan_text(record.plan_text, file=record.plan_file, base_dir=base_dir)
    except PlanError as exc:
        from facilitator.report.errors import fail

        first = exc.problems[0]
        raise fail(first.file, f"the plan does not load: {first.message}", first.line) from None
    codes = asyncio.run(_issued_codes(database, record.id, [s.email for s in loaded.students]))
    return loaded.plan.session.title, len(loaded.students), codes


async def _session(session_id: str, db: Path | None) -> tuple[Any, Path]:
    from facilitator.config import load_settings
    from facilitator.report.errors import fail
    from facilitator.store.sqlite import SqliteStore

    settings = load_settings(**({"db_path": db} if db else {}))
    if not Path(settings.db_path).exists():
        raise fail(session_id, f"not a plan file, and there is no database at {settings.db_path}")
    store = await SqliteStore.open(settings.db_path)
    try:
        record = await store.get_session(session_id)
    finally:
        await store.close()
    if record is None:
        raise fail(session_id, f"not a plan file, nor a session in {settings.db_path}")
    return record, Path(settings.db_path)


async def _issued_codes(database: Path, session_id: str, emails: list[str]) -> list[str]:
    from facilitator.store.sqlite import SqliteStore

    store = await SqliteStore.open(database)
    try:
        found = [await store.code_for(session_id, email) for email in emails]
    finally:
        await store.close()
    return [code for code in found if code]


def cmd_report(args: argparse.Namespace) -> int:
    from facilitator.report.build import build_study
    from facilitator.report.errors import ReportError, fail
    from facilitator.report.output import write_outputs
    from facilitator.report.text import print_report

    try:
        config = args.config or args.pre.parent / "report.yaml"
        if not config.exists():
            raise fail(
                str(config), "no column mapping: give --config report.yaml (see README, 'The study report')"
            )
        title, roster, issued = _roster(args.target, args.db)
        study = build_study(args.pre, args.post, config, roster, title, args.baseline, issued)
        written = write_outputs(study, args.out)
    except ReportError as exc:
        # Plain writes, not rich: one problem is one line, however narrow the terminal.
        sys.stderr.write("".join(f"{problem}\n" for problem in exc.problems))
        return USER_ERROR
    width = None if sys.stdout.isatty() else 160
    console = Console(highlight=False, width=width)
    print_report(study, console)
    console.print("Wrote " + ", ".join(str(p) for p in written), markup=False)
    return 0
