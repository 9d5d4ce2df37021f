"""`run` with an edited plan: show the director what changes, apply only when confirmed.

Called before the session's row is written. When the database already holds the session
under another plan text, the old schedule is rebuilt from the stored text and compared with
the new one (`delivery/reconcile.py`); the summary is printed and the changes are applied only
with `--apply-changes` or an interactive yes. Without either, nothing is changed and the run
stops (exit 2), so an outdated message is never sent by accident. A plan without `session.id`
whose start moved would become a second session: that is refused with the id to add instead.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.prompt import Confirm

from facilitator.delivery.reconcile import apply_changes, plan_changes
from facilitator.plan.loader import LoadedPlan
from facilitator.schedule.model import Schedule
from facilitator.store.base import Store

REFUSED = 2


async def reconcile_plan(
    store: Store, loaded: LoadedPlan, schedule: Schedule, *, apply: bool, now: datetime, console: Console
) -> int | None:
    """None: go on with the run; an exit code: stop here (the reason is printed)."""
    sid = schedule.session.id
    existing = await store.get_session(sid)
    if existing is None:
        return await _moved_start(store, loaded, schedule, now, console)
    # Compared even when the plan text is unchanged: a roster file may have changed under it.
    rows = await store.list_messages(sid)
    changes = plan_changes(schedule, rows, existing.start, now, existing.plan_revision + 1)
    if changes.empty:
        return None
    title = f"The plan of {schedule.session.title} ({sid}) changed since it was started:"
    console.print(title, style="bold", markup=False, soft_wrap=True)
    for line in changes.summary():
        console.print(f"  - {line}", markup=False, highlight=False, soft_wrap=True)
    if not apply and not (sys.stdin.isatty() and Confirm.ask("Apply these changes?", console=console)):
        console.print("nothing was changed; run the same command with --apply-changes to apply them")
        return REFUSED
    revision = await apply_changes(store, changes, now)
    console.print(f"applied as plan revision {revision}")
    return None


async def _moved_start(
    store: Store, loaded: LoadedPlan, schedule: Schedule, now: datetime, console: Console
) -> int | None:
    """A plan without `session.id` whose start moved gets a new id, i.e. a second session that
    would send everything again: refuse, and say which id keeps it the same session."""
    if loaded.plan.session.id is not None:
        return None  # the director chose this id: a new session is what they asked for
    here = Path(loaded.file).resolve()
    for record in await store.list_sessions():
        same_file = Path(record.plan_file).resolve() == here
        if same_file and record.status == "active" and record.end > now and record.id != schedule.session.id:
            console.print(
                f"{loaded.file} is already running as session {record.id}; its start moved, which "
                f"would make a second session and send everything again. Add `id: {record.id}` under "
                "`session:` in the plan to keep it the same session (the edit is then reconciled), or "
                "give it a new id if it really is another session.",
                style="red",
                markup=False,
                soft_wrap=True,
            )
            return REFUSED
    return None
