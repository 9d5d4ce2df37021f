"""The calendar invitation that rides along with each person's invitation email.

Students' `invitation` and physicians' `facilitator_welcome` messages carry the whole session as
an iCalendar `METHOD:REQUEST` (see facilitator/calendars.py): made when the message is rendered,
so its DTSTAMP is fresh, with the session's plan revision as SEQUENCE, so that a later update
replaces the entry in the person's calendar instead of adding a second one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from facilitator.calendars import invitation_for
from facilitator.clock import Clock
from facilitator.delivery.render import RenderError
from facilitator.schedule.model import Schedule

INVITATION_KINDS = frozenset({"invitation", "facilitator_welcome"})


@dataclass(frozen=True)
class InvitationCalendars:
    """Builds the attachment for one session's invitation messages (None for other kinds)."""

    schedule: Schedule
    clock: Clock
    revision: int = 0  # SessionRecord.plan_revision when the session was loaded

    def for_message(
        self, kind: str, audience: str, recipient_id: str, ctx: Mapping[str, Any]
    ) -> bytes | None:
        if kind not in INVITATION_KINDS:
            return None
        join = ctx.get("join_url")
        page = ctx.get("live_url")
        try:
            return invitation_for(
                self.schedule,
                audience,
                recipient_id,
                sequence=self.revision,
                dtstamp=self.clock.now(),
                join_url=join if isinstance(join, str) else None,
                page_url=page if isinstance(page, str) else None,
            )
        except KeyError as exc:
            raise RenderError(f"no calendar invitation for {recipient_id!r}: {exc}", template=kind) from None
