"""Starting a session fills the outbox once; `status` reports counts and every failure's reason."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from rich.console import Console

from facilitator.clock import ManualClock
from facilitator.delivery.channels.base import PermanentSendError
from facilitator.delivery.outbox import start_session
from facilitator.delivery.runner import Runner
from facilitator.delivery.status import format_status_table, session_status, status_json
from tests.delivery.support import plain_render
from tests.delivery.test_runner import Flaky
from tests.store.factories import SESSION, T0, bulk, cue, open_store, planned, schedule_of

S = timedelta(seconds=1)


async def test_start_session_twice_never_duplicates(tmp_path: Path) -> None:
    store = await open_store(tmp_path)
    schedule = schedule_of([*bulk(61), cue("dr-a"), cue("dr-b")])
    assert await start_session(store, schedule, "plan: text", "plans/seed.yaml", now=T0) == 63
    first = await store.get_session(SESSION)
    assert await start_session(store, schedule, "plan: edited", "plans/seed.yaml") == 0
    again = await store.get_session(SESSION)
    assert first is not None and again is not None
    assert again.created_at == first.created_at == T0 and again.plan_text == "plan: edited"
    assert again.status == "active"
    assert len(await store.list_messages(SESSION)) == 63


async def test_status_counts_and_reasons(tmp_path: Path) -> None:
    store = await open_store(tmp_path)
    schedule = schedule_of([*bulk(3), planned("bounced"), cue("dr-a", due=T0, deadline=T0 + 30 * S)])
    await start_session(store, schedule, "plan", "plan.yaml", now=T0)
    flaky = Flaky([PermanentSendError("550 5.1.1 no such user")])
    clock = ManualClock(T0 + 60 * S)  # started late: the cue is past its grace
    runner = Runner(store, clock, {"email": flaky}, plain_render, concurrency={"email": 1})
    await start_runner_and_finish(runner, clock)

    (status,) = await session_status(store)
    assert status.counts["invitation"] == {"failed": 1, "sent": 3}
    assert status.counts["move_now"] == {"expired": 1}
    assert (status.totals["sent"], status.totals["failed"], status.totals["expired"]) == (3, 1, 1)
    assert [(p.key, p.status, p.reason) for p in status.problems] == [
        (f"{SESSION}/invite/0000", "failed", "550 5.1.1 no such user"),
        (f"{SESSION}/move_now/dr-a", "expired", "not sent: 30 s past its grace; a late cue would mislead"),
    ]
    data = status_json(await session_status(store, SESSION))
    assert json.loads(json.dumps(data)) == data  # JSON-safe
    assert data[0]["messages"]["invitation"]["sent"] == 3
    assert data[0]["problems"][0]["reason"] == "550 5.1.1 no such user"
    assert await session_status(store, "no-such-session") == []

    console = Console(record=True, width=200)
    console.print(format_status_table([status]))
    text = console.export_text()
    assert "Shared Living Experiences" in text and "550 5.1.1 no such user" in text and "invitation" in text


async def start_runner_and_finish(runner: Runner, clock: ManualClock) -> None:
    await runner.start()
    await runner.wait_idle()
    await runner.stop()


def test_empty_status_says_so() -> None:
    console = Console(record=True)
    console.print(format_status_table([]))
    assert "No sessions" in console.export_text()


async def test_status_shows_response_rates_as_the_study_reports_them(tmp_path: Path) -> None:
    store = await open_store(tmp_path)
    await start_session(store, schedule_of(bulk(4)), "plan", "plan.yaml", now=T0)
    codes = {f"s{n}@example.edu": f"CODE-{n}" for n in range(4)}
    await store.save_survey_codes(SESSION, "study", codes)
    for code, kind in [("CODE-0", "pre"), ("CODE-1", "pre"), ("CODE-0", "post"), ("CODE-2", "post")]:
        await store.record_survey_event(SESSION, code, kind, "completed", T0)
    await store.record_late_completion(SESSION, "CODE-3", "pre", T0 + timedelta(days=1))

    (status,) = await session_status(store)
    assert status.responses == "pre 2 of 4, post 2 of 4, both 1 of 4 (25%); after closing, not counted: pre 1"
    data = status_json([status])
    assert data[0]["responses"]["both"] == 1 and data[0]["responses"]["late_pre"] == 1
    console = Console(record=True, width=200)
    console.print(format_status_table([status]))
    assert "Survey responses: pre 2 of 4, post 2 of 4, both 1 of 4 (25%)" in console.export_text()


def test_status_prints_bracketed_titles_as_written() -> None:
    from facilitator.delivery.status import SessionStatus

    status = SessionStatus("s", "Small [/i] groups [she/her]", T0, "active", {"invitation": {"sent": 1}})
    console = Console(record=True, width=200)
    console.print(format_status_table([status]))
    assert "Small [/i] groups [she/her]" in console.export_text()
