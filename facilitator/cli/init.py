"""`facilitator init DIR`: a commented starter plan and roster that `check` accepts as written."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from facilitator.cli.common import USER_ERROR


def register(sub: Any) -> None:
    init = sub.add_parser("init", help="write a commented starter plan and roster template")
    init.add_argument("dir")
    init.add_argument("--force", action="store_true", help="overwrite an existing plan.yaml")
    init.set_defaults(func=cmd_init)


def cmd_init(args: argparse.Namespace) -> int:
    from facilitator.cli.starter import write_starter

    written = write_starter(Path(args.dir), today=datetime.now(UTC).date(), force=args.force)
    if written is None:
        Console(stderr=True).print(
            f"{args.dir} already has a plan.yaml; use --force to overwrite", markup=False
        )
        return USER_ERROR
    for path in written:
        print(f"wrote {path}")
    print(f"next: edit them, then run `facilitator check {Path(args.dir) / 'plan.yaml'}`")
    return 0
