"""`facilitator zoom-sim`: the Zoom simulator alone, printing the settings that point at it."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from rich.console import Console

from facilitator.cli.common import USER_ERROR


def register(sub: Any) -> None:
    sim = sub.add_parser("zoom-sim", help="run the Zoom simulator alone and print the settings for it")
    sim.add_argument("--port", type=int, default=9100)
    sim.add_argument("--host", default="127.0.0.1")
    sim.set_defaults(func=cmd_zoom_sim)


def cmd_zoom_sim(args: argparse.Namespace) -> int:
    from facilitator.zoomsim.simulator import serve_simulator

    try:
        asyncio.run(serve_simulator(args.port, args.host))
    except OSError as exc:
        Console(stderr=True).print(f"cannot listen on {args.host}:{args.port}: {exc.strerror}")
        return USER_ERROR
    return 0
