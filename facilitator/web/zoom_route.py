"""Zoom webhooks in the web app: live room state for each session, and (optionally) chat to the board.

When a plan sets `board.zoom_chat_prefix`, a chat message sent privately to the host that starts
with the prefix becomes an anonymous contribution in the sender's room. The sender's address is
used only here, in memory, to find their room (where they are, else their pre-assigned group);
`anonymous_board_post` strips everything but the text, and only that text is stored.
"""

from __future__ import annotations

import logging

from aiohttp import web

from facilitator.web import contributions
from facilitator.web.clients import pseudonym
from facilitator.web.common import POST_LIMITER
from facilitator.web.context import SessionEntry, WebContext
from facilitator.web.hub import session_topic
from facilitator.web.position import publish_positions
from facilitator.web.ratelimit import SlidingWindowLimiter
from facilitator.zoom.events import ChatMessageSent, ZoomEvent
from facilitator.zoom.live import anonymous_board_post
from facilitator.zoom.webhooks import WebhookVerifier, add_webhook_route

log = logging.getLogger(__name__)


def _within_limits(
    limiter: SlidingWindowLimiter, entry: SessionEntry, group: str, event: ChatMessageSent
) -> bool:
    """The board's limits apply to chat too: per sender, and per room as for the room's link.

    The sender is keyed by a keyed hash held in memory only; their address is never stored.
    """
    limit = entry.schedule.session.board_posts_per_minute
    sender = pseudonym("chat-sender", (event.sender_email or event.sender_name or "").strip().lower())
    if limiter.try_acquire(f"chat/{entry.id}/{sender}", limit):
        return False
    return not limiter.try_acquire(f"{entry.id}/{group}", limit)


def _sender_group(entry: SessionEntry, event: ChatMessageSent) -> str | None:
    email = (event.sender_email or "").strip().lower()
    if not email:
        return None
    groups = {g.id for g in entry.schedule.groups}
    if entry.live is not None:
        where = entry.live.room_of(email)
        if where in groups:
            return where
    return next((s.group for s in entry.schedule.students if s.email == email), None)


async def dispatch(ctx: WebContext, event: ZoomEvent, limiter: SlidingWindowLimiter | None = None) -> None:
    """Hand one verified event to every session it belongs to."""
    for entry in ctx.sessions:
        if entry.meeting_id is not None and entry.meeting_id != event.meeting_id:
            continue
        if entry.live is not None:
            await entry.live.on_event(event)
            ctx.hub.publish((session_topic(entry.id),), "live", {})
            publish_positions(ctx.hub, entry, ctx.now())
        prefix = entry.schedule.session.board_chat_prefix
        if isinstance(event, ChatMessageSent) and prefix:
            group = _sender_group(entry, event)
            body = anonymous_board_post(event, prefix, entry.schedule.session.host_email)
            if group is None or body is None:
                continue
            if limiter is not None and not _within_limits(limiter, entry, group, event):
                log.info("a chat message for the board was over the posting limit and was dropped")
                continue
            try:
                await contributions.post(ctx, entry, group, body)
            except contributions.PostError:
                log.info("a chat message for the board was empty or too long and was dropped")
    if ctx.on_zoom_event is not None:
        await ctx.on_zoom_event(event)


def mount(app: web.Application, ctx: WebContext) -> bool:
    """Serve POST /zoom/webhook when a webhook secret is configured; False when it is not."""
    secret = ctx.settings.zoom_webhook_secret
    if secret is None or not secret.get_secret_value():
        log.info("ZOOM_WEBHOOK_SECRET_TOKEN is not set: /zoom/webhook is not served")
        return False
    verifier = WebhookVerifier(secret.get_secret_value(), ctx.clock)

    async def on_event(event: ZoomEvent) -> None:
        await dispatch(ctx, event, app[POST_LIMITER])

    add_webhook_route(app, verifier, on_event, remember=ctx.store.remember_webhook_signature)
    return True
