"""The command line: check · export · init · run · serve · status · zoom-sim · doctor.

Each command parses its arguments here and hands off to the module that does the work; heavy
imports (aiohttp, the runner) happen only in the commands that need them, so `check` starts fast.
Exit codes: 0 success, 2 a user error (bad plan, bad arguments), 1 an operational failure.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from facilitator.plan.errors import PlanError

USER_ERROR = 2


def _schedule_or_exit(plan_path: str, err: Console) -> object:
    from facilitator.plan.loader import load_plan
    from facilitator.schedule.build import build_schedule

    try:
        return build_schedule(load_plan(plan_path), now=datetime.now(UTC))
    except PlanError as exc:
        for problem in exc.problems:
            err.print(str(problem), markup=False, highlight=False)
        raise SystemExit(USER_ERROR) from None


def cmd_check(args: argparse.Namespace) -> int:
    from facilitator.schedule.model import Schedule
    from facilitator.schedule.serialize import schedule_to_dict

    err = Console(stderr=True, highlight=False)
    schedule = _schedule_or_exit(args.plan, err)
    assert isinstance(schedule, Schedule)
    if args.json:
        sys.stdout.write(json.dumps(schedule_to_dict(schedule), indent=2, ensure_ascii=False) + "\n")
        return 0
    from facilitator.check_report import render_check

    # Piped output gets a wide page so the rotation grid is not truncated.
    width = None if sys.stdout.isatty() else 160
    render_check(schedule, Console(highlight=False, width=width))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from facilitator.exports import facilitator_calendar, zoom_preassign_csv
    from facilitator.schedule.model import Schedule

    err = Console(stderr=True, highlight=False)
    if not args.ics and not args.zoom_csv:
        err.print("nothing to export: give --ics DIR and/or --zoom-csv FILE")
        return USER_ERROR
    schedule = _schedule_or_exit(args.plan, err)
    assert isinstance(schedule, Schedule)
    out = Console(highlight=False)
    if args.ics:
        folder = Path(args.ics)
        folder.mkdir(parents=True, exist_ok=True)
        for fac in schedule.facilitators:
            target = folder / f"{fac.id}.ics"
            target.write_bytes(facilitator_calendar(schedule, fac.id))
            out.print(f"wrote {target}")
    if args.zoom_csv:
        target = Path(args.zoom_csv)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(zoom_preassign_csv(schedule), encoding="utf-8")
        out.print(f"wrote {target}")
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    from facilitator.starter import write_starter

    written = write_starter(Path(args.dir), today=datetime.now(UTC).date(), force=args.force)
    if written is None:
        Console(stderr=True).print(f"{args.dir} already has a plan.yaml; use --force to overwrite")
        return USER_ERROR
    for path in written:
        print(f"wrote {path}")
    print(f"next: edit them, then run `facilitator check {Path(args.dir) / 'plan.yaml'}`")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="facilitator", description="Run small-group teaching sessions over Zoom, from a session plan."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = sub.add_parser("check", help="validate a plan and show what will happen, when, to whom")
    check.add_argument("plan", help="path to the session plan (YAML)")
    check.add_argument("--json", action="store_true", help="print the schedule as JSON")
    check.set_defaults(func=cmd_check)

    export = sub.add_parser("export", help="write facilitator calendars and Zoom's pre-assignment CSV")
    export.add_argument("plan")
    export.add_argument("--ics", metavar="DIR", help="one .ics calendar per facilitator into DIR")
    export.add_argument("--zoom-csv", metavar="FILE", help="Zoom breakout pre-assignment CSV")
    export.set_defaults(func=cmd_export)

    init = sub.add_parser("init", help="write a commented starter plan and roster template")
    init.add_argument("dir")
    init.add_argument("--force", action="store_true", help="overwrite an existing plan.yaml")
    init.set_defaults(func=cmd_init)

    from facilitator import commands

    commands.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130
