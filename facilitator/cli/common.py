"""What every command shares: the user-error exit code, loading a plan, binding the web port."""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from typing import Any

from rich.console import Console

USER_ERROR = 2


def load_or_exit(plan: str, err: Console, simulate: bool = False) -> tuple[Any, Any]:
    """(LoadedPlan, Schedule) for PLAN, or every problem printed and exit 2.

    A simulated run builds the schedule without `now`, so a plan dated in the past still rehearses.
    """
    from facilitator.plan.errors import PlanError
    from facilitator.plan.loader import load_plan
    from facilitator.schedule.build import load_and_build

    try:
        return load_and_build(lambda: load_plan(plan), now=None if simulate else datetime.now(UTC))
    except PlanError as exc:
        # One problem per line whatever the width (editors and CI parse `FILE:LINE:COL`), and
        # the plan's own text is never read as rich markup.
        for problem in exc.problems:
            err.print(str(problem), markup=False, highlight=False, soft_wrap=True, emoji=False)
        raise SystemExit(USER_ERROR) from None


def bind(host: str, port: int) -> socket.socket:
    """Bind first, so the public URL (and every link) knows the real port before serving."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(1024)
    sock.setblocking(False)
    return sock


def listening_url(settings: Any, sock: socket.socket) -> str | None:
    """`http://host:port` where `sock` listens, when FACILITATOR_PUBLIC_URL was not set explicitly.

    Printed links must work: with `--port 9000` (or 0) and no public URL configured, they point at
    the port actually bound, not at the default 8080. An explicit public URL (a reverse proxy's
    HTTPS address) is kept as it is.
    """
    if "public_url" in settings.model_fields_set:
        return None
    host, port = sock.getsockname()[:2]
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    return f"http://{shown}:{port}"
