"""`facilitator check` as a person reads it: header, timeline, groups, rotation grid, itineraries.

Everything the plan's author wrote (titles, names) goes in as `Text`, never as a markup string:
"[she/her]" must print as written and "[/i]" must not crash the report.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from facilitator.plan.times import format_duration
from facilitator.schedule.model import Schedule


def _local(dt: datetime, tz: str, fmt: str = "%H:%M") -> str:
    return dt.astimezone(ZoneInfo(tz)).strftime(fmt)


def render_check(schedule: Schedule, console: Console) -> None:
    s = schedule.session
    tz = s.timezone
    header = Text.assemble(
        (s.title, "bold"),
        "\n",
        f"{_local(s.start, tz, '%a %d %b %Y %H:%M %Z')} ({tz}), {format_duration(s.end - s.start)}, ",
        f"{len(schedule.students)} students, {len(schedule.facilitators)} facilitators, ",
        f"{len(schedule.groups)} groups",
    )
    console.print(Panel(header, title="session", expand=False))

    timeline = Table(title=f"Timeline ({tz})", show_edge=False)
    for col in ("from", "to", "what", ""):
        timeline.add_column(col)
    for item in schedule.timeline:
        indent = "  " if item.kind in {"talk", "slot", "transition"} else ""
        timeline.add_row(_local(item.start, tz), _local(item.end, tz), indent + item.kind, Text(item.title))
    console.print(timeline)

    if schedule.groups:
        groups = Table(title="Groups", show_edge=False)
        groups.add_column("group")
        groups.add_column("students", justify="right")
        for g in schedule.groups:
            groups.add_row(Text(g.name), str(len(g.students)))
        console.print(groups)
        console.print(_rotation_grid(schedule, console.width))
        console.print(_itineraries(schedule))

    counts = Counter(m.kind.value for m in schedule.messages)
    messages = Table(title=f"Planned messages ({len(schedule.messages)})", show_edge=False)
    messages.add_column("kind")
    messages.add_column("count", justify="right")
    for kind, n in sorted(counts.items()):
        messages.add_row(kind, str(n))
    console.print(messages)

    for w in schedule.warnings:
        console.print(Text("warning: ", style="yellow bold") + Text(w.message))
    console.print(Text("ok: ", style="green bold") + Text("the plan is valid"))


SLOT_WIDTH = len("10 14:00-14:25")
CELL_PADDING = 3  # rich's column padding and separator


def _rotation_grid(schedule: Schedule, width: int = 160) -> Group:
    """The grid, split into several tables of whole columns when it is wider than the terminal.

    Ids are never cut: a cell holds one facilitator id per line, and a table holds only as many
    group columns as fit in `width`; the rest continue in the next table, slots repeated.
    """
    rot = schedule.rotation
    tz = schedule.session.timezone
    verdict = f"{len(rot.slots)} slots, lower bound {rot.lower_bound}: " + (
        "optimal" if rot.optimal else "above the bound (availability windows bind)"
    )
    cells = {
        (slot.index, g.id): [v.facilitator for v in slot.visits if v.group == g.id]
        for slot in rot.slots
        for g in schedule.groups
    }

    def column_width(gid: str, name: str) -> int:
        ids = [len(f) for slot in rot.slots for f in cells[(slot.index, gid)]]
        return max([len(name), len("self-guided"), *ids]) + CELL_PADDING

    chunks: list[list[tuple[str, str]]] = [[]]
    used = SLOT_WIDTH + CELL_PADDING
    for g in schedule.groups:
        need = column_width(g.id, g.name)
        if chunks[-1] and used + need > width:
            chunks.append([])
            used = SLOT_WIDTH + CELL_PADDING
        chunks[-1].append((g.id, g.name))
        used += need
    tables: list[Table] = []
    for chunk in chunks:
        part = f" (groups {_first(schedule, chunk)}-{_last(schedule, chunk)} of {len(schedule.groups)})"
        title = f"Rotation ({tz}) — {verdict}" + (part if len(chunks) > 1 else "")
        grid = Table(title=Text(title), show_edge=False)
        grid.add_column("slot", no_wrap=True)
        for _gid, name in chunk:
            grid.add_column(Text(name), no_wrap=True)
        for slot in rot.slots:
            row: list[str | Text] = []
            for gid, _name in chunk:
                who = cells[(slot.index, gid)]
                row.append(Text("\n".join(who)) if who else Text("self-guided", style="dim"))
            grid.add_row(f"{slot.index + 1} {_local(slot.start, tz)}-{_local(slot.end, tz)}", *row)
        tables.append(grid)
    return Group(*tables)


def _first(schedule: Schedule, chunk: list[tuple[str, str]]) -> int:
    return [g.id for g in schedule.groups].index(chunk[0][0]) + 1


def _last(schedule: Schedule, chunk: list[tuple[str, str]]) -> int:
    return [g.id for g in schedule.groups].index(chunk[-1][0]) + 1


def _itineraries(schedule: Schedule) -> Table:
    table = Table(title="Itineraries (each in the facilitator's own time zone)", show_edge=False)
    table.add_column("facilitator")
    table.add_column("zone")
    table.add_column("visits")
    for fac in schedule.facilitators:
        visits = schedule.rotation.visits_of(fac.id)
        parts = [
            f"{_local(slot.start, fac.timezone)}-{_local(slot.end, fac.timezone)} "
            f"{schedule.group(v.group).name}"
            for slot, v in visits
        ]
        table.add_row(Text(f"{fac.name} ({fac.id})"), fac.timezone, Text("; ".join(parts) or "no visits"))
    return table
