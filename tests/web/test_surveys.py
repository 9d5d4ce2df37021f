"""Survey links redirect with the code and record the opening; completions need the HMAC."""

from __future__ import annotations

import sqlite3
from urllib.parse import parse_qs, urlsplit

from facilitator.links import link_expiry
from facilitator.surveys.codes import survey_code
from facilitator.surveys.completion import completion_signature
from tests.web.conftest import SURVEY_SECRET, Web


async def _codes(w: Web) -> dict[str, str]:
    study = w.schedule.session.study
    codes = {s.email: survey_code(SURVEY_SECRET, study, s.email) for s in w.schedule.students}
    await w.store.save_survey_codes(w.schedule.session.id, study, codes)
    return codes


async def test_survey_link_records_opened_and_redirects_with_code(web_app: Web) -> None:
    w = web_app
    sid = w.schedule.session.id
    code = next(iter((await _codes(w)).values()))
    token = w.ctx.signer.survey_token(sid, code, "pre", link_expiry(w.schedule.session.end))
    resp = await w.client.get(f"/s/{token}", allow_redirects=False)
    assert resp.status == 302
    target = urlsplit(resp.headers["Location"])
    assert target.netloc == "survey.example.edu" and parse_qs(target.query)["code"] == [code]
    with sqlite3.connect(w.ctx.settings.db_path) as db:
        rows = db.execute("SELECT code, kind, event FROM survey_events").fetchall()
    assert rows == [(code, "pre", "opened")]


async def test_completion_is_recorded_once(web_app: Web) -> None:
    w = web_app
    sid = w.schedule.session.id
    code = next(iter((await _codes(w)).values()))
    params = {
        "session": sid,
        "code": code.lower().replace("-", ""),
        "kind": "post",
        "sig": completion_signature(SURVEY_SECRET, sid, code, "post"),
    }
    first = await w.client.get("/survey/done", params=params)
    assert first.status == 200 and "no more reminders" in await first.text()
    second = await w.client.get("/survey/done", params=params)
    assert "(it already was)" in await second.text()
    counts = await w.store.survey_counts(sid)
    assert (counts.pre, counts.post, counts.both) == (0, 1, 0)
    assert await w.store.survey_completed(sid, code, "post")
