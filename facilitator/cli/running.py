"""`facilitator run PLAN`: one session in the foreground, from provisioning to the last follow-up.

Order of work: build the schedule; open the store and queue every planned message; (simulated:
start the Zoom simulator and a local SMTP server); start the web app (pages and the Zoom webhook
receiver); provision Zoom; drain the outbox on the clock until every message is settled; print a
summary. Interrupted at any point (even by kill -9), the same command resumes from the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web
from rich.console import Console
from rich.live import Live
from rich.text import Text

from facilitator.app.engine import Engine
from facilitator.app.escalation import miss_in_words
from facilitator.app.rehearsal import claim_database, rehearsal_db_path
from facilitator.app.simulation import (
    LiveSimulation,
    SimulatedServices,
    default_speed,
    forgotten_move,
    plan_users,
    restore_meeting,
    resume_point,
    skip_idle,
)
from facilitator.cli.common import bind, listening_url
from facilitator.cli.lifecycle import (
    BROKEN,
    GRACE_SECONDS,
    STOPPED,
    StopSignals,
    open_for_writing,
    report_store_error,
    unless_stopped,
)
from facilitator.cli.plan_edit import reconcile_plan
from facilitator.cli.progress import RunProgress, summary_tables
from facilitator.clock import Clock, ScaledClock, SystemClock
from facilitator.config import Settings, load_settings, secret_problems, simulation_secrets, write_private
from facilitator.delivery.outbox import start_session
from facilitator.plan.loader import LoadedPlan
from facilitator.schedule.model import Schedule
from facilitator.store.base import MessageStatus
from facilitator.store.sqlite import SqliteStore
from facilitator.web.app import RUNNER_KWARGS, create_app
from facilitator.web.links import session_links
from facilitator.zoom.client import ZoomClient
from facilitator.zoom.errors import ZoomError
from facilitator.zoomapp import routes as console_routes
from facilitator.zoomapp.service import alternative_host_warning, console_from_settings

OPEN = {MessageStatus.PENDING.value, MessageStatus.SENDING.value}


@dataclass(frozen=True)
class RunOptions:
    simulate: bool
    speed: float | None
    maildir: Path | None
    db: Path | None
    host: str | None
    port: int | None
    links_json: Path | None
    quiet: bool = False
    zoom_faults: tuple[tuple[str, int], ...] = ()  # simulator faults to inject before provisioning
    apply_changes: bool = False  # an edited plan's changes are applied without asking
    console: bool = False  # simulated host console (Zoom App) runs the rotation


async def run_session(loaded: LoadedPlan, schedule: Schedule, options: RunOptions, console: Console) -> int:
    overrides: dict[str, Any] = {}
    if options.db is not None:
        overrides["db_path"] = options.db
    elif options.simulate:
        overrides["db_path"] = rehearsal_db_path(loaded.file)
    settings = load_settings(**overrides)
    host = options.host or settings.host
    wanted = settings.port if options.port is None else options.port
    try:
        sock = bind(host, wanted)
    except OSError as exc:
        console.print(
            f"[red]cannot listen on {host}:{wanted}: {exc.strerror}; "
            "choose another --port (0: any free port)[/red]"
        )
        return 2
    port = sock.getsockname()[1]
    if options.simulate:
        overrides["public_url"] = f"http://{host}:{port}"
        try:
            overrides.update(simulation_secrets(settings.db_path))
        except OSError as exc:  # the secrets live beside the database: same folder, same problem
            sock.close()
            return report_store_error(console, settings.db_path, exc)
    else:
        url = listening_url(settings, sock)
        if url is not None:
            overrides["public_url"] = url
        problems = secret_problems(settings)
        if problems:
            sock.close()
            for problem in problems:
                console.print(f"[red]{problem}[/red]")
            return 2
    opened = await open_for_writing(Path(settings.db_path), "facilitator run", console)
    if opened is None:
        sock.close()
        return BROKEN
    store, lease = opened
    stop = StopSignals(console)
    stop.install()
    lease.on_lost = stop.stop
    sid = schedule.session.id
    try:
        refusal = await claim_database(
            store, settings.db_path, simulate=options.simulate, now=datetime.now(UTC)
        )
        if refusal is not None:
            sock.close()
            console.print(f"[red]{refusal}[/red]")
            return 2
        if options.simulate:
            console.print(f"rehearsal database: {settings.db_path}", highlight=False, soft_wrap=True)
        refused = await reconcile_plan(
            store, loaded, schedule, apply=options.apply_changes, now=datetime.now(UTC), console=console
        )
        if refused is not None:
            sock.close()
            return refused
        await start_session(store, schedule, loaded.text, loaded.file, now=datetime.now(UTC))
        clock: Clock
        services: SimulatedServices | None = None
        if options.simulate:
            start = await resume_point(store, sid, schedule)
            clock = ScaledClock(start, options.speed or default_speed(schedule))
            services = SimulatedServices(clock, options.maildir, plan_users(schedule))
            await services.start()
            await restore_meeting(services.zoom, store, schedule)  # a resume keeps its meeting
            for kind, count in options.zoom_faults:
                services.zoom.inject(kind, count=count, delay=30.0 if kind == "slow" else 1.0)
            overrides.update(services.settings_overrides())
            if options.console:
                overrides.update(services.console_overrides())
        else:
            clock = SystemClock()
        settings = load_settings(**overrides)
        return await _run(settings, store, clock, loaded, schedule, options, console, sock, services, stop)
    except sqlite3.DatabaseError as exc:  # the file broke under us (damaged, full at a bad moment)
        return report_store_error(console, settings.db_path, exc)
    finally:
        stop.uninstall()
        await lease.release()
        await store.close()


async def _run(
    settings: Settings,
    store: SqliteStore,
    clock: Clock,
    loaded: LoadedPlan,
    schedule: Schedule,
    options: RunOptions,
    console: Console,
    sock: socket.socket,
    services: SimulatedServices | None,
    stop: StopSignals,
) -> int:
    progress = RunProgress(schedule, console)
    zoom = ZoomClient(settings) if settings.zoom_account_id else None
    console_service = console_from_settings(settings, clock, store)
    engine = Engine(
        settings,
        store,
        clock,
        zoom=zoom,
        console=_console_cue(console),
        on_delivery=None if options.quiet else progress.on_event,
        note=lambda text: console.print(Text(text, style="dim")),
        driver_factory=console_service.driver_for if console_service is not None else None,
    )
    app = create_app(engine.web)
    if console_service is not None:
        console_routes.mount(app, console_service)
        warning = alternative_host_warning(schedule)
        if warning is not None:
            console.print(warning, style="yellow", markup=False, highlight=False, soft_wrap=True)
        console_service.on_action = lambda a: console.print(
            f"[magenta]console[/magenta] {a.what}{' ' + a.facilitator_id if a.facilitator_id else ''}: "
            f"{a.detail}" + ("" if a.ok else " [red](failed)[/red]"),
            highlight=False,
        )
        console.print(f"[bold]Host console (Zoom App Home URL):[/bold] {settings.public_url}/zoomapp/home")
    app_runner = web.AppRunner(app, **RUNNER_KWARGS)
    await app_runner.setup()
    await web.SockSite(app_runner, sock).start()
    simulation: LiveSimulation | None = None
    misses: list[str] = []
    try:
        if zoom is not None:
            await zoom.__aenter__()
        try:
            finished, handle = await unless_stopped(
                engine.add_session(schedule, loaded.text, loaded.file), stop
            )
        except ZoomError as exc:
            console.print(f"[red]Zoom: {exc}[/red]")
            return 1
        if not finished or handle is None:
            return _stopped(console, stop)
        await engine.resume_sessions()  # the database's other sessions: loaded before any claim
        await engine.start()
        handle.watcher.on_miss = lambda miss, slot: misses.append(miss_in_words(schedule, slot, miss))
        links = session_links(engine.web, schedule.session.id)
        _print_links(console, links)
        if options.links_json:
            write_private(options.links_json, (json.dumps(links, indent=2) + "\n").encode())
        if services is not None and handle.meeting is not None:
            forget = forgotten_move(schedule)
            simulation = LiveSimulation(
                services,
                schedule,
                handle.meeting.meeting_id,
                f"{settings.public_url}/zoom/webhook",
                settings,
                forget=(forget,) if forget else (),
                console_url=settings.public_url if console_service is not None else None,
            )
            simulation.start()
            handle.watcher.ready = simulation.caught_up
        await _drain(engine, store, clock, schedule, progress, console, options, services, stop)
        if stop.requested.is_set():
            return _stopped(console, stop)
        counts = await store.message_counts(schedule.session.id)
        console.print(summary_tables(schedule, counts, handle.watcher.adherence, misses))
        if console_service is not None:
            _print_console_summary(console, handle.watcher.driver)
        failed = sum(n for (_, status), n in counts.items() if status == MessageStatus.FAILED.value)
        if services is not None:
            console.print(
                f"local mail server received {len(services.sink.received)} email(s)"
                + (f", kept in {options.maildir}" if options.maildir else "")
            )
        return 1 if failed else 0
    finally:
        if simulation is not None:
            await simulation.stop()
        await engine.close(grace=GRACE_SECONDS)
        await app_runner.cleanup()
        if zoom is not None:
            await zoom.close()
        if services is not None:
            await services.stop()


async def _drain(
    engine: Engine,
    store: SqliteStore,
    clock: Clock,
    schedule: Schedule,
    progress: RunProgress,
    console: Console,
    options: RunOptions,
    services: SimulatedServices | None,
    stop: StopSignals,
) -> None:
    """Until every message of the session is settled and the session is over, or a stop."""
    skipper: asyncio.Task[None] | None = None
    if isinstance(clock, ScaledClock):
        skipper = asyncio.create_task(skip_idle(clock, store, schedule, engine.runner.wait_idle))
    sid = schedule.session.id
    try:
        with Live(
            console=console, auto_refresh=False, transient=True, redirect_stdout=False, redirect_stderr=False
        ) as live:
            while not stop.requested.is_set():
                counts = await store.message_counts(sid)
                open_rows = sum(n for (_, status), n in counts.items() if status in OPEN)
                now = clock.now()
                if open_rows == 0 and now > schedule.session.end:
                    break
                if not options.quiet:
                    live.update(progress.panel(now, await store.next_due()), refresh=True)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.requested.wait(), 0.1 if services is not None else 1.0)
    finally:
        if skipper is not None:
            skipper.cancel()
            await asyncio.gather(skipper, return_exceptions=True)


def _stopped(console: Console, stop: StopSignals) -> int:
    """A stop asked for by a signal is a clean exit; a lost lease is not."""
    if stop.reason is not None and stop.reason.startswith("SIG"):
        console.print(STOPPED)
        return 0
    console.print(stop.reason, style="red", markup=False)
    return BROKEN


def _print_console_summary(console: Console, driver: Any) -> None:
    log = getattr(driver, "log", None)
    if log is None:
        return
    figures = ", ".join(f"{name.replace('_', ' ')}: {n}" for name, n in log.counts().items())
    console.print(f"[bold]Host console:[/bold] {figures}", highlight=False)


def _console_cue(console: Console) -> Any:
    def show(msg: Any, rendered: Any) -> None:
        # The subject carries the plan's title: printed as text, never read as markup.
        console.print(Text(msg.recipient_id, style="cyan") + Text(f": {rendered.subject}"), highlight=False)

    return show


def _print_links(console: Console, links: dict[str, Any]) -> None:
    console.print(f"[bold]Director:[/bold] {links['director']}", highlight=False, soft_wrap=True)
    for fid, url in links["facilitators"].items():
        console.print(f"[bold]Facilitator {fid}:[/bold] {url}", highlight=False, soft_wrap=True)
    for gid, url in links["boards"].items():
        console.print(f"[bold]Board {gid}:[/bold] {url}", highlight=False, soft_wrap=True)
