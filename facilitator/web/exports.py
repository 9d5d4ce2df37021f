"""Director downloads: contributions CSV, each facilitator's calendar, Zoom's pre-assignment CSV.

The contributions CSV has no identity column because the store has none. Cells that a
spreadsheet would run as a formula (starting with = + - @, tab or carriage return) are prefixed
with an apostrophe: a student's post must never execute on the director's machine.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from aiohttp import web

from facilitator.exports import facilitator_calendar, zoom_preassign_csv
from facilitator.web.common import ctx_of, iso
from facilitator.web.facilitator_page import join_url_of, plan_revision
from facilitator.web.login import require_director
from facilitator.web.sessions import entry_or_404

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_text(header: Iterable[str], rows: Iterable[Iterable[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(list(header))
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return out.getvalue()


def _download(body: str | bytes, filename: str, content_type: str) -> web.Response:
    data = body.encode("utf-8") if isinstance(body, str) else body
    return web.Response(
        body=data,
        content_type=content_type,
        charset="utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


async def contributions_csv(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    require_director(request)
    entry = await entry_or_404(ctx, request.match_info["sid"])
    names = {g.id: g.name for g in entry.schedule.groups}
    items = await ctx.store.list_contributions(entry.id, include_hidden=True)
    rows = [
        (names.get(c.group_id, c.group_id), iso(c.created_at), c.body, c.votes, "yes" if c.hidden else "no")
        for c in sorted(items, key=lambda c: (c.group_id, c.id))
    ]
    text = csv_text(("room", "time", "text", "votes", "hidden"), rows)
    return _download("\ufeff" + text, f"{entry.id}-contributions.csv", "text/csv")


async def zoom_csv(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    require_director(request)
    entry = await entry_or_404(ctx, request.match_info["sid"])
    reader = csv.reader(io.StringIO(zoom_preassign_csv(entry.schedule)))
    header, *rows = list(reader)
    return _download(csv_text(header, rows), f"{entry.id}-zoom-breakout-rooms.csv", "text/csv")


async def calendar_ics(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    require_director(request)
    entry = await entry_or_404(ctx, request.match_info["sid"])
    fid = request.match_info["fid"]
    if fid not in {f.id for f in entry.schedule.facilitators}:
        raise web.HTTPNotFound(reason="This session has no such facilitator.")
    body = facilitator_calendar(
        entry.schedule,
        fid,
        sequence=await plan_revision(ctx, entry.id),
        dtstamp=ctx.now(),
        join_url=await join_url_of(ctx, entry, entry.schedule.facilitator(fid)),
    )
    return _download(body, f"{fid}.ics", "text/calendar")


def routes() -> list[web.RouteDef]:
    return [
        web.get("/sessions/{sid}/export/contributions.csv", contributions_csv, name="export_contributions"),
        web.get("/sessions/{sid}/export/zoom-breakout-rooms.csv", zoom_csv, name="export_zoom"),
        web.get("/sessions/{sid}/export/calendar/{fid}.ics", calendar_ics, name="export_calendar"),
    ]
