"""`facilitator doctor [PLAN]`: check the Zoom configuration without creating anything."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from rich.console import Console

from facilitator.cli.common import load_or_exit


def register(sub: Any) -> None:
    doctor = sub.add_parser("doctor", help="check the Zoom configuration without creating anything")
    doctor.add_argument("--host-email", help="the Zoom user who will host (default: from PLAN)")
    doctor.add_argument("plan", nargs="?", help="a plan, to check its host")
    doctor.set_defaults(func=cmd_doctor)


def cmd_doctor(args: argparse.Namespace) -> int:
    from rich.table import Table

    from facilitator.config import load_settings
    from facilitator.zoom.doctor import doctor

    err = Console(stderr=True, highlight=False)
    host = args.host_email
    if host is None and args.plan:
        loaded, _ = load_or_exit(args.plan, err)
        host = loaded.plan.session.zoom.host_email
    checks = asyncio.run(doctor(load_settings(), host))
    table = Table(show_edge=False, title="Zoom configuration")
    for column in ("check", "result", "detail"):
        table.add_column(column)
    colours = {"ok": "green", "warn": "yellow", "fail": "red", "skip": "dim"}
    for check in checks:
        status = str(check.status)
        table.add_row(check.name, f"[{colours.get(status, '')}]{status}[/]", check.detail)
    Console(highlight=False, width=None if sys.stdout.isatty() else 140).print(table)
    return 1 if any(str(c.status) == "fail" for c in checks) else 0
