"""`facilitator export PLAN`: facilitator calendars and Zoom's breakout pre-assignment CSV."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console

from facilitator.cli.common import USER_ERROR, load_or_exit


def register(sub: Any) -> None:
    export = sub.add_parser("export", help="write facilitator calendars and Zoom's pre-assignment CSV")
    export.add_argument("plan")
    export.add_argument("--ics", metavar="DIR", help="one .ics calendar per facilitator into DIR")
    export.add_argument("--zoom-csv", metavar="FILE", help="Zoom breakout pre-assignment CSV")
    export.set_defaults(func=cmd_export)


def cmd_export(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from facilitator.exports import facilitator_calendar, zoom_preassign_csv

    err = Console(stderr=True, highlight=False)
    if not args.ics and not args.zoom_csv:
        err.print("nothing to export: give --ics DIR and/or --zoom-csv FILE")
        return USER_ERROR
    _, schedule = load_or_exit(args.plan, err)
    out = Console(highlight=False)
    if args.ics:
        folder = Path(args.ics)
        folder.mkdir(parents=True, exist_ok=True)
        for fac in schedule.facilitators:
            target = folder / f"{fac.id}.ics"
            # No database here: revision 0. A running session's own link serves its revision.
            target.write_bytes(facilitator_calendar(schedule, fac.id, dtstamp=datetime.now(UTC)))
            out.print(f"wrote {target}", markup=False)
    if args.zoom_csv:
        target = Path(args.zoom_csv)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(zoom_preassign_csv(schedule), encoding="utf-8")
        out.print(f"wrote {target}", markup=False)
    return 0
