"""The director's timeline as geometry for an inline SVG (drawn by templates/pages/_timeline.html).

Computed server-side so the page needs no script and no inline style (the CSP forbids both):
the template only places rectangles and labels at the coordinates given here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from facilitator.schedule.model import Schedule
from facilitator.web.common import hhmm

WIDTH = 1000.0
LABEL_W = 150.0
ROW_H = 30.0
TOP = 24.0


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float
    label: str
    css: str  # class name: phase-plenary, phase-breakout, visit, free
    title: str  # tooltip: what and when


@dataclass(frozen=True)
class Tick:
    x: float
    label: str
    anchor: str = "middle"


@dataclass(frozen=True)
class TimelineLayout:
    width: float
    height: float
    label_w: float
    rows: list[tuple[float, str]]  # (y of text baseline, lane label)
    boxes: list[Box]
    ticks: list[Tick]
    now_x: float | None
    now_label: str


def layout(schedule: Schedule, now: datetime) -> TimelineLayout:
    s = schedule.session
    tz = s.timezone
    span = max((s.end - s.start).total_seconds(), 1.0)
    plot_w = WIDTH - LABEL_W - 10

    def x(t: datetime) -> float:
        return LABEL_W + plot_w * min(max((t - s.start).total_seconds() / span, 0.0), 1.0)

    def box(start: datetime, end: datetime, y: float, label: str, css: str) -> Box:
        return Box(
            round(x(start), 1),
            y,
            round(max(x(end) - x(start), 1.0), 1),
            ROW_H - 6,
            label,
            css,
            f"{label}: {hhmm(start, tz)}-{hhmm(end, tz)}",
        )

    rows: list[tuple[float, str]] = [(TOP + ROW_H * 0.6, "Phases")]
    boxes = [box(p.start, p.end, TOP, p.title, f"phase-{p.kind}") for p in schedule.phases]
    for lane, f in enumerate(schedule.facilitators, start=1):
        y = TOP + lane * ROW_H
        rows.append((y + ROW_H * 0.6, f.name))
        for slot in schedule.rotation.slots:
            gid = schedule.rotation.room_of(f.id, slot.index)
            if gid is None:
                boxes.append(box(slot.start, slot.end, y, "free", "free"))
            else:
                boxes.append(box(slot.start, slot.end, y, schedule.group(gid).name, "visit"))
    height = TOP + (len(schedule.facilitators) + 1) * ROW_H + 4
    ticks: list[Tick] = []
    for t in sorted({s.start, s.end, *(p.start for p in schedule.phases)}):
        if ticks and x(t) - ticks[-1].x < 36:  # labels would overlap: keep the earlier one
            continue
        ticks.append(Tick(round(x(t), 1), hhmm(t, tz)))
    if ticks:
        ticks[0] = Tick(ticks[0].x, ticks[0].label, "start")
        if len(ticks) > 1 and ticks[-1].x > WIDTH - 30:
            ticks[-1] = Tick(ticks[-1].x, ticks[-1].label, "end")
    now_x = round(x(now), 1) if s.start <= now <= s.end else None
    return TimelineLayout(WIDTH, height, LABEL_W, rows, boxes, ticks, now_x, hhmm(now, tz))
