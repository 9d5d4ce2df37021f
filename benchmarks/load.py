"""Outbox load benchmark: N concurrent sessions through one runner, SQLite outbox, real SMTP.

    python benchmarks/load.py                 # 200 sessions x (61 students, 3 facilitators, 6 groups)
                                              # all on the same second: the worst case
    python benchmarks/load.py --stagger 3     # sessions starting 3 s apart

Every session is the seed study's schedule (session_plans/shared-living-experiences.yaml,
built by the real schedule builder), copied under a new session id and shifted by
`i * --stagger` seconds. The default stagger, 0, puts every session on the same second: each
cue moment has 600 cues due at once (3 facilitators x 200 sessions), the move-now moments
together with 18,400 student emails. `--stagger 3` starts all 200 sessions within ten
minutes, so all of them are live at once and every few seconds another session's cues fall
due together with its student emails.
All messages go through the real runner, the real renderer (Jinja2 templates, signed links),
the SQLite outbox (a file, WAL) and the email channel to an aiosmtpd server in a child process.

The timeline is compressed by skipping idle time, not by speeding it up: a ScaledClock runs at
`--speed` (default 1, real time) while anything is due or in flight, and jumps to just before
the runner's next wake-up whenever it is idle (the day before, the gaps between moves, the
days after), as `run --simulate` does. A wake-up is a due time or the moment the runner starts
preparing (rendering) the cues due within its `prepare_ahead` (10 s), so that quiet stretch
before a burst, minutes long in a real session, keeps the real time the preparation takes.
Running faster than real time would also compress the gaps between bursts and the cues'
grace (at 60x a one-minute grace is one real second), which measures an artificial load, not
the runner. `--gc-freeze` freezes the loaded sessions out of the cyclic garbage collector
before the run (`gc.freeze()`), which a long-running service can do once its sessions are
loaded, so that no full collection pauses a burst.
Measured:
  * cue lateness: arrival at the SMTP server (monotonic clock, shared by both processes) minus
    the real instant the cue was due (the clock's virtual-to-real mapping, kept across jumps),
    overall and per kind of cue,
  * throughput: messages per second in the largest burst (the day-before invitations),
  * lost (planned, never arrived) and duplicated (arrived more than once) messages,
  * peak RSS of the runner process (and of the SMTP server process, separately),
  * CPU time of both processes (the aiosmtpd server is a sizeable part of each burst's cost).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gc
import multiprocessing as mp
import re
import resource
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

from load_figures import Segment, report

REPO = Path(__file__).resolve().parents[1]
SEED_PLAN = REPO / "session_plans" / "shared-living-experiences.yaml"
_MESSAGE_ID = re.compile(rb"^Message-ID: (<[^>]+>)", re.MULTILINE | re.IGNORECASE)


# -- the SMTP server (child process) ------------------------------------------------------------


def smtp_server(conn: Any, out_path: str) -> None:
    """aiosmtpd on 127.0.0.1; records (key, monotonic arrival) for every message; stops on request."""
    from aiosmtpd.controller import Controller

    arrivals: list[tuple[str, float]] = []

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            match = _MESSAGE_ID.search(envelope.original_content or envelope.content)
            arrivals.append((match.group(1).decode() if match else "?", time.monotonic()))
            return "250 OK"

    class Loopback(Controller):  # type: ignore[misc]
        def _trigger_server(self) -> None:
            if self.port == 0 and self.server is not None:
                self.port = self.server.sockets[0].getsockname()[1]
            super()._trigger_server()

    controller = Loopback(Handler(), hostname="127.0.0.1", port=0, server_hostname="localhost")
    controller.start()
    conn.send(controller.port)
    conn.recv()  # "stop"
    controller.stop()
    with open(out_path, "w", encoding="utf-8") as out:
        out.writelines(f"{key}\t{at}\n" for key, at in arrivals)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    conn.send((usage.ru_maxrss, usage.ru_utime + usage.ru_stime))


# -- sessions ----------------------------------------------------------------------------------


def build_sessions(count: int, stagger: float) -> list[Any]:
    """`count` copies of the seed schedule, with their own ids, keys and (shifted) times."""
    from facilitator.plan.loader import load_plan
    from facilitator.schedule.build import build_schedule

    if not SEED_PLAN.exists():
        sys.exit(f"benchmark needs the seed plan at {SEED_PLAN}")
    base = build_schedule(load_plan(SEED_PLAN))
    sessions = []
    for i in range(count):
        sid = f"{base.session.id}-b{i:03d}"
        shift = timedelta(seconds=i * stagger)
        messages = tuple(
            dataclasses.replace(
                m,
                key=m.key.replace(base.session.id, sid, 1),
                due=m.due + shift,
                deadline=m.deadline + shift,
                context={**m.context, "session_id": sid},
            )
            for m in base.messages
        )
        summary = dataclasses.replace(base.session, id=sid, start=base.session.start + shift)
        sessions.append(dataclasses.replace(base, session=summary, messages=messages))
    return sessions


def renderers(sessions: list[Any]) -> Any:
    """The real render path per session: context builder (names, local times, signed links) + Jinja2."""
    from facilitator.delivery.context import MessageContextBuilder, MessageRenderer
    from facilitator.delivery.render import Renderer
    from facilitator.links import LinkSigner

    signer = LinkSigner(secret="benchmark-secret-0123456789abcdef", public_url="http://127.0.0.1:8080")
    renderer = Renderer()
    by_session = {
        s.session.id: MessageRenderer(
            renderer,
            MessageContextBuilder(
                s, signer, "benchmark-survey-secret", fallback_join_url="https://zoom.example/j/1"
            ),
        )
        for s in sessions
    }

    async def render(msg: Any) -> Any:
        return by_session[msg.session_id].render(msg)

    return render


# -- the run -------------------------------------------------------------------------------------


async def run(args: argparse.Namespace, port: int, workdir: Path) -> dict[str, Any]:
    from facilitator.clock import ScaledClock
    from facilitator.config import load_settings
    from facilitator.delivery.channels.email import EmailChannel
    from facilitator.delivery.outbox import start_session
    from facilitator.delivery.runner import DeliveryEvent, Runner
    from facilitator.store.sqlite import SqliteStore

    sessions = build_sessions(args.sessions, args.stagger)
    store = await SqliteStore.open(workdir / "load.db")
    t = time.perf_counter()
    for s in sessions:
        await start_session(store, s, "benchmark", str(SEED_PLAN))
    fill_seconds = time.perf_counter() - t
    planned = {m.key: m for s in sessions for m in s.messages}

    first_due = min(m.due for m in planned.values())
    clock = ScaledClock(first_due - timedelta(seconds=1), speed=args.speed)
    segments = [Segment(clock.now(), time.monotonic(), args.speed)]
    settings = load_settings(
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_security="plain",
        smtp_max_connections=args.connections,
        smtp_timeout_seconds=30,
    )
    channel = EmailChannel(settings, clock=clock)
    outcomes: Counter[str] = Counter()

    def note(event: DeliveryEvent) -> None:
        outcomes[event.outcome] += 1

    runner = Runner(store, clock, {"email": channel}, renderers(sessions), on_event=note)
    if args.gc_freeze:
        # The sessions' schedules (125,600 planned messages with their contexts) live as long as
        # the process. Unfrozen, every full collection walks all of them (tens of ms here), and
        # one that lands in a burst delays every cue behind it. Off by default: the product
        # does not freeze its sessions (yet), and the benchmark measures the product.
        gc.freeze()
    await runner.start()
    started, cpu_started = time.monotonic(), time.process_time()
    # The driver only watches and skips idle stretches; the runner's own timer does the sending.
    # It skips to just before the runner's next wake-up, which is either a due time or the
    # moment the runner starts preparing the next cues, so the quiet before a burst (minutes
    # in a real session) keeps the few real seconds the runner spends in it. While the runner
    # is busy the driver only glances at it every 10 ms: it must not compete for the CPU.
    while True:
        await asyncio.sleep(0.01)
        if runner.busy:
            continue
        wake = await runner.next_wake()
        if wake is None:
            break
        if wake > clock.now() and (clock.real_seconds_until(wake) or 0) > args.max_idle:
            clock.jump_to(wake - timedelta(seconds=args.lead))
            segments.append(Segment(clock.now(), time.monotonic(), args.speed))
    elapsed, cpu = time.monotonic() - started, time.process_time() - cpu_started
    await runner.stop()
    await channel.close()
    final: dict[str, str] = {}
    for s in sessions:
        final.update((m.key, m.status.value) for m in await store.list_messages(s.session.id))
    statuses = Counter(final.values())
    await store.close()
    return {
        "planned": planned,
        "segments": segments,
        "fill_seconds": fill_seconds,
        "elapsed": elapsed,
        "cpu": cpu,
        "statuses": statuses,
        "final": final,
        "outcomes": outcomes,
        "rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--speed", type=float, default=1.0, help="virtual seconds per real second")
    parser.add_argument("--stagger", type=float, default=0.0, help="seconds between session starts")
    parser.add_argument("--connections", type=int, default=8, help="SMTP connections (smtp_max_connections)")
    parser.add_argument("--max-idle", type=float, default=0.1, help="real seconds of idleness worth a jump")
    parser.add_argument(
        "--gc-freeze",
        action="store_true",
        help="freeze the loaded sessions out of the cyclic garbage collector before the run",
    )
    parser.add_argument(
        "--lead", type=float, default=0.05, help="virtual seconds before the next due to jump to"
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        ctx = mp.get_context("spawn")
        parent, child = ctx.Pipe()
        server = ctx.Process(target=smtp_server, args=(child, str(workdir / "arrivals.tsv")), daemon=True)
        server.start()
        port = parent.recv()
        try:
            result = asyncio.run(run(args, port, workdir))
        finally:
            parent.send("stop")
            server_usage = parent.recv()
            server.join(10)
        arrivals = []
        for line in (workdir / "arrivals.tsv").read_text(encoding="utf-8").splitlines():
            key, at = line.split("\t")
            arrivals.append((key, float(at)))
    report(result, arrivals, server_usage, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
