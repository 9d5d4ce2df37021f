"""Uploading an edited plan of a session that exists: its changes are shown, then applied on confirm.

The same reconciliation as `facilitator run` (`delivery/reconcile.py`): pending messages that
changed are replaced, those the plan no longer has are cancelled, people already told something
now wrong get a correction, and the session's plan revision goes up. The first POST only shows
the summary, with the plan carried in the confirm form; nothing changes until the director
confirms (a second POST naming the session), and a confirm for a plan whose changes differ from
what was shown (someone else applied an edit meanwhile) just shows the new summary again.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any

from facilitator.delivery.reconcile import PlanChanges, apply_changes, plan_changes
from facilitator.plan.loader import LoadedPlan
from facilitator.schedule.model import Schedule
from facilitator.store.base import SessionRecord
from facilitator.web.context import SessionEntry, WebContext
from facilitator.web.sessions import entry_for_plan, keep_plan_files


@dataclass(frozen=True)
class Proposal:
    loaded: LoadedPlan
    schedule: Schedule
    changes: PlanChanges
    record: SessionRecord
    # The roster uploaded with the edit, carried through the confirm form (the server never reads
    # a roster from a path the plan names) and kept with the plan when applied.
    roster: tuple[str, bytes] | None = None

    @property
    def token(self) -> str:
        """What the confirm form must send back: this exact plan and roster, against this revision."""
        roster = hashlib.sha256(self.roster[1]).hexdigest() if self.roster else ""
        seed = f"{self.record.id}|{self.record.plan_revision}|{self.loaded.text}|{roster}"
        return hashlib.sha256(seed.encode()).hexdigest()[:32]

    def page(self) -> dict[str, Any]:
        return {
            "sid": self.record.id,
            "title": self.schedule.session.title,
            "summary": self.changes.summary(),
            "empty": self.changes.empty,
            "plan_text": self.loaded.text,
            "plan_name": self.loaded.file,
            "token": self.token,
            "revision": self.changes.revision,
            "roster_name": self.roster[0] if self.roster else "",
            "roster_data": base64.b64encode(self.roster[1]).decode("ascii") if self.roster else "",
        }


async def propose(
    ctx: WebContext, loaded: LoadedPlan, schedule: Schedule, roster: tuple[str, bytes] | None = None
) -> Proposal:
    sid = schedule.session.id
    record = await ctx.store.get_session(sid)
    assert record is not None  # only called for a session that exists
    rows = await ctx.store.list_messages(sid)
    changes = plan_changes(schedule, rows, record.start, ctx.now(), record.plan_revision + 1)
    return Proposal(loaded, schedule, changes, record, roster)


async def apply_proposal(ctx: WebContext, proposal: Proposal) -> SessionEntry:
    """Apply the changes, keep the new plan as the session's, and re-register it."""
    now, record, loaded, schedule = ctx.now(), proposal.record, proposal.loaded, proposal.schedule
    revision = await apply_changes(ctx.store, proposal.changes, now)
    plan_path = keep_plan_files(ctx, loaded, schedule, proposal.roster)
    await ctx.store.upsert_session(
        SessionRecord(
            id=record.id,
            title=schedule.session.title,
            plan_file=str(plan_path),
            plan_text=loaded.text,
            start=schedule.session.start,
            end=schedule.session.end,
            status=record.status,
            created_at=record.created_at,
            plan_revision=revision,
        )
    )
    entry: SessionEntry | None = None
    if ctx.on_session_added is not None:  # the engine re-adds it: new links, new handle, new rows
        entry = await ctx.on_session_added(loaded, schedule)
    entry = entry or entry_for_plan(loaded, schedule)
    ctx.sessions.add(entry)
    return entry
