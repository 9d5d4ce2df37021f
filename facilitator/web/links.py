"""The links `facilitator serve`/`run` print (and write with `--links-json`).

Board links are one per room and carry no student identity; facilitator links are personal.
Both expire 30 days after the session. The director link is this process's one-time sign-in
link, landing on the session's page.
"""

from __future__ import annotations

from typing import Any

from facilitator.links import link_expiry
from facilitator.web.context import WebContext
from facilitator.web.login import login_url


def session_links(ctx: WebContext, session_id: str) -> dict[str, Any]:
    """`{"director": url, "facilitators": {id: url}, "boards": {group_id: url}}` for a running session."""
    entry = ctx.sessions.get(session_id)
    if entry is None:
        raise KeyError(f"no running session {session_id!r}")
    schedule = entry.schedule
    expires = link_expiry(schedule.session.end)
    return {
        "director": login_url(ctx, f"/sessions/{session_id}"),
        "facilitators": {
            f.id: ctx.signer.facilitator_url(session_id, f.id, expires) for f in schedule.facilitators
        },
        "boards": {g.id: ctx.signer.board_url(session_id, g.id, expires) for g in schedule.groups},
    }
