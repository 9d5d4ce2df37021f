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

from facilitator.calendars import Attendee, cancellation, invitation_for
from facilitator.clock import Clock
from facilitator.delivery.render import RenderError
from facilitator.schedule.model import Schedule

INVITATION_KINDS = frozenset({"invitation", "facilitator_welcome"})
# Sent after a plan edit or a new meeting: the same invitation again, with the raised SEQUENCE, so
# calendar clients replace the entry (new times, new room, new join link).
UPDATE_KINDS = frozenset({"correction", "link_changed"})
PEOPLE = frozenset({"student", "facilitator"})


@dataclass(frozen=True)
class InvitationCalendars:
    """Builds the attachment for one session's invitation messages (None for other kinds)."""

    schedule: Schedule
    clock: Clock
    revision: int = 0  # SessionRecord.plan_revision when the session was loaded

    def for_message(
        self, kind: str, audience: str, recipient_id: str, ctx: Mapping[str, Any]
    ) -> bytes | None:
        if kind == "removed":
            return self._cancellation(audience, recipient_id, ctx)
        if kind not in INVITATION_KINDS and not (kind in UPDATE_KINDS and audience in PEOPLE):
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

    def _cancellation(self, audience: str, recipient_id: str, ctx: Mapping[str, Any]) -> bytes:
        """`METHOD:CANCEL` for someone the plan no longer has: the same UID their invitation had
        (a facilitator's id, or a digest of a student's address), a higher SEQUENCE."""
        email = str(ctx.get("recipient_email") or recipient_id)
        fid = recipient_id if audience == "facilitator" else None
        who = Attendee(email, "", self.schedule.session.timezone, facilitator_id=fid)
        return cancellation(self.schedule, who, sequence=self.revision, dtstamp=self.clock.now())
