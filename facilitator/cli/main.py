"""The `facilitator` parser: one sub-command per module of this package.

Each command module registers its own arguments and imports its heavy dependencies (aiohttp, the
runner) only when invoked, so `facilitator check` starts fast.
Exit codes: 0 success, 2 a user error (bad plan, bad arguments), 1 an operational failure.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from facilitator.cli import (
    check,
    director_link,
    doctor,
    export,
    hash_password,
    init,
    report,
    run,
    serve,
    status,
    zoom_sim,
)

COMMANDS = (check, export, init, run, serve, status, zoom_sim, doctor, hash_password, director_link, report)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="facilitator", description="Run small-group teaching sessions over Zoom, from a session plan."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130
