"""The figures `load.py` prints: lateness against the real due instant, throughput, losses.

Split from `load.py` (which sets up and drives the run) so each stays short; see its docstring
for what is measured and how.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import datetime
from typing import Any


@dataclasses.dataclass
class Segment:
    """From `virtual` on (until the next jump), virtual time maps to monotonic real time like so."""

    virtual: datetime
    real: float
    speed: float

    def real_of(self, when: datetime) -> float:
        return self.real + (when - self.virtual).total_seconds() / self.speed


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
    result: dict[str, Any],
    by_message_id: list[tuple[str, float]],
    server: tuple[int, float],
    args: Any,
) -> None:
    from facilitator.delivery.channels.email import message_id_for

    planned = result["planned"]
    server_rss_kib, server_cpu = server
    key_of = {message_id_for(k).partition("@")[0]: k for k in planned}  # by digest, whatever the domain
    arrivals = [(key_of.get(mid.partition("@")[0], mid), at) for mid, at in by_message_id]
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
    by_kind: dict[str, list[float]] = {}
    for k, m in planned.items():
        if m.lane == "cue" and k in first_arrival:
            late = (first_arrival[k] - real_due(result["segments"], m.due)) * 1000
            by_kind.setdefault(str(m.kind), []).append(late)
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
        "cue lateness by kind (ms, p99 / max): "
        + ", ".join(f"{kind} {percentile(v, 0.99):.0f} / {max(v):.0f}" for kind, v in sorted(by_kind.items()))
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
    per = 1000 / max(1, len(arrivals))
    print(
        f"CPU: runner {result['cpu']:.1f} s while sending ({result['cpu'] * per:.2f} ms a message), "
        f"SMTP server {server_cpu:.1f} s in all ({server_cpu * per:.2f} ms a message)"
    )
    targets = [
        ("p99 cue lateness < 250 ms", percentile(cue_late, 0.99) < 250),
        ("none lost", not lost),
        ("no cue expired", not expired),
        ("none duplicated", not duplicated),
        ("RSS < 1 GiB", result["rss_kib"] < 1024 * 1024),
    ]
    print("targets: " + ", ".join(f"{name}: {'met' if ok else 'MISSED'}" for name, ok in targets))
