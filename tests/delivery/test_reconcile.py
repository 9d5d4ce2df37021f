"""Editing a plan after its session started: changes shown first, applied only when confirmed.

A real SQLite file: the seed session is queued, its invitations and welcomes are sent (claimed
and confirmed through the store, as the runner does), then the plan is edited.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console

from facilitator.cli.plan_edit import reconcile_plan
from facilitator.delivery.context import MessageContextBuilder, MessageRenderer
from facilitator.delivery.outbox import start_session
from facilitator.delivery.render import Renderer
from facilitator.links import LinkSigner
from facilitator.plan.loader import LoadedPlan, load_plan
from facilitator.schedule.build import build_schedule
from facilitator.schedule.model import Schedule
from facilitator.store.base import MessageStatus
from facilitator.store.sqlite import SqliteStore

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "session_plans" / "shared-living-experiences.yaml"
ROSTER = SEED.parent / "shared-living-experiences-roster.csv"
NOW = datetime(2027, 1, 13, 20, 0, tzinfo=UTC)  # the eve of the session: invitations are out
LEAVING = "eamon.thorsby@students.example.edu"


def plan_in(folder: Path, *, drop: str | None = None, session_id: str | None = None,
            start: str | None = None) -> LoadedPlan:  # fmt: skip
    folder.mkdir(exist_ok=True)
    roster = [line for line in ROSTER.read_text().splitlines() if drop is None or not line.startswith(drop)]
    (folder / ROSTER.name).write_text("\n".join(roster) + "\n")
    text = SEED.read_text()
    if session_id:
        text = text.replace("session:\n", f"session:\n  id: {session_id}\n", 1)
    if start:
        text = text.replace("start: 2027-01-14 13:00", f"start: {start}")
    (folder / "plan.yaml").write_text(text)
    return load_plan(folder / "plan.yaml")


async def started(tmp_path: Path, loaded: LoadedPlan) -> tuple[SqliteStore, Schedule]:
    """The session queued, and everything due by NOW sent."""
    schedule = build_schedule(loaded)
    store = await SqliteStore.open(tmp_path / "x.db")
    await start_session(store, schedule, loaded.text, loaded.file, now=NOW)
    for row in await store.claim_due(NOW, None, 10_000):
        await store.mark_sent(row.id, NOW, f"smtp:{row.id}")
    return store, schedule


def console() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, width=200, highlight=False), out


async def test_a_removed_student_is_shown_first_then_cancelled_and_the_regrouped_are_corrected(
    tmp_path: Path,
) -> None:
    store, old = await started(tmp_path, plan_in(tmp_path / "v1"))
    sent_before = len(await store.list_messages(old.session.id, statuses=["sent"]))
    edited = plan_in(tmp_path / "v1", drop=LEAVING)  # the same file, one student fewer
    new = build_schedule(edited)
    assert new.session.id == old.session.id

    shown, out = console()
    refused = await reconcile_plan(store, edited, new, apply=False, now=NOW, console=shown)
    assert refused == 2
    said = out.getvalue()
    assert f"people removed: {LEAVING}" in said and "student(s) change group" in said
    assert "nothing was changed; run the same command with --apply-changes" in said
    before = await store.get_session(old.session.id)
    assert before is not None and before.plan_revision == 0
    assert not await store.list_messages(old.session.id, statuses=["cancelled"])

    shown, out = console()
    assert await reconcile_plan(store, edited, new, apply=True, now=NOW, console=shown) is None
    assert "applied as plan revision 1" in out.getvalue()
    record = await store.get_session(old.session.id)
    assert record is not None and record.plan_revision == 1
    rows = await store.list_messages(old.session.id)
    leaving = [r for r in rows if r.recipient == LEAVING and r.kind != "removed"]
    assert {r.status for r in leaving if r.status is not MessageStatus.SENT} == {MessageStatus.CANCELLED}
    # ...and, already invited, they are told they are no longer expected (with the calendar's CANCEL).
    assert [r.status for r in rows if r.recipient == LEAVING and r.kind == "removed"] == [
        MessageStatus.PENDING
    ]
    assert not any(r.status is MessageStatus.FAILED for r in rows)
    assert len([r for r in rows if r.status is MessageStatus.SENT]) == sent_before  # sent stays sent

    groups_before = {s.email: s.group for s in old.students}
    regrouped = {s.email for s in new.students if groups_before[s.email] != s.group}
    corrections = [r for r in rows if r.kind == "correction"]
    assert regrouped and {r.recipient for r in corrections} >= regrouped
    assert LEAVING not in {r.recipient for r in corrections}
    # Every pending message now matches the new plan (replaced where it changed):
    planned = {m.key: m for m in new.messages}
    for row in rows:
        if row.status is MessageStatus.PENDING and row.kind not in ("correction", "removed"):
            assert planned[row.key].context == row.context and planned[row.key].due == row.due
    # The correction reads as a person needs it.
    one = next(r for r in corrections if r.recipient in regrouped)
    builder = MessageContextBuilder(new, LinkSigner("k" * 48, "http://127.0.0.1:1"), "s" * 48)
    rendered = MessageRenderer(Renderer(), builder).render(one)
    group = next(g.name for g in new.groups if one.recipient in g.students)
    assert f"your group changed: you are now in {group}" in rendered.text and group in rendered.html
    # Running the same plan again changes nothing more.
    shown, out = console()
    assert await reconcile_plan(store, edited, new, apply=False, now=NOW, console=shown) is None
    await store.close()


async def test_a_moved_start_is_refused_without_an_id_and_reconciled_with_one(tmp_path: Path) -> None:
    store, old = await started(tmp_path, plan_in(tmp_path / "v1"))
    moved = plan_in(tmp_path / "v1", start="2027-01-14 15:00")
    shown, out = console()
    assert await reconcile_plan(store, moved, build_schedule(moved), apply=True, now=NOW, console=shown) == 2
    assert f"Add `id: {old.session.id}` under `session:`" in out.getvalue()

    kept = plan_in(tmp_path / "v1", start="2027-01-14 15:00", session_id=old.session.id)
    new = build_schedule(kept)
    shown, out = console()
    assert await reconcile_plan(store, kept, new, apply=True, now=NOW, console=shown) is None
    assert "start moved:" in out.getvalue()
    rows = await store.list_messages(old.session.id)
    pending = [r for r in rows if r.status is MessageStatus.PENDING and r.kind != "correction"]
    assert pending and all(r.due == m.due for r in pending for m in new.messages if m.key == r.key)
    retired = [r for r in rows if "~r1" in r.key]
    assert retired and all(r.status is MessageStatus.CANCELLED for r in retired)
    told = {r.recipient for r in rows if r.status is MessageStatus.SENT}
    corrections = {r.recipient: r for r in rows if r.kind == "correction"}
    assert set(corrections) == told  # everyone told the old time hears of the new one
    assert all("the session now starts" in r.context["changes"][0] for r in corrections.values())
    assert all(r.due >= NOW - timedelta(seconds=1) for r in corrections.values())
    await store.close()


async def test_the_host_and_co_directors_are_not_people_removed(tmp_path: Path) -> None:
    """The host's room cues are rows of their own (recipient `@host`): an edit that removes one
    student must not list the host as removed, nor cancel the host's cues."""
    from facilitator.delivery.reconcile import plan_changes

    store, schedule = await started(tmp_path, plan_in(tmp_path / "a"))
    try:
        assert schedule.hosts, "the seed plan names the host"
        edited = build_schedule(plan_in(tmp_path / "b", drop=LEAVING))
        record = await store.get_session(schedule.session.id)
        assert record is not None
        rows = await store.list_messages(schedule.session.id)
        changes = plan_changes(edited, rows, record.start, NOW, record.plan_revision + 1)
        assert changes.people_removed == [LEAVING]
        host_ids = {h.id for h in schedule.hosts}
        assert not any(r.recipient_id in host_ids for r in changes.cancel)
    finally:
        await store.close()


async def test_calendars_follow_an_edit_updates_for_the_told_and_a_cancel_for_the_removed(
    tmp_path: Path,
) -> None:
    """Corrections carry the invitation again with the raised SEQUENCE (clients replace the entry);
    a removed person who was invited gets a notice carrying METHOD:CANCEL for the same UID."""
    from icalendar import Calendar

    from facilitator.clock import ManualClock
    from facilitator.delivery.invites import InvitationCalendars

    store, old = await started(tmp_path, plan_in(tmp_path / "v1"))
    sid = old.session.id
    sent = await store.list_messages(sid, statuses=["sent"])
    invited = next(r for r in sent if r.kind == "invitation" and r.recipient == LEAVING)
    edited = plan_in(tmp_path / "v1", drop=LEAVING)
    new = build_schedule(edited)
    shown, _ = console()
    assert await reconcile_plan(store, edited, new, apply=True, now=NOW, console=shown) is None
    rows = await store.list_messages(sid)
    removed = [r for r in rows if r.kind == "removed"]
    assert [r.recipient for r in removed] == [LEAVING]

    def calendar(schedule: Schedule, revision: int, row: object) -> Calendar:
        builder = MessageContextBuilder(schedule, LinkSigner("k" * 48, "http://127.0.0.1:1"), "s" * 48)
        calendars = InvitationCalendars(schedule, ManualClock(NOW), revision)
        rendered = MessageRenderer(Renderer(), builder, calendars).render(row)  # type: ignore[arg-type]
        assert rendered.calendar is not None, row
        return Calendar.from_ical(rendered.calendar)

    first = calendar(old, 0, invited)
    cancel = calendar(new, 1, removed[0])
    assert str(cancel["method"]) == "CANCEL"
    (was,) = first.walk("VEVENT")
    (gone,) = cancel.walk("VEVENT")
    assert gone["uid"] == was["uid"] and int(gone["sequence"]) > int(was["sequence"])
    assert str(gone["status"]) == "CANCELLED"

    correction = next(r for r in rows if r.kind == "correction" and r.audience == "student")
    update = calendar(new, 1, correction)
    (event,) = update.walk("VEVENT")
    assert str(update["method"]) == "REQUEST" and int(event["sequence"]) == 1
    group = next(g.name for g in new.groups if correction.recipient in g.students)
    assert group in str(event["description"])
    await store.close()
