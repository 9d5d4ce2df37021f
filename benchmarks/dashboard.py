"""Director dashboard benchmark: how long the session page and the live panel take to answer.

The seed study (631 planned messages) with its whole outbox queued, served by the real app over
loopback with a real SQLite file. Measures the session page unfiltered (first page of the log),
filtered (`?kind=invitation&page=2`, `?recipient=okafor`), and `/api/sessions/{id}/live` (which
also reads the sent escalations), each requested `--repeat` times; prints median and p95 in ms.

    python benchmarks/dashboard.py                 # 200 requests per URL
    python benchmarks/dashboard.py --repeat 500 --copies 5

`--copies N` adds N-1 more sessions' worth of messages to the same database (other sessions'
rows), to see that one session's page does not slow down with the size of the store.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


async def main(args: argparse.Namespace) -> None:
    from aiohttp import ClientSession

    from facilitator.clock import ManualClock
    from facilitator.config import Settings
    from facilitator.links import LinkSigner
    from facilitator.plan.loader import load_plan
    from facilitator.schedule.build import build_schedule
    from facilitator.store.base import SessionRecord
    from facilitator.store.sqlite import SqliteStore
    from facilitator.web.app import start
    from facilitator.web.auth import director_api_token
    from facilitator.web.context import WebContext
    from facilitator.web.sessions import entry_for_plan

    plan = args.plan
    loaded = load_plan(plan)
    schedule = build_schedule(loaded)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            facilitator_db_path=Path(tmp) / "bench.db",
            facilitator_secret_key="benchmark-secret-0123456789abcdef0123456789",
            facilitator_survey_secret="benchmark-survey-secret",
            facilitator_public_url="http://127.0.0.1:0",
            facilitator_cookie_secure=False,
        )
        store = await SqliteStore.open(settings.db_path)
        clock = ManualClock(schedule.rotation.slots[0].start + timedelta(minutes=3))
        for copy in range(args.copies):
            s = schedule.session
            other = (
                schedule
                if copy == 0
                else dataclasses.replace(
                    schedule,
                    session=dataclasses.replace(s, id=f"{s.id}-copy{copy}"),
                    messages=tuple(dataclasses.replace(m, key=f"{m.key}#{copy}") for m in schedule.messages),
                )
            )
            o = other.session
            await store.upsert_session(
                SessionRecord(o.id, o.title, str(plan), loaded.text, o.start, o.end, "active", clock.now())
            )
            await store.fill_outbox(o.id, other.messages)
        signer = LinkSigner(settings.secret_key.get_secret_value(), settings.public_url)
        ctx = WebContext(settings=settings, store=store, clock=clock, signer=signer)
        ctx.sessions.add(entry_for_plan(loaded, schedule))
        runner = await start(ctx, "127.0.0.1", 0)
        site = next(iter(runner.sites))
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        base = f"http://127.0.0.1:{port}"
        headers = {"Authorization": f"Bearer {director_api_token(settings, clock.now())}"}
        sid = schedule.session.id
        urls = {
            "session page": f"/sessions/{sid}",
            "filtered: kind, page 2": f"/sessions/{sid}?kind=invitation&page=2",
            "filtered: recipient": f"/sessions/{sid}?recipient=okafor",
            "live panel (API)": f"/api/sessions/{sid}/live",
        }
        print(
            f"seed study, {len(schedule.messages)} messages per session, "
            f"{args.copies} session(s) in the store"
        )
        print(f"{'request':26} {'median ms':>10} {'p95 ms':>8}")
        async with ClientSession(headers=headers) as http:
            for name, path in urls.items():
                cookies: dict[str, Any] = {}
                if path.startswith("/sessions/"):
                    # pages need the cookie: sign in once through the password-less link
                    from facilitator.web.login import login_url

                    link = login_url(ctx).replace(settings.public_url, base)
                    async with http.get(link, allow_redirects=False) as resp:
                        cookies = {k: v.value for k, v in resp.cookies.items()}
                times = []
                for _ in range(args.repeat):
                    started = time.perf_counter()
                    async with http.get(
                        base + path, cookies=cookies, headers={} if cookies else headers
                    ) as resp:
                        await resp.read()
                        assert resp.status == 200, (path, resp.status)
                    times.append((time.perf_counter() - started) * 1000)
                times.sort()
                p95 = times[int(len(times) * 0.95) - 1]
                print(f"{name:26} {statistics.median(times):10.1f} {p95:8.1f}")
        await runner.cleanup()
        await store.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--copies", type=int, default=1)
    parser.add_argument(
        "--plan", type=Path, default=REPO / "session_plans" / "shared-living-experiences.yaml"
    )
    asyncio.run(main(parser.parse_args()))
