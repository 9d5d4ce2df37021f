"""Sub-commands that run services (run · serve · status · zoom-sim · doctor · hash-password).

They import aiohttp and friends only when invoked, so `facilitator check` stays fast.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

USER_ERROR = 2


def register(sub: Any) -> None:
    """Add the service commands to the `facilitator` parser."""
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
    run.set_defaults(func=cmd_run)

    serve = sub.add_parser("serve", help="serve the web app and run every active session")
    serve.add_argument("--db", type=Path)
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--links-json", type=Path)
    serve.set_defaults(func=cmd_serve)

    status = sub.add_parser("status", help="messages by kind and status, and failures, per session")
    status.add_argument("--db", type=Path)
    status.add_argument("--json", action="store_true")
    status.add_argument("--session", help="only this session id")
    status.set_defaults(func=cmd_status)

    sim = sub.add_parser("zoom-sim", help="run the Zoom simulator alone and print the settings for it")
    sim.add_argument("--port", type=int, default=9100)
    sim.add_argument("--host", default="127.0.0.1")
    sim.set_defaults(func=cmd_zoom_sim)

    doctor = sub.add_parser("doctor", help="check the Zoom configuration without creating anything")
    doctor.add_argument("--host-email", help="the Zoom user who will host (default: from PLAN)")
    doctor.add_argument("plan", nargs="?", help="a plan, to check its host")
    doctor.set_defaults(func=cmd_doctor)

    hashpw = sub.add_parser("hash-password", help="print FACILITATOR_DIRECTOR_PASSWORD_HASH for a password")
    hashpw.set_defaults(func=cmd_hash_password)


def _load(plan: str, err: Console, simulate: bool = False) -> tuple[Any, Any]:
    from facilitator.plan.errors import PlanError
    from facilitator.plan.loader import load_plan
    from facilitator.schedule.build import build_schedule

    try:
        loaded = load_plan(plan)
        return loaded, build_schedule(loaded, now=None if simulate else datetime.now(UTC))
    except PlanError as exc:
        for problem in exc.problems:
            err.print(str(problem), markup=False, highlight=False)
        raise SystemExit(USER_ERROR) from None


def cmd_run(args: argparse.Namespace) -> int:
    from facilitator.run_command import RunOptions, run_session

    console, err = Console(highlight=False), Console(stderr=True, highlight=False)
    if (args.maildir or args.zoom_faults) and not args.simulate:
        err.print("--maildir and --zoom-faults need --simulate (they act on the simulated services)")
        return USER_ERROR
    try:
        faults = parse_faults(args.zoom_faults)
    except ValueError as exc:
        err.print(f"--zoom-faults: {exc}")
        return USER_ERROR
    loaded, schedule = _load(args.plan, err, simulate=args.simulate)
    for warning in schedule.warnings:
        err.print(f"warning: {warning.message}")
    options = RunOptions(
        args.simulate, args.speed, args.maildir, args.db, args.host, args.port, args.links_json, args.quiet,
        faults,
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


def cmd_serve(args: argparse.Namespace) -> int:
    from facilitator.serve_command import serve

    return asyncio.run(serve(args.db, args.host, args.port, args.links_json, Console(highlight=False)))


def cmd_status(args: argparse.Namespace) -> int:
    from facilitator.config import load_settings
    from facilitator.delivery.status import format_status_table, session_status, status_json
    from facilitator.store.sqlite import SqliteStore

    settings = load_settings(**({"db_path": args.db} if args.db else {}))
    if not Path(settings.db_path).exists():
        Console(stderr=True).print(f"no database at {settings.db_path}: nothing has run yet")
        return USER_ERROR

    async def collect() -> Any:
        store = await SqliteStore.open(settings.db_path)
        try:
            return await session_status(store, args.session)
        finally:
            await store.close()

    statuses = asyncio.run(collect())
    if args.json:
        sys.stdout.write(json.dumps(status_json(statuses), indent=2) + "\n")
    else:
        Console(highlight=False).print(format_status_table(statuses))
    return 0


def cmd_zoom_sim(args: argparse.Namespace) -> int:
    from facilitator.zoom.simulator import serve_simulator

    try:
        asyncio.run(serve_simulator(args.port, args.host))
    except OSError as exc:
        Console(stderr=True).print(f"cannot listen on {args.host}:{args.port}: {exc.strerror}")
        return USER_ERROR
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from rich.table import Table

    from facilitator.config import load_settings
    from facilitator.zoom.doctor import doctor

    err = Console(stderr=True, highlight=False)
    host = args.host_email
    if host is None and args.plan:
        loaded, _ = _load(args.plan, err)
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


def cmd_hash_password(args: argparse.Namespace) -> int:
    from facilitator.web.auth import hash_password

    password = getpass.getpass("Director password: ")
    if len(password) < 10:
        Console(stderr=True).print("use at least 10 characters")
        return USER_ERROR
    if getpass.getpass("Again: ") != password:
        Console(stderr=True).print("the two entries differ")
        return USER_ERROR
    print(f"FACILITATOR_DIRECTOR_PASSWORD_HASH={hash_password(password)}")
    return 0
