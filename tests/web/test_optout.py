"""Opting out of reminders and follow-ups: a page with a button, one-click POST, a signed link only."""

from __future__ import annotations

import random
import sqlite3
from urllib.parse import urlsplit

from facilitator.surveys.codes import survey_code
from facilitator.surveys.optout import opt_out_url
from tests.web.conftest import PUBLIC_URL, SURVEY_SECRET, Web


def _opt_outs(w: Web) -> list[tuple[str, str]]:
    with sqlite3.connect(w.ctx.settings.db_path) as db:
        return db.execute("SELECT session_id, code FROM opt_outs").fetchall()


def _path(w: Web, email: str) -> tuple[str, str]:
    sid = w.schedule.session.id
    code = survey_code(SURVEY_SECRET, w.schedule.session.study, email)
    url = urlsplit(opt_out_url(PUBLIC_URL, sid, code, SURVEY_SECRET))
    return f"{url.path}?{url.query}", code


async def test_the_page_asks_first_and_a_post_opts_out(web_app: Web) -> None:
    w = web_app
    path, code = _path(w, w.schedule.students[0].email)
    page = await w.client.get(path)
    assert page.status == 200 and "Stop reminders and follow-ups" in await page.text()
    assert _opt_outs(w) == [], "a GET (what mail scanners do) changes nothing"
    done = await w.client.post(path)
    assert done.status == 200 and "You will get no more reminders" in await done.text()
    assert _opt_outs(w) == [(w.schedule.session.id, code)]
    assert await w.store.opted_out(w.schedule.session.id, code)


async def test_one_click_unsubscribe_from_a_mail_client(web_app: Web) -> None:
    w = web_app
    path, code = _path(w, w.schedule.students[1].email)
    resp = await w.client.post(path, data="List-Unsubscribe=One-Click",
                               headers={"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert resp.status == 200 and await w.store.opted_out(w.schedule.session.id, code)


async def test_a_forged_link_is_refused_and_changes_nothing(web_app: Web) -> None:
    w = web_app
    path, _ = _path(w, w.schedule.students[2].email)
    forged = path[:-4] + ("0000" if not path.endswith("0000") else "1111")
    assert (await w.client.post(forged)).status == 403
    assert (await w.client.get(forged)).status == 403
    assert _opt_outs(w) == []


async def test_fuzzed_opt_out_requests_never_500(web_app: Web) -> None:
    w = web_app
    rng = random.Random(1211)
    sid = w.schedule.session.id
    code = survey_code(SURVEY_SECRET, w.schedule.session.study, w.schedule.students[0].email)
    pieces = [sid, code, "", "x" * 400, "%00", "K7QF-2M9D-X", "<script>", "é", "0" * 32, "nope"]
    for _ in range(60):
        params = {k: rng.choice(pieces) for k in ("session", "code", "sig") if rng.random() < 0.9}
        method = rng.choice([w.client.get, w.client.post])
        resp = await method("/optout", params=params)
        assert resp.status in (403, 404), (params, resp.status)
    assert _opt_outs(w) == []
