"""Board fan-out benchmark: 500 live SSE viewers across 50 rooms, posts at increasing rates.

Prints, for each offered rate, the achieved post rate and the p50/p99 post-to-visible latency
(from the moment a post is sent until a viewer in its room has it), then the highest sustained
rate whose p99 stays under 200 ms, and the server's peak RSS.

    python benchmarks/board.py                    # defaults: 500 viewers, 50 rooms, 3 s per level
    python benchmarks/board.py --seconds 5 --rates 250,500,1000,1500,2000

The server runs the real app (real SQLite file in WAL mode, real hub, real SSE) in a child
process; the viewers and the poster share one client process, so on a 2-core machine each side
gets a core. All traffic stays on 127.0.0.1; the run is bounded by --max-seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import psutil

SECRET = "benchmark-secret-0123456789abcdef0123456789"
REPO = Path(__file__).resolve().parents[1]
_MARK = re.compile(rb'"body":"p(\d+) ')


def bench_schedule(rooms: int) -> Any:
    """The seed study's schedule with `rooms` rooms and no practical post limit."""
    from facilitator.plan.loader import load_plan
    from facilitator.schedule.build import build_schedule
    from facilitator.schedule.model import Group

    base = build_schedule(load_plan(REPO / "session_plans" / "shared-living-experiences.yaml"))
    groups = tuple(Group(f"room-{i}", f"Room {i}", (), "Talk.") for i in range(rooms))
    session = dataclasses.replace(base.session, board_posts_per_minute=10**9)
    return dataclasses.replace(base, session=session, groups=groups)


# -- server (child process) -------------------------------------------------------------------


async def serve(port: int, db: Path, rooms: int) -> None:
    from facilitator.clock import SystemClock
    from facilitator.config import Settings
    from facilitator.links import LinkSigner
    from facilitator.store.base import SessionRecord
    from facilitator.store.sqlite import SqliteStore
    from facilitator.web.app import start
    from facilitator.web.context import SessionEntry, WebContext

    schedule = bench_schedule(rooms)
    s = schedule.session
    settings = Settings(
        _env_file=None,
        facilitator_db_path=db,
        facilitator_secret_key=SECRET,  # type: ignore[call-arg]
        facilitator_cookie_secure=False,
    )
    store = await SqliteStore.open(db)
    await store.upsert_session(
        SessionRecord(s.id, s.title, "bench.yaml", "", s.start, s.end, "active", s.start)
    )
    ctx = WebContext(
        settings=settings,
        store=store,
        clock=SystemClock(),
        signer=LinkSigner(SECRET, "http://x"),
        max_streams_per_client=10_000,  # every viewer comes from this one machine
    )
    ctx.sessions.add(SessionEntry(schedule))
    runner = await start(ctx, "127.0.0.1", port)
    watch = asyncio.create_task(_lag_watch("server")) if os.environ.get("BOARD_BENCH_LAG") else None
    print("ready", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        if watch is not None:
            watch.cancel()
        await runner.cleanup()
        await store.close()


async def _lag_watch(name: str) -> None:
    """Diagnostics: report event-loop stalls longer than 50 ms."""
    while True:
        t = time.monotonic()
        await asyncio.sleep(0.01)
        lag = time.monotonic() - t - 0.01
        if lag > 0.05:
            print(
                f"{name} loop stalled {lag * 1000:.0f} ms at {time.monotonic():.2f}",
                file=sys.stderr,
                flush=True,
            )


# -- client -----------------------------------------------------------------------------------


@dataclasses.dataclass
class Level:
    rate: int
    sent: int
    ok: int
    seconds: float
    latencies: list[float]
    missing: int

    @property
    def achieved(self) -> float:
        return self.ok / self.seconds

    def p(self, q: float) -> float:
        if not self.latencies:
            return float("inf")
        return statistics.quantiles(self.latencies, n=1000, method="inclusive")[int(q * 1000) - 1] * 1000


class Viewers:
    """SSE readers that time-stamp every post marker they see."""

    def __init__(self) -> None:
        self.sent_at: dict[int, float] = {}
        self.latencies: list[float] = []
        self.received = 0
        self.ready = 0

    async def watch(self, session: aiohttp.ClientSession, url: str) -> None:
        async with session.get(url, timeout=aiohttp.ClientTimeout(total=None, sock_read=None)) as resp:
            self.ready += 1
            async for chunk in resp.content.iter_any():
                now = time.monotonic()
                for m in _MARK.finditer(chunk):
                    sent = self.sent_at.get(int(m.group(1)))
                    if sent is not None:
                        self.latencies.append(now - sent)
                        self.received += 1


async def run_level(
    session: aiohttp.ClientSession,
    base: str,
    tokens: list[str],
    viewers: Viewers,
    rate: int,
    seconds: float,
    per_room: int,
    first_id: int,
) -> Level:
    viewers.latencies = []
    viewers.received = 0
    total = int(rate * seconds)
    sem = asyncio.Semaphore(1024)
    ok = 0

    async def post(i: int) -> None:
        nonlocal ok
        pid = first_id + i
        async with sem:
            viewers.sent_at[pid] = time.monotonic()
            async with session.post(
                f"{base}/b/{tokens[pid % len(tokens)]}",
                json={"body": f"p{pid} hello"},
                headers={"Accept": "application/json"},
            ) as resp:
                await resp.read()
                if resp.status == 200:
                    ok += 1

    start = time.monotonic()
    tasks = []
    for i in range(total):
        delay = start + i / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(post(i)))
    await asyncio.gather(*tasks)
    elapsed = time.monotonic() - start
    await asyncio.sleep(0.3)  # let the last events arrive
    expected = ok * per_room
    return Level(rate, total, ok, elapsed, list(viewers.latencies), max(0, expected - viewers.received))


async def client(port: int, args: argparse.Namespace, server: psutil.Process) -> None:
    from facilitator.links import LinkSigner

    schedule = bench_schedule(args.rooms)
    signer = LinkSigner(SECRET, "http://x")
    exp = schedule.session.end.replace(year=schedule.session.end.year + 1)
    tokens = [signer.board_token(schedule.session.id, g.id, exp) for g in schedule.groups]
    base = f"http://127.0.0.1:{port}"
    per_room = args.viewers // args.rooms
    viewers = Viewers()
    watch = asyncio.create_task(_lag_watch("client")) if os.environ.get("BOARD_BENCH_LAG") else None
    peak = 0
    deadline = time.monotonic() + args.max_seconds
    posters = aiohttp.TCPConnector(limit=args.connections)
    async with (
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session,
        aiohttp.ClientSession(connector=posters) as post_session,
    ):
        watchers = [
            asyncio.create_task(viewers.watch(session, f"{base}/b/{tokens[i % args.rooms]}/events"))
            for i in range(per_room * args.rooms)
        ]
        while viewers.ready < len(watchers):
            await asyncio.sleep(0.05)
        print(f"{len(watchers)} viewers connected across {args.rooms} rooms ({per_room} per room)")
        # open the posting connections up front (a real room's students arrive over minutes)
        await asyncio.gather(*(post_session.get(f"{base}/api/time") for _ in range(args.connections)))
        print(
            f"{'offered/s':>10} {'achieved/s':>11} {'p50 ms':>8} {'p99 ms':>8} {'missing':>8} "
            f"{'server CPU':>10} {'client CPU':>10}"
        )
        me = psutil.Process()
        best = 0  # highest passing rate
        steady = 0  # highest rate such that it and every lower rate passed
        failed = False
        next_id = 0
        for rate in args.rates:
            if time.monotonic() + args.seconds > deadline:
                print("stopping: time bound reached")
                break
            cpu0, mine0, t0 = sum(server.cpu_times()[:2]), sum(me.cpu_times()[:2]), time.monotonic()
            level = await run_level(
                post_session, base, tokens, viewers, rate, args.seconds, per_room, next_id
            )
            wall = time.monotonic() - t0
            cpu = (sum(server.cpu_times()[:2]) - cpu0) / wall * 100
            mine = (sum(me.cpu_times()[:2]) - mine0) / wall * 100
            next_id += level.sent
            peak = max(peak, server.memory_info().rss)
            good = level.p(0.99) < 200 and level.achieved >= 0.95 * rate and level.missing == 0
            print(
                f"{rate:>10} {level.achieved:>11.0f} {level.p(0.50):>8.1f} {level.p(0.99):>8.1f} "
                f"{level.missing:>8} {cpu:>9.0f}% {mine:>9.0f}%{'' if good else '  <- over budget'}"
            )
            if good:
                best = max(best, rate)
                steady = rate if not failed else steady
            else:
                failed = True
                if best and rate > best * 2:
                    break
        for w in watchers:
            w.cancel()
        await asyncio.gather(*watchers, return_exceptions=True)
    if watch is not None:
        watch.cancel()
    peak = max(peak, server.memory_info().rss)
    print(
        f"highest sustained rate with p99 post-to-visible < 200 ms: {steady} posts/s "
        f"(it and every lower rate passed; highest passing level: {best} posts/s; "
        f"{args.viewers} viewers, {args.rooms} rooms, {os.cpu_count()} cores)"
    )
    print(f"server peak RSS: {peak / 2**20:.0f} MiB")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--viewers", type=int, default=500)
    parser.add_argument("--rooms", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=3.0, help="seconds per rate level")
    parser.add_argument("--rates", default="100,250,500,750,1000,1250,1500,2000,2500,3000")
    parser.add_argument("--db-dir", default=None, help="where the SQLite file goes (default: the temp dir)")
    parser.add_argument("--connections", type=int, default=64, help="keep-alive connections for posting")
    parser.add_argument("--max-seconds", type=float, default=90.0, help="bound on the whole run")
    parser.add_argument("--serve", nargs=2, metavar=("PORT", "DB"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.rates = [int(r) for r in str(args.rates).split(",")]
    if args.serve:
        if os.environ.get("BOARD_BENCH_PROFILE"):
            import cProfile
            import signal

            prof = cProfile.Profile()
            signal.signal(
                signal.SIGTERM,
                lambda *_: (prof.disable(), prof.dump_stats(os.environ["BOARD_BENCH_PROFILE"]), os._exit(0)),
            )
            prof.enable()
        asyncio.run(serve(int(args.serve[0]), Path(args.serve[1]), args.rooms))
        return 0
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with tempfile.TemporaryDirectory(dir=args.db_dir) as tmp:
        child = subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--rooms",
                str(args.rooms),
                "--serve",
                str(port),
                str(Path(tmp) / "b.db"),
            ],
            stdout=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        try:
            assert child.stdout is not None
            if child.stdout.readline().strip() != "ready":
                print("the server did not start", file=sys.stderr)
                return 1
            asyncio.run(client(port, args, psutil.Process(child.pid)))
        finally:
            child.terminate()
            child.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
