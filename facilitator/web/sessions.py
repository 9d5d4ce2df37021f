"""Finding and adding sessions: the registry first, then the store (rebuilding the schedule from the plan).

Uploaded plans (and their rosters) are kept on disk beside the database, so a session added
from the browser can be rebuilt after a restart exactly as it was checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from facilitator.config import private_folder, write_private
from facilitator.plan.errors import PlanError
from facilitator.plan.loader import LoadedPlan, load_plan_text
from facilitator.schedule.build import build_schedule, load_and_build
from facilitator.schedule.model import Schedule
from facilitator.store.base import SessionRecord
from facilitator.web.context import SessionEntry, WebContext
from facilitator.zoom.live import LiveRoomState

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def survey_urls(loaded: LoadedPlan) -> dict[str, str]:
    m = loaded.plan.messages
    return {kind: s.url for kind, s in (("pre", m.pre_survey), ("post", m.post_survey)) if s is not None}


def entry_for_plan(loaded: LoadedPlan, schedule: Schedule) -> SessionEntry:
    """The default entry for a schedule: live room state from its roster, survey URLs from its plan."""
    return SessionEntry(schedule, live=LiveRoomState.from_schedule(schedule), survey_urls=survey_urls(loaded))


async def entry_or_404(ctx: WebContext, session_id: str) -> SessionEntry:
    """A running session, or one from the store rebuilt from its saved plan; else 404."""
    entry = ctx.sessions.get(session_id)
    if entry is not None:
        return entry
    record = await ctx.store.get_session(session_id)
    if record is None:
        raise web.HTTPNotFound(reason="There is no such session.")
    try:
        base = Path(record.plan_file).parent
        loaded = load_plan_text(record.plan_text, file=record.plan_file, base_dir=base)
        schedule = build_schedule(loaded)
    except PlanError:
        raise web.HTTPNotFound(reason="This session's plan can no longer be loaded.") from None
    entry = SessionEntry(schedule, live=None, survey_urls=survey_urls(loaded))
    ctx.sessions.add(entry)
    return entry


def safe_filename(name: str | None, default: str) -> str:
    base = Path(name or "").name
    cleaned = _SAFE_NAME.sub("-", base).strip(".-")
    return cleaned or default


@dataclass
class AddResult:
    entry: SessionEntry | None
    problems: list[str]
    # the plan is an edit of a session that exists: shown to the director to confirm first
    edit: tuple[LoadedPlan, Schedule] | None = None


async def add_session(
    ctx: WebContext, text: str, filename: str, roster: tuple[str, bytes] | None
) -> AddResult:
    """Check a plan, keep it (and its roster) on disk, store and register the session.

    Problems come back as the same `FILE:LINE:COL: field: message` lines as `facilitator check`.
    """
    # The roster travels with the upload: the server never opens a path that the plan names.
    rosters = {safe_filename(roster[0], "roster.csv"): roster[1]} if roster is not None else {}
    try:
        loaded, schedule = load_and_build(
            lambda: load_plan_text(text, file=filename, rosters=rosters), now=ctx.now()
        )
    except PlanError as exc:
        return AddResult(None, [str(p) for p in exc.problems])
    sid = schedule.session.id
    if await ctx.store.get_session(sid) is not None:
        return AddResult(None, [], edit=(loaded, schedule))  # an edit: reconciled after a confirm
    if sid in ctx.sessions:
        return AddResult(None, [f"{filename}:1:1: a session with id `{sid}` already exists"])
    moved = await _moved_start_of(ctx, loaded, schedule)
    if moved is not None:
        return AddResult(None, [moved])
    plan_path = keep_plan_files(ctx, loaded, schedule, roster)
    now = ctx.now()
    await ctx.store.upsert_session(
        SessionRecord(
            id=sid,
            title=schedule.session.title,
            plan_file=str(plan_path),
            plan_text=text,
            start=schedule.session.start,
            end=schedule.session.end,
            status="active",
            created_at=now,
        )
    )
    entry: SessionEntry | None = None
    if ctx.on_session_added is not None:
        entry = await ctx.on_session_added(loaded, schedule)
    entry = entry or entry_for_plan(loaded, schedule)
    ctx.sessions.add(entry)
    await ctx.store.audit(sid, "director", "session.added", f"plan {filename}", now)
    return AddResult(entry, [])


async def _moved_start_of(ctx: WebContext, loaded: LoadedPlan, schedule: Schedule) -> str | None:
    """A plan without `session.id` whose title matches a running session but whose start moved
    would become a second session that sends everything again (as `run` also refuses): the
    problem line naming the id that keeps it the same session, or None."""
    if loaded.plan.session.id is not None:
        return None  # the director chose this id: a new session is what they asked for
    now = ctx.now()
    for record in await ctx.store.list_sessions():
        same = record.title == schedule.session.title and record.id != schedule.session.id
        if same and record.status == "active" and record.end > now:
            return (
                f"{loaded.file}:1:1: session: `{record.title}` is already running as session {record.id}, "
                f"starting at another time; to move it, add `id: {record.id}` under `session:` (the edit is "
                "then shown and reconciled); to add a second session, give it another `id:`"
            )
    return None


def keep_plan_files(
    ctx: WebContext, loaded: LoadedPlan, schedule: Schedule, roster: tuple[str, bytes] | None = None
) -> Path:
    """Keep the plan (and the roster uploaded with it) beside the database, owner-only; the plan's
    path. The roster is written where the plan names it, inside this session's folder only, so a
    restart reloads both from there."""
    keep = private_folder(ctx.settings.db_path.resolve().parent / "plans" / schedule.session.id)
    plan_path = keep / safe_filename(loaded.file, "plan.yaml")
    write_private(plan_path, loaded.text.encode("utf-8"))
    roster_name = loaded.plan.students.roster
    if roster is not None and roster_name is not None:
        target = (keep / roster_name).resolve()
        if target.is_relative_to(keep.resolve()):
            private_folder(target.parent)
            write_private(target, roster[1])
    return plan_path


def decode_upload(data: Any) -> tuple[str, bytes] | None:
    """(filename, bytes) of a multipart file field, or None when nothing was chosen."""
    if isinstance(data, web.FileField) and data.filename:
        return data.filename, data.file.read()
    return None
