"""`facilitator check PLAN`: validate a plan and show what will happen, when, to whom."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from rich.console import Console

from facilitator.cli.common import load_or_exit


def register(sub: Any) -> None:
    check = sub.add_parser("check", help="validate a plan and show what will happen, when, to whom")
    check.add_argument("plan", help="path to the session plan (YAML)")
    check.add_argument("--json", action="store_true", help="print the schedule as JSON")
    check.set_defaults(func=cmd_check)


def cmd_check(args: argparse.Namespace) -> int:
    from facilitator.schedule.serialize import schedule_to_dict

    err = Console(stderr=True, highlight=False)
    _, schedule = load_or_exit(args.plan, err)
    if args.json:
        sys.stdout.write(json.dumps(schedule_to_dict(schedule), indent=2, ensure_ascii=False) + "\n")
        return 0
    from facilitator.cli.check_report import render_check

    # Piped output gets a wide page so the rotation grid is not truncated.
    width = None if sys.stdout.isatty() else 160
    render_check(schedule, Console(highlight=False, width=width))
    return 0
