"""When the Zoom meeting is recreated, everyone already invited is sent the new join link.

The real engine, a real SQLite file and the Zoom simulator over loopback HTTP; a console channel
stands in for email so each message's rendered text can be read.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from pydantic import SecretStr

from facilitator.app.engine import Engine
from facilitator.clock import ManualClock
from facilitator.config import Settings
from facilitator.delivery.channels.console import ConsoleChannel
from facilitator.plan.loader import load_plan, load_plan_text
from facilitator.schedule.build import build_schedule
from facilitator.schedule.model import Schedule
from facilitator.store.sqlite import SqliteStore
from facilitator.zoom.client import ZoomClient
from facilitator.zoomsim.simulator import ZoomSimulator

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "session_plans" / "shared-living-experiences.yaml"
NEW_HOST = "associate.director@example.edu"


def seed(host: str | None = None) -> tuple[Schedule, str]:
    loaded = load_plan(SEED)
    if host is None:
        return build_schedule(loaded), loaded.text
    text = loaded.text.replace("host_email: course.director@example.edu", f"host_email: {host}")
    return build_schedule(load_plan_text(text, file=str(SEED), base_dir=SEED.parent)), text


async def invited_then_recreated(
    tmp_path: Path, settings: Settings, make_client: Callable[..., ZoomClient], sim: ZoomSimulator, how: str
) -> tuple[ConsoleChannel, SqliteStore, int, int]:
    schedule, text = seed()
    tmp_path.mkdir()
    store = await SqliteStore.open(tmp_path / "x.db")
    clock = ManualClock(schedule.session.start - timedelta(days=1))  # invitations and welcomes are due
    console = ConsoleChannel(lambda m, r: None)
    secrets = {"secret_key": SecretStr("k" * 48), "survey_secret": SecretStr("s" * 48)}
    settings = settings.model_copy(update=secrets)
    async with make_client() as zoom:
        engine = Engine(settings, store, clock, zoom=zoom, channels={"email": console}, note=lambda _: None)
        await engine.add_session(schedule, text, str(SEED))
        await engine.start()
        await engine.runner.drain_until(clock.now())
        first = engine.handles[schedule.session.id].meeting
        assert first is not None
        if how == "deleted":  # someone deletes the meeting in Zoom; the same plan runs again
            await zoom.delete_meeting(first.meeting_id)
            again, again_text = schedule, text
        else:  # the director names another host
            again, again_text = seed(NEW_HOST)
        await engine.add_session(again, again_text, str(SEED))
        await engine.runner.drain_until(clock.now())
        second = engine.handles[schedule.session.id].meeting
        assert second is not None
        await engine.add_session(again, again_text, str(SEED))  # a restart: nothing new is queued
        await engine.runner.drain_until(clock.now())
        await engine.close()
    return console, store, first.meeting_id, second.meeting_id


async def test_a_deleted_meeting_is_recreated_and_everyone_invited_gets_the_new_link(
    tmp_path: Path, settings: Settings, make_client: Callable[..., ZoomClient], sim: ZoomSimulator
) -> None:
    for how in ("deleted", "host"):
        console, store, old, new = await invited_then_recreated(
            tmp_path / how, settings, make_client, sim, how
        )
        assert old != new
        invited = {m.recipient for m, _ in console.sent if m.kind in ("invitation", "facilitator_welcome")}
        told = [(m, r) for m, r in console.sent if m.kind == "link_changed"]
        assert len(invited) == 61 + 3 and sorted(m.recipient for m, _ in told) == sorted(invited)
        assert all(f"/{new}" in r.text and f"/{old}" not in r.text for _, r in told)
        assert all("no longer works" in r.text and r.html and f"/{new}" in r.html for _, r in told)
        entries = await store.list_audit(None)
        assert [e.action for e in entries].count("meeting.recreated") == 1
        await store.close()
