"""After a survey's `close`, its link shows a closed page and a late completion is kept apart, not counted."""

from __future__ import annotations

import random
import sqlite3
from datetime import timedelta

from facilitator.links import link_expiry
from facilitator.surveys.codes import survey_code
from facilitator.surveys.completion import completion_signature
from tests.web.conftest import SURVEY_SECRET, Web, WebFactory


async def _code(w: Web) -> str:
    study = w.schedule.session.study
    codes = {s.email: survey_code(SURVEY_SECRET, study, s.email) for s in w.schedule.students}
    await w.store.save_survey_codes(w.schedule.session.id, study, codes)
    return next(iter(codes.values()))


def _events(w: Web) -> list[tuple[str, str]]:
    with sqlite3.connect(w.ctx.settings.db_path) as db:
        return db.execute("SELECT kind, event FROM survey_events").fetchall()


async def test_the_pre_survey_link_after_its_close_shows_the_closed_page(make_web: WebFactory) -> None:
    w = await make_web(at=timedelta(minutes=5))  # the seed's pre-survey closes at the session start
    sid = w.schedule.session.id
    code = await _code(w)
    token = w.ctx.signer.survey_token(sid, code, "pre", link_expiry(w.schedule.session.end))
    resp = await w.client.get(f"/s/{token}", allow_redirects=False)
    assert resp.status == 410 and "Location" not in resp.headers
    page = await resp.text()
    assert "This survey has closed" in page and "Thursday 14 January 2027 at 13:00 (America/New_York)" in page
    assert _events(w) == [], "a closed survey records no opening"
    # the post-survey is still open: it redirects as before
    post = w.ctx.signer.survey_token(sid, code, "post", link_expiry(w.schedule.session.end))
    assert (await w.client.get(f"/s/{post}", allow_redirects=False)).status == 302


async def test_a_late_completion_is_kept_apart_and_reported_not_counted(make_web: WebFactory) -> None:
    w = await make_web(at=timedelta(hours=3))
    sid = w.schedule.session.id
    code = await _code(w)
    params = {"session": sid, "code": code, "kind": "pre",
              "sig": completion_signature(SURVEY_SECRET, sid, code, "pre")}  # fmt: skip
    resp = await w.client.get("/survey/done", params=params)
    assert resp.status == 410 and "kept apart" in await resp.text()
    assert (await w.client.get("/survey/done", params=params)).status == 410  # again: still one late row
    assert not await w.store.survey_completed(sid, code, "pre"), "a late completion must not stop reminders"
    counts = await w.store.survey_counts(sid)
    assert (counts.pre, counts.late_pre, counts.late_post) == (0, 1, 0)
    await w.login()
    rates = await (await w.client.get(f"/api/sessions/{sid}/rates")).json()
    assert rates["pre"] == 0 and rates["late_pre"] == 1
    assert rates["text"] == "pre 0 of 61, post 0 of 61, both 0 of 61 (0%); after closing, not counted: pre 1"


async def test_a_completion_before_the_close_still_counts(make_web: WebFactory) -> None:
    w = await make_web(at=timedelta(minutes=-1))
    sid = w.schedule.session.id
    code = await _code(w)
    params = {"session": sid, "code": code, "kind": "pre",
              "sig": completion_signature(SURVEY_SECRET, sid, code, "pre")}  # fmt: skip
    assert (await w.client.get("/survey/done", params=params)).status == 200
    counts = await w.store.survey_counts(sid)
    assert (counts.pre, counts.late_pre) == (1, 0)


async def test_fuzzed_completion_callbacks_after_close_never_500(make_web: WebFactory) -> None:
    w = await make_web(at=timedelta(days=30))
    sid = w.schedule.session.id
    code = await _code(w)
    rng = random.Random(1207)
    pieces = [sid, code, "pre", "post", "", "x" * 300, "%00", "K7QF-2M9D-X", "<script>", "\u00e9", "0" * 32]
    for _ in range(80):
        params = {k: rng.choice(pieces) for k in ("session", "code", "kind", "sig") if rng.random() < 0.9}
        if rng.random() < 0.3:
            kind = rng.choice(["pre", "post"])
            params = {"session": sid, "code": code, "kind": kind,
                      "sig": completion_signature(SURVEY_SECRET, sid, code, kind)}  # fmt: skip
        resp = await w.client.get("/survey/done", params=params)
        assert resp.status in (403, 404, 410), (params, resp.status)
    counts = await w.store.survey_counts(sid)
    assert counts.pre == counts.post == 0 and counts.late_pre + counts.late_post <= 2
