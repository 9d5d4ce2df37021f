"""`facilitator director-link`: print a fresh one-time sign-in link for the running server.

For a director locked out (forgotten password, or the start-up link used or lost) without
restarting the server: the link's nonce is stored in the database (its SHA-256 only), which the
server checks, and it works once, within its lifetime. It is signed with the same secret as the
server's links, so it must be run with the same settings (`.env`) and database.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console

from facilitator.cli.common import USER_ERROR


def register(sub: Any) -> None:
    cmd = sub.add_parser("director-link", help="print a fresh one-time sign-in link for the director")
    cmd.add_argument("--db", type=Path, help="the server's database (default: FACILITATOR_DB_PATH)")
    cmd.add_argument("--public-url", help="where the server is reached (default: FACILITATOR_PUBLIC_URL)")
    cmd.add_argument(
        "--minutes", type=int, default=60, help="how long the link stays valid (1-1440, default 60)"
    )
    cmd.set_defaults(func=cmd_director_link)


def cmd_director_link(args: argparse.Namespace) -> int:
    err = Console(stderr=True, highlight=False)
    if not 1 <= args.minutes <= 1440:
        err.print("--minutes must be between 1 and 1440", markup=False)
        return USER_ERROR
    return asyncio.run(_print_link(args, err))


async def _print_link(args: argparse.Namespace, err: Console) -> int:
    from facilitator.config import load_settings, secret_problems, simulation_secrets
    from facilitator.links import LinkSigner
    from facilitator.store.errors import StoreOpenError
    from facilitator.store.sqlite import SqliteStore
    from facilitator.web.login import login_nonce_hash

    settings = load_settings(**({"db_path": args.db} if args.db else {}))
    if not settings.db_path.exists():
        err.print(f"no database at {settings.db_path}: start the server first, or give --db", markup=False)
        return USER_ERROR
    secret = settings.secret_key
    if Path(f"{settings.db_path}.simulation-secrets.json").exists():
        secret = simulation_secrets(settings.db_path)["secret_key"]  # a `run --simulate` database
    elif secret_problems(settings):
        err.print("FACILITATOR_SECRET_KEY is not set to the server's secret; run with its .env", markup=False)
        return USER_ERROR
    try:
        store = await SqliteStore.open(settings.db_path)
    except StoreOpenError as exc:
        err.print(str(exc), markup=False)
        return USER_ERROR
    try:
        nonce = secrets.token_urlsafe(24)
        now = datetime.now(UTC)
        expires = now + timedelta(minutes=args.minutes)
        await store.add_login_link(login_nonce_hash(nonce), expires)
        await store.audit(
            None, "cli", "director-link", f"one-time link valid until {expires:%Y-%m-%d %H:%MZ}", now
        )
    finally:
        await store.close()
    signer = LinkSigner(secret.get_secret_value(), args.public_url or settings.public_url)
    print(signer.url(f"/login/{signer.director_login_token(nonce, expires)}"))
    return 0
