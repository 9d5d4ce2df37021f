"""`facilitator serve`: the web app and every active session; arguments here, the work in `serving`."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from rich.console import Console


def register(sub: Any) -> None:
    serve = sub.add_parser("serve", help="serve the web app and run every active session")
    serve.add_argument("--db", type=Path)
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--links-json", type=Path)
    serve.set_defaults(func=cmd_serve)


def cmd_serve(args: argparse.Namespace) -> int:
    from facilitator.cli.serving import serve

    return asyncio.run(serve(args.db, args.host, args.port, args.links_json, Console(highlight=False)))
