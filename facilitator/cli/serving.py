"""`facilitator serve`: the web app and the runner for every active session, on one port.

Sessions come from the database (added earlier by `run`, or uploaded by a director on the web);
each is resumed at start. Directors can add more while it runs.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web
from rich.console import Console
from rich.text import Text

from facilitator.app.engine import Engine
from facilitator.app.rehearsal import claim_database
from facilitator.cli.common import bind, listening_url
from facilitator.cli.lifecycle import (
    BROKEN,
    GRACE_SECONDS,
    STOPPED,
    StopSignals,
    open_for_writing,
    report_store_error,
)
from facilitator.clock import SystemClock
from facilitator.config import load_settings, secret_problems, write_private
from facilitator.web.app import RUNNER_KWARGS, create_app
from facilitator.web.links import session_links
from facilitator.web.login import login_url
from facilitator.zoom.client import ZoomClient
from facilitator.zoomapp import routes as console_routes
from facilitator.zoomapp.service import console_from_settings


async def serve(
    db: Path | None, host: str | None, port: int | None, links_json: Path | None, console: Console
) -> int:
    settings = load_settings(**({"db_path": db} if db else {}))
    problems = secret_problems(settings)
    if problems:
        for problem in problems:
            console.print(f"[red]{problem}[/red]")
        return 2
    where, wanted = host or settings.host, settings.port if port is None else port
    try:
        sock = bind(where, wanted)
    except OSError as exc:
        console.print(f"[red]cannot listen on {where}:{wanted}: {exc.strerror}; choose another --port[/red]")
        return 2
    url = listening_url(settings, sock)
    if url is not None:
        settings = load_settings(**({"db_path": db} if db else {}), public_url=url)
    opened = await open_for_writing(Path(settings.db_path), "facilitator serve", console)
    if opened is None:
        sock.close()
        return BROKEN
    store, lease = opened
    refusal = await claim_database(store, settings.db_path, simulate=False, now=datetime.now(UTC))
    if refusal is not None:
        sock.close()
        await lease.release()
        await store.close()
        console.print(f"[red]{refusal}[/red]")
        return 2
    stop = StopSignals(console)
    stop.install()
    lease.on_lost = stop.stop
    zoom = ZoomClient(settings) if settings.zoom_account_id else None
    clock = SystemClock()
    console_service = console_from_settings(settings, clock, store)  # a Zoom App configured: the console
    engine = Engine(
        settings,
        store,
        clock,
        zoom=zoom,
        note=lambda text: console.print(Text(text, style="dim")),
        driver_factory=console_service.driver_for if console_service is not None else None,
    )
    app = create_app(engine.web)
    if console_service is not None:
        console_routes.mount(app, console_service)
        console.print(
            f"Host console (Zoom App Home URL): {settings.public_url}/zoomapp/home", highlight=False
        )
    app_runner = web.AppRunner(app, **RUNNER_KWARGS)
    try:
        if zoom is not None:
            await zoom.__aenter__()
        # Every session is loaded before the runner claims anything: a message due for a session
        # not loaded yet would have nothing to render it with.
        resumed = await engine.resume_sessions()
        await engine.start()
        await app_runner.setup()
        await web.SockSite(app_runner, sock).start()
        console.print(f"[bold]Director:[/bold] {login_url(engine.web)}", highlight=False, soft_wrap=True)
        every: dict[str, Any] = {}
        for sid in resumed:
            links = session_links(engine.web, sid)
            every[sid] = links
            for fid, url in links["facilitators"].items():
                console.print(f"{sid} facilitator {fid}: {url}", highlight=False, soft_wrap=True)
            for gid, url in links["boards"].items():
                console.print(f"{sid} board {gid}: {url}", highlight=False, soft_wrap=True)
        if links_json:
            only = (
                next(iter(every.values()))
                if len(every) == 1
                else {"director": login_url(engine.web), "sessions": every}
            )
            write_private(links_json, (json.dumps(only, indent=2) + "\n").encode())
        console.print(f"serving {len(resumed)} session(s) on {settings.public_url}; Ctrl-C stops")
        await stop.requested.wait()
        if stop.reason is not None and stop.reason.startswith("SIG"):
            console.print(STOPPED)
            return 0
        console.print(stop.reason, style="red", markup=False)
        return BROKEN
    except sqlite3.DatabaseError as exc:
        return report_store_error(console, settings.db_path, exc)
    finally:
        stop.uninstall()
        await engine.close(grace=GRACE_SECONDS)
        await app_runner.cleanup()
        if zoom is not None:
            await zoom.close()
        await lease.release()
        await store.close()
