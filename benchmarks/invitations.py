"""Benchmark: what the calendar invitation adds to rendering an invitation email.

    python benchmarks/invitations.py [--runs 5]

Renders every invitation of the seed study (61 students' `invitation`, 3 physicians'
`facilitator_welcome`) into email bytes, as the runner does at send time: context, templates,
then MIME; once without the calendar and once with it (iCalendar built with `icalendar`, then
attached inline and as invite.ics). Prints the median per-message CPU time of each and the
bytes per message. The runner renders bulk mail as it falls due, so this is the extra delay per
invitation in a burst.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import timedelta
from pathlib import Path

from facilitator.clock import ManualClock
from facilitator.delivery.channels.mime import build_mime
from facilitator.delivery.context import MessageContextBuilder, MessageRenderer
from facilitator.delivery.invites import INVITATION_KINDS, InvitationCalendars
from facilitator.delivery.render import Renderer
from facilitator.links import LinkSigner
from facilitator.plan.loader import load_plan
from facilitator.schedule.build import build_schedule

PLAN = Path(__file__).resolve().parents[1] / "session_plans" / "shared-living-experiences.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    schedule = build_schedule(load_plan(PLAN))
    signer = LinkSigner("benchmark-secret-0123456789abcdef0123456789", "https://facilitator.example.edu")
    people = [*schedule.students, *schedule.facilitators]
    joins = {p.email: f"https://zoom.us/w/85012345678?tk=person-{i}" for i, p in enumerate(people)}
    builder = MessageContextBuilder(schedule, signer, "benchmark-survey-secret", joins)
    clock = ManualClock(schedule.session.start - timedelta(days=1))
    messages = [m for m in schedule.messages if m.kind.value in INVITATION_KINDS]
    variants = {
        "without calendar": MessageRenderer(Renderer(), builder),
        "with calendar": MessageRenderer(Renderer(), builder, InvitationCalendars(schedule, clock, 1)),
    }
    print(f"{len(messages)} invitation emails (seed study), median of {args.runs} runs")
    for name, renderer in variants.items():
        timings: list[float] = []
        size = 0
        for _ in range(args.runs + 1):  # the first run warms the template cache
            size = 0
            started = time.process_time()
            for msg in messages:
                out = renderer.render(msg)
                raw = build_mime(
                    sender="Facilitator <facilitator@example.edu>",
                    recipient=msg.recipient,
                    subject=out.subject,
                    text=out.text,
                    html=out.html,
                    date=clock.now(),
                    message_id="<bench@facilitator.local>",
                    key=msg.key,
                    calendar=out.calendar,
                )
                size += len(raw)
            timings.append((time.process_time() - started) / len(messages))
        per = statistics.median(timings[1:]) * 1000
        kib = size / len(messages) / 1024
        print(f"  {name:17} {per:6.2f} ms CPU per message, {kib:5.1f} KiB per message")


if __name__ == "__main__":
    main()
