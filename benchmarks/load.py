"""Outbox load benchmark: N concurrent sessions through one runner, SQLite outbox, real SMTP.

    python benchmarks/load.py                 # 200 sessions x (61 students, 3 facilitators, 6 groups)
    python benchmarks/load.py --stagger 0     # worst case: every session at the very same second

Every session is the seed study's schedule (session_plans/shared-living-experiences.yaml,
built by the real schedule builder), copied under a new session id and shifted by
`i * --stagger` seconds. The default stagger, 3 s, starts all 200 sessions within ten minutes,
so all of them are live at once and every few seconds another session's cues fall due
together with its student emails; `--stagger 0` puts every session on the same second (all
cues of all sessions due at the same instant as thousands of student emails).
All messages go through the real runner, the real renderer (Jinja2 templates, signed links),
the SQLite outbox (a file, WAL) and the email channel to an aiosmtpd server in a child process.

The timeline is compressed by skipping idle time, not by speeding it up: a ScaledClock runs at
`--speed` (default 1, real time) while anything is due or in flight, and jumps to just before
the next due time whenever the runner is idle (the day before, the gaps between moves, the
days after), as `run --simulate` does. Running faster than real time would also compress the
gaps between bursts and the cues' grace (at 60x a one-minute grace is one real second), which
measures an artificial load, not the runner.
Measured:
  * cue lateness: arrival at the SMTP server (monotonic clock, shared by both processes) minus
    the real instant the cue was due (the clock's virtual-to-real mapping, kept across jumps),
  * throughput: messages per second in the largest burst (the day-before invitations),
  * lost (planned, never arrived) and duplicated (arrived more than once) messages,
  * peak RSS of the runner process (and of the SMTP server process, separately).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import multiprocessing as mp
import re
import resource
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

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
    conn.send(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


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


@dataclasses.dataclass
class Segment:
    """From `virtual` on (until the next jump), virtual time maps to monotonic real time like so."""

    virtual: datetime
    real: float
    speed: float

    def real_of(self, when: datetime) -> float:
        return self.real + (when - self.virtual).total_seconds() / self.speed


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
    in_flight_done = asyncio.Event()

    def note(event: DeliveryEvent) -> None:
        outcomes[event.outcome] += 1
        in_flight_done.set()

    runner = Runner(store, clock, {"email": channel}, renderers(sessions), on_event=note)
    await runner.start()
    started = time.monotonic()
    # The driver only watches and skips idle stretches; the runner's own timer does the sending.
    while True:
        due = await store.next_due()
        busy = runner._in_flight
        if due is None and not any(busy.values()):
            break
        idle = not any(busy.values()) and due is not None and due > clock.now()
        if idle and due is not None and (clock.real_seconds_until(due) or 0) > args.max_idle:
            clock.jump_to(due - timedelta(seconds=args.lead))
            segments.append(Segment(clock.now(), time.monotonic(), args.speed))
        in_flight_done.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(in_flight_done.wait(), 0.05)
    elapsed = time.monotonic() - started
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
        "statuses": statuses,
        "final": final,
        "outcomes": outcomes,
        "rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }


def real_due(segments: list[Segment], due: datetime) -> float:
    """The real instant `due` was reached: in the last segment that began at or before it."""
    current = segments[0]
    for seg in segments:
        if seg.virtual <= due:
            current = seg
    return current.real_of(due)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def burst_rate(
    planned: dict[str, Any], first_arrival: dict[str, float], segments: list[Segment]
) -> tuple[int, float]:
    """The largest group of messages due at one instant: (count, seconds until the last arrived)."""
    groups: dict[datetime, list[str]] = {}
    for key, m in planned.items():
        groups.setdefault(m.due, []).append(key)
    due, keys = max(groups.items(), key=lambda item: len(item[1]))
    arrived = [first_arrival[k] for k in keys if k in first_arrival]
    return len(arrived), (max(arrived) - real_due(segments, due)) if arrived else float("nan")


def report(
    result: dict[str, Any], by_message_id: list[tuple[str, float]], server_rss_kib: int, args: Any
) -> None:
    from facilitator.delivery.channels.email import message_id_for

    planned = result["planned"]
    key_of = {message_id_for(k): k for k in planned}
    arrivals = [(key_of.get(mid, mid), at) for mid, at in by_message_id]
    counts = Counter(key for key, _ in arrivals)
    first_arrival = {}
    for key, at in arrivals:
        first_arrival.setdefault(key, at)
    unsent = [k for k in planned if k not in counts]
    expired = [k for k in unsent if result["final"].get(k) == "expired"]
    lost = [k for k in unsent if result["final"].get(k) != "expired"]
    duplicated = [k for k, n in counts.items() if n > 1]
    unknown = [k for k in counts if k not in planned]
    cue_late = [
        (first_arrival[k] - real_due(result["segments"], m.due)) * 1000
        for k, m in planned.items()
        if m.lane == "cue" and k in first_arrival
    ]
    bulk_late = [
        (first_arrival[k] - real_due(result["segments"], m.due)) * 1000
        for k, m in planned.items()
        if m.lane == "bulk" and k in first_arrival
    ]
    burst_n, burst_s = burst_rate(planned, first_arrival, result["segments"])
    cues = sum(1 for m in planned.values() if m.lane == "cue")
    print(
        f"sessions: {args.sessions} (stagger {args.stagger:g} s), speed {args.speed:g}x, "
        f"SMTP connections {args.connections}"
    )
    print(f"planned messages: {len(planned)} ({cues} cues); outbox filled in {result['fill_seconds']:.2f} s")
    print(f"final statuses: {dict(result['statuses'])}")
    print(f"run time: {result['elapsed']:.1f} s real")
    print(
        f"cue lateness (ms, arrival at SMTP vs due): p50 {percentile(cue_late, 0.5):.1f}  "
        f"p99 {percentile(cue_late, 0.99):.1f}  max {max(cue_late, default=float('nan')):.1f}  "
        f"(n={len(cue_late)})"
    )
    print(
        f"bulk lateness (ms): p50 {percentile(bulk_late, 0.5):.0f}  p99 {percentile(bulk_late, 0.99):.0f}  "
        f"max {max(bulk_late, default=float('nan')):.0f}"
    )
    rate = burst_n / burst_s if burst_s > 0 else float("nan")
    print(
        f"throughput: {burst_n} messages due at the same instant all arrived within {burst_s:.2f} s "
        f"= {rate:.0f} messages/s"
    )
    print(
        f"lost: {len(lost)}  duplicated: {len(duplicated)}  unknown: {len(unknown)}  "
        f"(expired cues, not sent because later than their grace: {len(expired)})"
    )
    print(
        f"peak RSS: runner process {result['rss_kib'] / 1024:.0f} MiB, SMTP server process "
        f"{server_rss_kib / 1024:.0f} MiB"
    )
    targets = [
        ("p99 cue lateness < 250 ms", percentile(cue_late, 0.99) < 250),
        ("none lost", not lost),
        ("no cue expired", not expired),
        ("none duplicated", not duplicated),
        ("RSS < 1 GiB", result["rss_kib"] < 1024 * 1024),
    ]
    print("targets: " + ", ".join(f"{name}: {'met' if ok else 'MISSED'}" for name, ok in targets))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--speed", type=float, default=1.0, help="virtual seconds per real second")
    parser.add_argument("--stagger", type=float, default=3.0, help="seconds between session starts")
    parser.add_argument("--connections", type=int, default=8, help="SMTP connections (smtp_max_connections)")
    parser.add_argument("--max-idle", type=float, default=0.1, help="real seconds of idleness worth a jump")
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
            server_rss = parent.recv()
            server.join(10)
        arrivals = []
        for line in (workdir / "arrivals.tsv").read_text(encoding="utf-8").splitlines():
            key, at = line.split("\t")
            arrivals.append((key, float(at)))
    report(result, arrivals, server_rss, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
