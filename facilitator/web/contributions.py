"""Posting, voting and moderating anonymous contributions, shared by the board, the director and Zoom chat.

One path for every way a contribution arrives keeps the privacy rule in one place: only
session, room, text, time and moderation state reach the store (DESIGN invariant 4), and every
change is pushed to the room's live viewers through the hub.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from facilitator.store.base import Contribution
from facilitator.web.common import hhmm, iso
from facilitator.web.context import SessionEntry, WebContext
from facilitator.web.hub import session_topic

MAX_CHARS = 1000


class PostError(ValueError):
    """A contribution that cannot be accepted, with a sentence for the student."""


def clean_body(raw: object) -> str:
    """The text to store, or PostError: 1-1000 characters after trimming, no control characters."""
    if not isinstance(raw, str):
        raise PostError("Write something before posting.")
    text = "".join(ch for ch in raw.replace("\r\n", "\n") if ch in "\n\t" or ch.isprintable()).strip()
    if not text:
        raise PostError("Write something before posting.")
    if len(text) > MAX_CHARS:
        raise PostError(f"Posts can be at most {MAX_CHARS} characters; this one has {len(text)}.")
    return text


def as_json(c: Contribution, tz: str) -> dict[str, Any]:
    return {
        "id": c.id,
        "group": c.group_id,
        "body": c.body,
        "time": iso(c.created_at),
        "time_label": hhmm(c.created_at, tz),
        "votes": c.votes,
        "hidden": c.hidden,
        "answered": c.answered,
    }


async def post(ctx: WebContext, entry: SessionEntry, group_id: str, raw: object) -> Contribution:
    """Store and broadcast a contribution; held back (hidden) when the plan asks for moderation."""
    body = clean_body(raw)
    session = entry.schedule.session
    held = session.board_moderation
    c = await ctx.store.add_contribution(session.id, group_id, body, ctx.now(), hidden=held)
    data = as_json(c, session.timezone)
    if held:
        ctx.hub.publish((session_topic(session.id),), "pending", data)  # the director only
    else:
        ctx.hub.publish_room(session.id, group_id, "contribution", data)
    return c


def voter_hash(secret: bytes, voter: str, contribution_id: int) -> str:
    """Per-contribution hash of the browser's random token: deduplicates votes, links nothing.

    Keyed with a server secret and the contribution id, so the stored hashes of one browser's
    votes on different posts cannot be matched to each other or to the token.
    """
    return hmac.new(secret, f"{contribution_id}:{voter}".encode(), hashlib.sha256).hexdigest()


async def find(
    ctx: WebContext, session_id: str, group_id: str | None, cid: int, include_hidden: bool
) -> Contribution | None:
    for c in await ctx.store.list_contributions(session_id, group_id, include_hidden=include_hidden):
        if c.id == cid:
            return c
    return None


async def vote(
    ctx: WebContext, entry: SessionEntry, group_id: str, cid: int, voter: str, secret: bytes
) -> Contribution | None:
    """Count one vote per browser; None when the contribution is not visible in this room."""
    sid = entry.id
    if await find(ctx, sid, group_id, cid, include_hidden=False) is None:
        return None
    if await ctx.store.add_vote(cid, voter_hash(secret, voter, cid)):
        updated = await find(ctx, sid, group_id, cid, include_hidden=False)
        if updated is not None:
            ctx.hub.publish_room(sid, group_id, "vote", {"id": cid, "votes": updated.votes})
            return updated
    return await find(ctx, sid, group_id, cid, include_hidden=False)


async def moderate(ctx: WebContext, entry: SessionEntry, cid: int, hidden: bool) -> bool:
    """Hide or show a contribution and tell every viewer of its room."""
    sid = entry.id
    c = await find(ctx, sid, None, cid, include_hidden=True)
    if c is None or not await ctx.store.set_contribution_hidden(sid, cid, hidden):
        return False
    if hidden:
        ctx.hub.publish_room(sid, c.group_id, "hide", {"id": cid, "group": c.group_id})
    else:
        shown = as_json(c, entry.schedule.session.timezone) | {"hidden": False}
        ctx.hub.publish_room(sid, c.group_id, "contribution", shown)
    return True


async def mark_answered(
    ctx: WebContext, entry: SessionEntry, group_ids: list[str], cid: int, answered: bool
) -> Contribution | None:
    """A facilitator marks a post of one of their rooms answered (or not); the room's board
    shows it live. None when the post is not a visible post of those rooms."""
    sid = entry.id
    c = await find(ctx, sid, None, cid, include_hidden=False)
    if c is None or c.group_id not in group_ids:
        return None
    await ctx.store.set_contribution_answered(sid, cid, answered)
    ctx.hub.publish_room(sid, c.group_id, "answered", {"id": cid, "group": c.group_id, "answered": answered})
    return await find(ctx, sid, c.group_id, cid, include_hidden=False)
