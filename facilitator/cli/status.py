"""`facilitator status`: messages by kind and status, and failures, per session (read-only)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import sys
from pathlib import Path
from typing import Any

from rich.console import Console

from facilitator.cli.common import USER_ERROR


def register(sub: Any) -> None:
    status = sub.add_parser("status", help="messages by kind and status, and failures, per session")
    status.add_argument("--db", type=Path)
    status.add_argument("--json", action="store_true")
    status.add_argument("--session", help="only this session id")
    status.set_defaults(func=cmd_status)


def cmd_status(args: argparse.Namespace) -> int:
    from facilitator.cli.lifecycle import report_store_error
    from facilitator.config import load_settings
    from facilitator.delivery.status import format_status_table, session_status, status_json
    from facilitator.store.errors import StoreOpenError
    from facilitator.store.sqlite import SqliteStore

    settings = load_settings(**({"db_path": args.db} if args.db else {}))
    if not Path(settings.db_path).exists():
        Console(stderr=True).print(f"no database at {settings.db_path}: nothing has run yet", markup=False)
        return USER_ERROR

    async def collect() -> Any:
        store = await SqliteStore.open(settings.db_path)
        try:
            return await session_status(store, args.session)
        finally:
            await store.close()

    try:
        statuses = asyncio.run(collect())
    except (StoreOpenError, sqlite3.Error) as exc:
        return report_store_error(Console(stderr=True), settings.db_path, exc)
    if args.json:
        sys.stdout.write(json.dumps(status_json(statuses), indent=2) + "\n")
    else:
        Console(highlight=False).print(format_status_table(statuses))
    return 0
