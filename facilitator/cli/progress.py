"""What `facilitator run` shows: a live status line, each message as it goes out, and a summary."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

from rich.console import Console, Group, RenderableType
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from facilitator.app.escalation import Adherence
from facilitator.delivery.runner import DeliveryEvent
from facilitator.schedule.model import Schedule

CUES = {"heads_up", "move_now", "breakout_end", "escalation"}
STYLE = {"sent": "green", "retry": "yellow", "failed": "red bold", "expired": "magenta", "cancelled": "dim"}


class RunProgress:
    """Feeds on delivery events; renders a status panel for rich's Live display."""

    def __init__(self, schedule: Schedule, console: Console) -> None:
        self.schedule = schedule
        self.console = console
        self.tz = ZoneInfo(schedule.session.timezone)
        self.outcomes: Counter[str] = Counter()
        self.total = len(schedule.messages)
        self.now: datetime = schedule.session.start
        self.next_event: str = ""
        first = min((m.due for m in schedule.messages), default=schedule.session.start)
        last = max((m.due for m in schedule.messages), default=schedule.session.end)
        self._span = (first, last)

    def local(self, dt: datetime, fmt: str = "%a %d %b %H:%M") -> str:
        return dt.astimezone(self.tz).strftime(fmt)

    def on_event(self, event: DeliveryEvent) -> None:
        msg = event.message
        self.outcomes[event.outcome] += 1
        style = STYLE.get(event.outcome, "")
        who = msg.recipient_id
        line = Text.assemble(
            (self.local(event.at, "%m-%d %H:%M:%S"), "dim"),
            "  ",
            (f"{event.outcome:<9}", style),
            (f"{msg.kind:<20}", "bold" if msg.kind in CUES else ""),
            f" → {who} ({msg.channel})",
        )
        if event.detail and event.outcome != "sent":
            line.append(f"  {event.detail}", style="dim")
        self.console.print(line, highlight=False, soft_wrap=True)

    def phase_at(self, now: datetime) -> str:
        for item in self.schedule.timeline:
            if item.kind in {"slot", "transition", "talk"} and item.start <= now < item.end:
                return item.title
        for item in self.schedule.phases:
            if item.start <= now < item.end:
                return item.title
        if now < self.schedule.session.start:
            return "before the session"
        return "after the session"

    def panel(self, now: datetime, next_due: datetime | None) -> RenderableType:
        # The bar follows the live session while it runs, then the follow-ups after it.
        s = self.schedule.session
        first, last = (s.start, s.end) if now <= s.end else (s.end, self._span[1])
        span = max((last - first).total_seconds(), 1.0)
        done = min(max((now - first).total_seconds(), 0.0), span)
        head = Text.assemble(
            (self.local(now), "bold"),
            f"  {self.phase_at(now)}",
            ("  next: " + self.local(next_due) if next_due else "  next: nothing due", "dim"),
            f"   sent {self.outcomes['sent']} of {self.total}",
        )
        return Group(head, ProgressBar(total=span, completed=done, width=60))


def summary_tables(
    schedule: Schedule, counts: dict[tuple[str, str], int], adherence: Adherence | None, misses: list[str]
) -> RenderableType:
    statuses = sorted({status for _, status in counts})
    kinds = sorted({kind for kind, _ in counts})
    table = Table(title="Messages by kind and status", show_edge=False)
    table.add_column("kind")
    for status in statuses:
        table.add_column(status, justify="right")
    for kind in kinds:
        table.add_row(kind, *(str(counts.get((kind, s), 0) or "") for s in statuses))
    parts: list[RenderableType] = [table]
    if adherence is not None and adherence.visits:
        c = adherence.counts()
        parts.append(
            Text(
                f"Rotation adherence: {c['on_time']} of {c['visits']} visits in place 2 minutes in; "
                f"{c['late']} late, {c['missed']} missed, {c['escalated']} escalated"
            )
        )
    parts.extend(Text(f"  • {line}") for line in misses)
    return Group(*parts)
