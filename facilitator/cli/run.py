"""`facilitator run PLAN`: one session in the foreground; arguments here, the work in `running`."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from rich.console import Console

from facilitator.cli.common import USER_ERROR, load_or_exit


def register(sub: Any) -> None:
    run = sub.add_parser("run", help="run one session in the foreground (provision, cue, follow up)")
    run.add_argument("plan")
    run.add_argument(
        "--simulate",
        action="store_true",
        help="no credentials needed: built-in Zoom simulator, local mail server, fast clock",
    )
    run.add_argument(
        "--speed",
        type=float,
        help="simulated seconds per real second (default: the live part takes about a minute)",
    )
    run.add_argument("--maildir", type=Path, help="with --simulate: keep every email in this Maildir")
    run.add_argument("--db", type=Path, help="SQLite database file (default: FACILITATOR_DB_PATH)")
    run.add_argument("--host", help="address the web app listens on (default: FACILITATOR_HOST)")
    run.add_argument("--port", type=int, help="port for the web app (default: FACILITATOR_PORT; 0: any free)")
    run.add_argument("--links-json", type=Path, help="also write the printed links to this JSON file")
    run.add_argument("--quiet", action="store_true", help="only links and the summary, not every message")
    run.add_argument(
        "--zoom-faults",
        metavar="SPEC",
        default="",
        help="with --simulate: Zoom faults during provisioning, e.g. 429:20,500:3,drop:1",
    )
    run.add_argument(
        "--apply-changes",
        action="store_true",
        help="the plan was edited since the session started: apply the changes shown without asking",
    )
    run.add_argument(
        "--console",
        action="store_true",
        help="with --simulate: the host console (Zoom App) runs the rotation in the simulated meeting",
    )
    run.set_defaults(func=cmd_run)


def cmd_run(args: argparse.Namespace) -> int:
    from facilitator.cli.running import RunOptions, run_session

    console, err = Console(highlight=False), Console(stderr=True, highlight=False)
    if (args.maildir or args.zoom_faults or args.console) and not args.simulate:
        err.print(
            "--maildir, --zoom-faults and --console need --simulate (they act on the simulated services; "
            "a real host console is turned on by ZOOM_APP_CLIENT_ID and ZOOM_APP_CLIENT_SECRET)"
        )
        return USER_ERROR
    try:
        faults = parse_faults(args.zoom_faults)
    except ValueError as exc:
        err.print(f"--zoom-faults: {exc}")
        return USER_ERROR
    loaded, schedule = load_or_exit(args.plan, err, simulate=args.simulate)
    for warning in schedule.warnings:
        err.print(f"warning: {warning.message}")
    options = RunOptions(
        args.simulate, args.speed, args.maildir, args.db, args.host, args.port, args.links_json, args.quiet,
        faults, args.apply_changes, args.console,
    )  # fmt: skip
    return asyncio.run(run_session(loaded, schedule, options, console))


FAULT_KINDS = ("500", "503", "429", "slow", "drop", "lost", "expire_tokens")


def parse_faults(spec: str) -> tuple[tuple[str, int], ...]:
    """`429:20,500:3` -> (("429", 20), ("500", 3)): simulator faults to inject before provisioning."""
    out: list[tuple[str, int]] = []
    for part in filter(None, (p.strip() for p in spec.split(","))):
        kind, _, count = part.partition(":")
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault `{kind}`; use one of {', '.join(FAULT_KINDS)}")
        if count and not count.isdigit():
            raise ValueError(f"`{part}`: the count after `:` must be a whole number")
        out.append((kind, int(count or 1)))
    return tuple(out)
