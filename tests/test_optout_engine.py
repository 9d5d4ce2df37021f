"""An opt-out is honoured from the next send: the running engine skips that student's reminders and
follow-ups (not the support resources), and every student message offers the opt-out."""

from __future__ import annotations

from pathlib import Path

from facilitator.app.engine import Engine
from facilitator.clock import ManualClock
from facilitator.delivery.channels.console import ConsoleChannel
from facilitator.store.sqlite import SqliteStore
from tests.web.conftest import PLAN, make_settings, seed_schedule


async def test_an_opted_out_student_gets_no_more_reminders_but_still_the_resources(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    store = await SqliteStore.open(settings.db_path)
    schedule = seed_schedule()
    engine = Engine(settings, store, ManualClock(schedule.session.start),
                    channels={"email": ConsoleChannel(lambda m, r: None)})  # fmt: skip
    try:
        handle = await engine.add_session(schedule, PLAN.read_text(), str(PLAN))
        ada, bea = schedule.students[0].email, schedule.students[1].email
        rows = await store.list_messages(schedule.session.id)

        def row(kind: str, email: str):  # type: ignore[no-untyped-def]
            return next(r for r in rows if r.kind == kind and r.recipient == email)

        code = handle.builder.survey_code_for(ada)
        await store.record_opt_out(schedule.session.id, code, schedule.session.start)
        for kind in ("pre_survey_reminder", "post_survey", "post_survey_reminder", "focus_group"):
            assert (
                await engine._should_skip(row(kind, ada))
                == "the student opted out of reminders and follow-ups"
            )
            assert await engine._should_skip(row(kind, bea)) is None
        assert await engine._should_skip(row("resources", ada)) is None

        rendered = await handle.renderer(row("pre_survey", bea))
        assert rendered.unsubscribe_url is not None and "/optout?" in rendered.unsubscribe_url
        assert rendered.unsubscribe_url in rendered.text and rendered.html is not None
        assert "No more reminders or follow-ups" in rendered.html
        assert rendered.sender_name == "Shared Living Experiences"
        assert rendered.reply_to == schedule.session.host_email
        cue = await handle.renderer(next(r for r in rows if r.kind == "heads_up"))
        assert cue.unsubscribe_url is None, "facilitators' cues carry no opt-out"
    finally:
        await engine.close()
        await store.close()
