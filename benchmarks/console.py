"""Benchmark: the host console running the seed study's rotation in a simulated meeting.

    python benchmarks/console.py [--speed 120] [--runs 1]

The real path end to end over loopback: the web app with the console mounted, the escalation
watcher calling the ZoomAppDriver on a ScaledClock, the simulated host client playing the console
page over the WebSocket, and the simulated meeting's signed webhooks telling the bot where people
are. Two scenarios per run: every move accepted, and the seed simulation's one refused move
(the first physician's second visit). Prints, per scenario: moves issued and how long after the
slot boundary (real seconds = clock seconds / speed: what a live session at speed 1 would see,
since the work takes real time), moves confirmed by webhook, and fallback cues and escalations
needed (nobody here follows the fallback cue, so the refused visit is escalated and missed).
Target: every move issued within 1 s of its boundary; 0 cues except the refused move.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from facilitator.app.escalation import EscalationWatcher
from facilitator.clock import ScaledClock
from facilitator.config import Settings
from facilitator.links import LinkSigner
from facilitator.plan.loader import load_plan
from facilitator.schedule.build import build_schedule
from facilitator.schedule.model import MessageKind, PlannedMessage
from facilitator.store.sqlite import SqliteStore
from facilitator.web.app import RUNNER_KWARGS, create_app
from facilitator.web.context import WebContext
from facilitator.web.sessions import entry_for_plan
from facilitator.zoomapp import routes
from facilitator.zoomapp.context import encrypt_context
from facilitator.zoomapp.service import ConsoleService
from facilitator.zoomsim.host_client import ConsolePlayer, SimulatedHostClient
from facilitator.zoomsim.live import LiveMeeting, MeetingView

PLAN = Path(__file__).resolve().parents[1] / "session_plans" / "shared-living-experiences.yaml"
CLIENT_ID, CLIENT_SECRET = "bench-client", "bench-client-secret-0123456789abcdef"
WEBHOOK_SECRET, SECRET = "bench-webhook-secret", "bench-secret-0123456789abcdef0123456789"
MEETING_UUID = "benchMeetingUuid=="


async def scenario(speed: float, refuse: bool, tmp: Path) -> dict[str, Any]:
    loaded = load_plan(PLAN)
    schedule = build_schedule(loaded)
    slots = schedule.rotation.slots
    clock = ScaledClock(slots[0].start - timedelta(minutes=1), speed)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        facilitator_db_path=tmp / "bench.db",
        facilitator_secret_key=SECRET,
        zoom_webhook_secret_token=WEBHOOK_SECRET,
        facilitator_cookie_secure=False,
    )
    store = await SqliteStore.open(settings.db_path)
    ctx = WebContext(
        settings=settings, store=store, clock=clock, signer=LinkSigner(SECRET, "http://127.0.0.1")
    )
    entry = entry_for_plan(loaded, schedule)
    ctx.sessions.add(entry)
    assert entry.live is not None
    service = ConsoleService(CLIENT_ID, CLIENT_SECRET, clock, ctx.signer)
    app = create_app(ctx)
    routes.mount(app, service)
    runner = web.AppRunner(app, **RUNNER_KWARGS)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    base = f"http://127.0.0.1:{port}"
    cues: list[PlannedMessage] = []

    async def enqueue(message: PlannedMessage) -> None:
        cues.append(message)

    driver = service.driver_for(schedule, entry.live, MEETING_UUID, enqueue)
    http = aiohttp.ClientSession()
    s = schedule.session
    people = [*schedule.students, *schedule.facilitators]
    view = MeetingView(
        meeting_id=85746065432,
        uuid=MEETING_UUID,
        topic=s.title,
        host_email=s.host_email,
        start_time=s.start,
        duration_minutes=int((s.end - s.start).total_seconds() // 60),
        rooms=tuple((g.name, g.students) for g in schedule.groups),
        registrants=tuple((p.email, p.name.split()[0], f"r{i}") for i, p in enumerate(people)),
        alternative_hosts=(),
    )
    meeting = LiveMeeting(view, clock, f"{base}/zoom/webhook", WEBHOOK_SECRET, "acct", http=http)
    await meeting.start()
    first = schedule.facilitators[0]
    refused = frozenset({(first.email.lower(), 2)}) if refuse else frozenset()
    host = SimulatedHostClient(meeting, refuse=refused)
    player = ConsolePlayer(host, base, http)
    now_ms = int(clock.now().timestamp() * 1000)
    claims = {
        "uid": "h",
        "mid": MEETING_UUID,
        "attendrole": "host",
        "aud": CLIENT_ID,
        "exp": now_ms + 3_600_000,
    }
    player.start(await player.open_app(encrypt_context(claims, CLIENT_SECRET)))
    await player.connected.wait()
    watcher = EscalationWatcher(schedule, entry.live, clock, enqueue, driver=driver)
    try:
        await watcher.run()
        await driver.settled()
    finally:
        await player.stop()
        await driver.aclose()
        await meeting.aclose()
        await http.close()
        await runner.cleanup()
        await store.close()
    lags = [a.evidence["issued_after_boundary_s"] for a in driver.log.entries if a.what == "move"]
    counts = driver.log.counts()
    return {
        "moves_issued": counts["moves_issued"],
        "visits": sum(len(s.visits) for s in slots),
        "lag_max_clock_s": max(lags),
        "lag_median_clock_s": statistics.median(lags),
        "within_1s": sum(1 for lag in lags if lag / speed <= 1.0),  # real seconds, as a live session sees
        "moves_confirmed": counts["moves_confirmed"],
        "fallback_cues": sum(1 for c in cues if c.kind is MessageKind.MOVE_NOW),
        "escalations": sum(1 for c in cues if c.kind is MessageKind.ESCALATION),
        "adherence": watcher.adherence.counts(),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speed", type=float, default=120.0, help="simulated seconds per real second")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    print(f"seed study, console driver, ScaledClock speed {args.speed:g}, {args.runs} run(s) per scenario")
    for refuse in (False, True):
        name = "one refused move" if refuse else "all moves accepted"
        for run in range(args.runs):
            with tempfile.TemporaryDirectory() as tmp:
                r = await scenario(args.speed, refuse, Path(tmp))
            worst_ms = r["lag_max_clock_s"] / args.speed * 1000
            median_ms = r["lag_median_clock_s"] / args.speed * 1000
            print(
                f"{name:20} run {run + 1}: issued {r['moves_issued']}/{r['visits']}, "
                f"within 1 s of the boundary {r['within_1s']}/{r['moves_issued']} "
                f"(real: max {worst_ms:.1f} ms, median {median_ms:.1f} ms), "
                f"confirmed by webhook {r['moves_confirmed']}, fallback cues {r['fallback_cues']}, "
                f"escalations {r['escalations']}, adherence {r['adherence']}"
            )


if __name__ == "__main__":
    asyncio.run(main())
