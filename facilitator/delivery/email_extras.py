"""What a rendered message carries besides its text: the course as sender, the director as Reply-To,
and for students the opt-out (footer line and `List-Unsubscribe`).

Email uses all of it; chat and webhook channels use only the text, which then still carries
the opt-out line, so every student message offers it whatever the channel.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from facilitator.delivery.channels.base import Rendered
from facilitator.schedule.model import SessionSummary

OPT_OUT_LINE = "Taking part is voluntary. No more reminders or follow-ups: {url}"


def with_session_extras(
    rendered: Rendered, ctx: Mapping[str, Any], session: SessionSummary, audience: str
) -> Rendered:
    opt_out = ctx.get("opt_out_url") if audience == "student" else None
    text = rendered.text
    if opt_out:
        text = f"{text.rstrip()}\n\n--\n{OPT_OUT_LINE.format(url=opt_out)}\n"
    return replace(
        rendered,
        text=text,
        sender_name=session.sender_name or None,
        reply_to=session.reply_to or None,
        unsubscribe_url=str(opt_out) if opt_out else None,
    )
