"""Fixtures for the web tests: the real app over loopback, a real SQLite file, a manual clock."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from facilitator.clock import ManualClock
from facilitator.config import Settings
from facilitator.links import LinkSigner, link_expiry
from facilitator.plan.loader import LoadedPlan, load_plan
from facilitator.schedule.build import build_schedule
from facilitator.schedule.model import Schedule
from facilitator.store.base import SessionRecord
from facilitator.store.sqlite import SqliteStore
from facilitator.web.app import RUNNER_KWARGS, create_app
from facilitator.web.auth import hash_password
from facilitator.web.context import WebContext
from facilitator.web.login import login_url
from facilitator.web.sessions import entry_for_plan

REPO = Path(__file__).resolve().parents[2]
PLAN = REPO / "session_plans" / "shared-living-experiences.yaml"
PASSWORD = "correct horse battery staple"
SECRET = "test-secret-key-0123456789abcdef0123456789"
SURVEY_SECRET = "test-survey-secret"
PUBLIC_URL = "http://127.0.0.1:8080"
ZOOM_SECRET = "zoom-webhook-test-secret"


@cache
def loaded_plan() -> LoadedPlan:
    return load_plan(PLAN)


@cache
def seed_schedule() -> Schedule:
    return build_schedule(loaded_plan())


def room(facilitator_id: str, slot: int) -> str:
    """The group a facilitator visits in a slot of the seed schedule (tests never hard-code the rotation)."""
    gid = seed_schedule().rotation.room_of(facilitator_id, slot)
    assert gid is not None
    return gid


def gname(group_id: str) -> str:
    return seed_schedule().group(group_id).name


@cache
def password_hash() -> str:
    return hash_password(PASSWORD)


def make_settings(tmp_path: Path, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "_env_file": None,
        "facilitator_db_path": tmp_path / "facilitator.db",
        "facilitator_public_url": PUBLIC_URL,
        "facilitator_secret_key": SECRET,
        "facilitator_survey_secret": SURVEY_SECRET,
        "facilitator_director_password_hash": password_hash(),
        "facilitator_cookie_secure": False,
        "zoom_webhook_secret_token": ZOOM_SECRET,
    }
    values.update(extra)
    return Settings(**values)


@dataclass
class Web:
    """The app under test and the handles a test needs to drive it."""

    client: TestClient[Any, Any]
    ctx: WebContext
    clock: ManualClock
    schedule: Schedule
    store: SqliteStore

    def board_path(self, group_id: str, session_id: str | None = None) -> str:
        sid = session_id or self.schedule.session.id
        token = self.ctx.signer.board_token(sid, group_id, link_expiry(self.schedule.session.end))
        return f"/b/{token}"

    def facilitator_path(self, fid: str) -> str:
        token = self.ctx.signer.facilitator_token(
            self.schedule.session.id, fid, link_expiry(self.schedule.session.end)
        )
        return f"/f/{token}"

    async def login(self) -> None:
        url = login_url(self.ctx)
        resp = await self.client.get(url.removeprefix(PUBLIC_URL), allow_redirects=False)
        assert resp.status == 303, await resp.text()

    async def csrf(self, path: str | None = None) -> str:
        page = await (await self.client.get(path or f"/sessions/{self.schedule.session.id}")).text()
        match = re.search(r'name="csrf" value="([^"]+)"', page)
        assert match, page[:500]
        return match.group(1)


WebFactory = Callable[..., Awaitable[Web]]


@pytest.fixture
async def make_web(tmp_path: Path, aiohttp_client: Any) -> AsyncIterator[WebFactory]:
    stores: list[SqliteStore] = []

    async def factory(
        schedule: Schedule | None = None, *, at: timedelta = timedelta(minutes=-10), **settings: Any
    ) -> Web:
        schedule = schedule or seed_schedule()
        cfg = make_settings(tmp_path, **settings)
        store = await SqliteStore.open(cfg.db_path)
        stores.append(store)
        clock = ManualClock(schedule.session.start + at)
        await store.upsert_session(
            SessionRecord(
                id=schedule.session.id,
                title=schedule.session.title,
                plan_file=str(PLAN),
                plan_text=PLAN.read_text(),
                start=schedule.session.start,
                end=schedule.session.end,
                status="active",
                created_at=clock.now(),
            )
        )
        ctx = WebContext(settings=cfg, store=store, clock=clock, signer=LinkSigner(SECRET, PUBLIC_URL))
        entry = entry_for_plan(loaded_plan(), schedule)
        ctx.sessions.add(entry)
        server = TestServer(create_app(ctx))
        await server.start_server(**RUNNER_KWARGS)  # the privacy-preserving access log, as in production
        client = await aiohttp_client(server)
        return Web(client, ctx, clock, schedule, store)

    yield factory
    for store in stores:
        await store.close()


@pytest.fixture
async def web_app(make_web: WebFactory) -> Web:
    return await make_web()
