"""The course director's pages: sessions, adding a plan, and one session at a glance.

Handlers stay thin: they check who is asking (and the CSRF token on every POST), gather facts
from the store, the schedule and the live room state, and hand them to a template.
"""

from __future__ import annotations

import base64
import hmac
from collections import Counter
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from facilitator.plan.files import FileProblem
from facilitator.plan.loader import LoadedPlan, plan_text_of
from facilitator.schedule.model import Schedule
from facilitator.surveys.rates import format_rates
from facilitator.web import contributions
from facilitator.web.auth import check_csrf
from facilitator.web.common import ctx_of, row_id
from facilitator.web.context import clock_rate
from facilitator.web.hub import session_topic
from facilitator.web.links import session_links
from facilitator.web.live import live_summary
from facilitator.web.login import require_director, require_form
from facilitator.web.message_log import LogFilter, message_log
from facilitator.web.plan_update import apply_proposal, propose
from facilitator.web.session_facts import director_zone, human_when, meeting_facts, sent_escalations
from facilitator.web.sessions import add_session, decode_upload, entry_or_404, safe_filename
from facilitator.web.sse import stream
from facilitator.web.timeline_svg import layout


async def home(request: web.Request) -> web.Response:
    require_director(request)
    raise web.HTTPSeeOther("/sessions")


async def _sessions_page(
    request: web.Request, *, problems: list[str] | None = None, draft: str = "", status: int = 200
) -> web.Response:
    ctx = ctx_of(request)
    director = require_director(request)
    records = {r.id: r for r in await ctx.store.list_sessions()}
    rows = []
    for sid, r in sorted(records.items(), key=lambda kv: kv[1].start, reverse=True):
        rows.append(
            {
                "id": sid,
                "title": r.title,
                "status": r.status,
                "running": sid in ctx.sessions,
                "start": human_when(r.start, director_zone(ctx.sessions.get(sid), r.plan_text)),
            }
        )
    for entry in ctx.sessions:
        if entry.id not in records:
            s = entry.schedule.session
            rows.append(
                {
                    "id": s.id,
                    "title": s.title,
                    "status": "active",
                    "running": True,
                    "start": human_when(s.start, director_zone(entry)),
                }
            )
    return aiohttp_jinja2.render_template(
        "sessions.html",
        request,
        {
            "rows": rows,
            "csrf": director.csrf,
            "problems": problems or [],
            "draft": draft,
            "zoom_configured": bool(ctx.settings.zoom_account_id),
        },
        status=status,
    )


async def sessions_list(request: web.Request) -> web.Response:
    return await _sessions_page(request)


async def sessions_add(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    director = require_director(request)
    data = await request.post()
    csrf = data.get("csrf")
    check_csrf(director, csrf if isinstance(csrf, str) else None)
    upload = decode_upload(data.get("plan_file"))
    roster = decode_upload(data.get("roster_file"))
    pasted = data.get("plan_text")
    confirm = data.get("confirm")
    if isinstance(confirm, str) and isinstance(pasted, str):  # the edit's confirm form
        name = data.get("plan_name")
        text, filename = (
            pasted.replace("\r\n", "\n"),
            safe_filename(name if isinstance(name, str) else "", "plan.yaml"),
        )
        roster = roster or carried_roster(data.get("roster_name"), data.get("roster_data"))
    elif upload is not None:
        try:
            text, filename = plan_text_of(upload[1]), upload[0]
        except FileProblem as exc:
            return await _sessions_page(request, problems=[f"{upload[0]}:1:1: the plan {exc}"], status=400)
    elif isinstance(pasted, str) and pasted.strip():
        text, filename = pasted.replace("\r\n", "\n"), "pasted-plan.yaml"
    else:
        return await _sessions_page(
            request, problems=["Choose a plan file or paste a plan first."], status=400
        )
    result = await add_session(ctx, text, filename, roster)
    if result.edit is not None:
        return await _edit(
            request, director.csrf, *result.edit, confirm if isinstance(confirm, str) else None, roster
        )
    if result.entry is None:
        return await _sessions_page(
            request, problems=result.problems, draft=text if upload is None else "", status=400
        )
    raise web.HTTPSeeOther(f"/sessions/{result.entry.id}")


def carried_roster(name: object, data: object) -> tuple[str, bytes] | None:
    """The roster the confirm form carries back (base64), or None when there is none or it is bad."""
    if not isinstance(name, str) or not isinstance(data, str) or not name:
        return None
    try:
        return name, base64.b64decode(data, validate=True)
    except ValueError:
        return None


async def _edit(
    request: web.Request,
    csrf: str,
    loaded: LoadedPlan,
    schedule: Schedule,
    confirm: str | None,
    roster: tuple[str, bytes] | None,
) -> web.Response:
    """An edit of a session that exists: show what changes; apply only on a matching confirm."""
    ctx = ctx_of(request)
    proposal = await propose(ctx, loaded, schedule, roster)
    changes = proposal.changes
    same_text = loaded.text == proposal.record.plan_text  # (adds alone: rows a restart queues anyway)
    if changes.empty or (same_text and not (changes.cancel or changes.replace or changes.corrections)):
        sid = schedule.session.id
        problem = (
            f"{loaded.file}:1:1: a session with id `{sid}` already exists and this plan changes nothing in it"
        )
        return await _sessions_page(request, problems=[problem], status=400)
    if confirm is not None and hmac.compare_digest(confirm, proposal.token):
        entry = await apply_proposal(ctx, proposal)
        raise web.HTTPSeeOther(f"/sessions/{entry.id}")
    return aiohttp_jinja2.render_template("plan_changes.html", request, {"csrf": csrf, **proposal.page()})


async def session_page(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    director = require_director(request)
    entry = await entry_or_404(ctx, request.match_info["sid"])
    schedule = entry.schedule
    now = ctx.now()
    zone = director_zone(entry)
    log = message_log(
        schedule, await ctx.store.list_messages(entry.id), LogFilter.from_query(request.query), zone
    )
    counts: Counter[str] = Counter()
    for (_kind, status), n in (await ctx.store.message_counts(entry.id)).items():
        counts[status] += n
    survey = await ctx.store.survey_counts(entry.id)
    tz = schedule.session.timezone
    items = await ctx.store.list_contributions(entry.id, include_hidden=True)
    by_room: dict[str, list[dict[str, Any]]] = {g.id: [] for g in schedule.groups}
    for c in sorted(items, key=lambda c: c.id):
        by_room.setdefault(c.group_id, []).append(contributions.as_json(c, tz))
    visitors: dict[str, list[str]] = {g.id: [] for g in schedule.groups}
    for slot in schedule.rotation.slots:
        for v in slot.visits:
            visitors.setdefault(v.group, []).append(
                f"slot {slot.index + 1}: {schedule.facilitator(v.facilitator).name}"
            )
    return aiohttp_jinja2.render_template(
        "session.html",
        request,
        {
            "session": schedule.session,
            "schedule": schedule,
            "csrf": director.csrf,
            "when": human_when(schedule.session.start, zone),
            "timeline": layout(schedule, now),
            "visitors": visitors,
            "live": live_summary(entry, now, await sent_escalations(ctx, entry)),
            "meeting": await meeting_facts(ctx, entry),
            "zoom_configured": bool(ctx.settings.zoom_account_id),
            "log": log,
            "counts": dict(sorted(counts.items())),
            "rates": format_rates(
                survey.pre, survey.post, survey.both, survey.total, survey.late_pre, survey.late_post
            ),
            "rooms": by_room,
            "links": session_links(ctx, entry.id),
            "server_now": now.timestamp(),
            "rate": clock_rate(ctx.clock),
            "warnings": [w.message for w in schedule.warnings],
        },
    )


async def message_action(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    await require_form(request)
    entry = await entry_or_404(ctx, request.match_info["sid"])
    mid = row_id(request, "mid")
    message = await ctx.store.get_message(mid)
    if message is None or message.session_id != entry.id:
        raise web.HTTPNotFound(reason="There is no such message in this session.")
    action = request.match_info["action"]
    if action == "retry":
        done = await ctx.store.retry_message(mid, ctx.now())
    else:
        done = await ctx.store.cancel_message(mid)
    if done:
        await ctx.store.audit(entry.id, "director", f"message.{action}", message.key, ctx.now())
        if entry.on_outbox_change is not None:
            entry.on_outbox_change()
    raise web.HTTPSeeOther(f"/sessions/{entry.id}#messages")


async def moderation_action(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    await require_form(request)
    entry = await entry_or_404(ctx, request.match_info["sid"])
    cid = row_id(request, "cid")
    hidden = request.match_info["action"] == "hide"
    if not await contributions.moderate(ctx, entry, cid, hidden):
        raise web.HTTPNotFound(reason="There is no such contribution in this session.")
    await ctx.store.audit(
        entry.id, "director", "contribution.hide" if hidden else "contribution.show", str(cid), ctx.now()
    )
    raise web.HTTPSeeOther(f"/sessions/{entry.id}#contributions")


async def session_events(request: web.Request) -> web.StreamResponse:
    """Live occupancy changes and new contributions for the director's open session page."""
    require_director(request)
    entry = await entry_or_404(ctx_of(request), request.match_info["sid"])
    return await stream(request, [session_topic(entry.id)])


def routes() -> list[web.RouteDef]:
    return [
        web.get("/", home, name="home"),
        web.get("/sessions", sessions_list, name="sessions"),
        web.post("/sessions", sessions_add, name="sessions_add"),
        web.get("/sessions/{sid}", session_page, name="session"),
        web.get("/sessions/{sid}/events", session_events, name="session_events"),
        web.post(
            r"/sessions/{sid}/messages/{mid}/{action:retry|cancel}", message_action, name="message_action"
        ),
        web.post(
            r"/sessions/{sid}/contributions/{cid}/{action:hide|show}",
            moderation_action,
            name="moderation_action",
        ),
    ]
