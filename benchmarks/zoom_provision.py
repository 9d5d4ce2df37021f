"""Benchmark: provision 20 sessions of the seed study concurrently against the Zoom simulator.

    python benchmarks/zoom_provision.py [--sessions 20] [--plan pro]

The simulator runs in its own process (`python -m facilitator.zoomsim.simulator`), as `facilitator
zoom-sim` would, with the account plan's per-second limits enforced; one shared client (Zoom's
limits are per account) provisions every session at once into a real SQLite store.
Printed, not asserted: wall time, requests by category, 429s received (target 0: the client
paces itself), achieved rate as a fraction of each category's limit (target >= 0.9 where the work
is rate-bound), and the Zoom calls one session needs (target: 1 create + ceil(people/30) batch
registrations, nothing else). A second pass shows what re-running costs.

Achieved rate: calls / (first-to-last span + 1 s), i.e. calls per one-second window the work
occupied; a client sending exactly at the limit scores 1.0 on a rate-bound category.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from facilitator.config import Settings, ZoomPlan
from facilitator.plan.loader import load_plan
from facilitator.schedule.build import build_schedule
from facilitator.schedule.model import Schedule
from facilitator.store.base import SessionRecord
from facilitator.store.sqlite import SqliteStore
from facilitator.zoom.client import ZoomClient
from facilitator.zoom.provision import provision
from facilitator.zoom.ratelimit import ENDPOINTS, PLAN_LIMITS

ROOT = Path(__file__).resolve().parents[1]
SEED_PLAN = ROOT / "session_plans" / "shared-living-experiences.yaml"


def sessions(count: int) -> list[Schedule]:
    """The seed study `count` times: same people, one section a day (one host, < 100 meetings)."""
    base = build_schedule(load_plan(SEED_PLAN), now=datetime(2026, 1, 1, tzinfo=UTC))
    out = []
    for k in range(count):
        s = base.session
        session = replace(
            s,
            id=f"{s.id}-section-{k + 1}",
            title=f"{s.title} (section {k + 1})",
            start=s.start + timedelta(days=k),
            end=s.end + timedelta(days=k),
        )
        out.append(replace(base, session=session))
    return out


async def start_simulator(plan: str) -> tuple[asyncio.subprocess.Process, dict[str, str]]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "facilitator.zoomsim.simulator",
        "--port",
        "0",
        "--plan",
        plan,
        "--seed",
        "1",
        stdout=asyncio.subprocess.PIPE,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    values: dict[str, str] = {}
    while len(values) < 7:
        line = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode().strip()
        if not line:
            raise RuntimeError("the simulator stopped before printing its settings")
        name, _, value = line.partition("=")
        values[name] = value
    return proc, values


def achieved(times: list[float], limit: int) -> tuple[float, int]:
    """(calls per occupied one-second window / limit, most calls seen in any one second)."""
    times = sorted(times)
    span = times[-1] - times[0] if times else 0.0
    busiest, j = 0, 0
    for i, t in enumerate(times):
        while times[j] <= t - 1.0:
            j += 1
        busiest = max(busiest, i - j + 1)
    return (len(times) / (span + 1.0)) / limit, busiest


async def main(count: int, plan: str) -> None:
    proc, env = await start_simulator(plan)
    try:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            zoom_api_base_url=env["ZOOM_API_BASE_URL"],
            zoom_oauth_base_url=env["ZOOM_OAUTH_BASE_URL"],
            zoom_account_id=env["ZOOM_ACCOUNT_ID"],
            zoom_client_id=env["ZOOM_CLIENT_ID"],
            zoom_client_secret=env["ZOOM_CLIENT_SECRET"],
            zoom_plan=plan,
        )
        schedules = sessions(count)
        people = len(schedules[0].students) + len(schedules[0].facilitators)
        with tempfile.TemporaryDirectory() as tmp:
            store = await SqliteStore.open(Path(tmp) / "bench.db")
            for sch in schedules:
                s = sch.session
                now = datetime.now(UTC)
                await store.upsert_session(
                    SessionRecord(s.id, s.title, "bench", "", s.start, s.end, "active", now)
                )
            async with ZoomClient(settings) as zoom:
                started = time.perf_counter()
                results = await asyncio.gather(*(provision(sch, zoom, store) for sch in schedules))
                wall = time.perf_counter() - started
                first_stats = (
                    Counter(zoom.stats.requests),
                    zoom.stats.responses_429,
                    zoom.stats.token_requests,
                )
                first_calls = Counter(zoom.stats.by_endpoint)
                started = time.perf_counter()
                await asyncio.gather(*(provision(sch, zoom, store) for sch in schedules))
                rerun_wall = time.perf_counter() - started
                rerun_calls = Counter(zoom.stats.by_endpoint) - first_calls
            await store.close()
        async with aiohttp.ClientSession() as http:
            async with http.get(env["ZOOM_OAUTH_BASE_URL"] + "/_sim/requests") as resp:
                rows: list[dict[str, Any]] = await resp.json()
            async with http.get(env["ZOOM_OAUTH_BASE_URL"] + "/_sim/state") as resp:
                state = await resp.json()
    finally:
        proc.terminate()
        await proc.wait()
    report(count, plan, people, wall, rerun_wall, first_stats, rerun_calls, rows, state, results)


def report(
    count: int,
    plan: str,
    people: int,
    wall: float,
    rerun_wall: float,
    first_stats: tuple[Counter[str], int, int],
    rerun_calls: Counter[str],
    rows: list[dict[str, Any]],
    state: dict[str, Any],
    results: list[Any],
) -> None:
    by_category, got_429, tokens = first_stats
    limits = PLAN_LIMITS[ZoomPlan(plan)]
    first_pass = [r for r in rows if r["endpoint"]][: sum(by_category.values())]
    print(f"Provisioned {count} sessions x {people} people ({plan} plan limits) with one shared client")
    print(f"  wall time:            {wall:.2f} s   (re-run of all {count}: {rerun_wall:.2f} s)")
    print(f"  token requests:       {tokens}")
    print(f"  429s received:        {got_429}   (simulator sent {state['responses_429']}; target 0)")
    print("  requests by category (achieved rate = calls per occupied 1 s window / limit):")
    for category, limit in limits.items():
        times = [r["at"] for r in first_pass if ENDPOINTS[r["endpoint"]].category == category]
        if not times:
            continue
        fraction, busiest = achieved(times, limit)
        print(
            f"    {category.value:<7} {len(times):>4} calls, limit {limit}/s: "
            f"achieved {fraction:.2f} of the limit, busiest second {busiest}/{limit}"
        )
    per_meeting: dict[str, Counter[str]] = defaultdict(Counter)
    for r in first_pass:
        match = re.match(r"/v2/meetings/(\d+)", r["path"])
        per_meeting[match.group(1) if match else "-"][r["endpoint"]] += 1
    creates = sum(1 for r in first_pass if r["endpoint"] == "create_meeting" and r["status"] == 201)
    per_session_batches = sorted({c["batch_registrants"] for m, c in per_meeting.items() if m != "-"})
    other = sum(
        n
        for c in per_meeting.values()
        for e, n in c.items()
        if e not in ("batch_registrants", "create_meeting")
    )
    target = math.ceil(people / 30)
    print(
        f"  Zoom calls per session: {creates / count:.0f} create + {per_session_batches} batch registrations "
        f"(target 1 + {target}); other calls: {other}"
    )
    registered = sum(len(r.join_urls) for r in results)
    print(f"  meetings on Zoom: {len(state['meetings'])}; join links: {registered} ({people} per session)")
    print(f"  re-run of every session: {dict(rerun_calls)} (nothing created, nobody registered again)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--plan", choices=[p.value for p in ZoomPlan], default="pro")
    args = parser.parse_args()
    asyncio.run(main(args.sessions, args.plan))
