"""Uploading an edited plan of a running session: the changes are shown, applied only on confirm."""

from __future__ import annotations

import random
import re
import string
from pathlib import Path

import aiohttp

from facilitator.delivery.outbox import start_session
from facilitator.store.base import MessageStatus
from tests.web.conftest import PLAN, REPO, WebFactory

ROSTER = REPO / "session_plans" / "shared-living-experiences-roster.csv"
LEAVING = "eamon.thorsby@students.example.edu"


async def test_an_edited_plan_is_shown_first_and_applied_only_on_confirm(make_web: WebFactory) -> None:
    w = await make_web()  # ten minutes before the start: everything before the session is sent
    sid = w.schedule.session.id
    await start_session(w.store, w.schedule, PLAN.read_text(), str(PLAN), now=w.clock.now())
    for row in await w.store.claim_due(w.clock.now(), None, 10_000):
        await w.store.mark_sent(row.id, w.clock.now(), f"smtp:{row.id}")
    await w.login()
    csrf = await w.csrf("/sessions")
    edited = PLAN.read_text().replace("cue_lead: 2m ", "cue_lead: 3m ")
    roster = "\n".join(line for line in ROSTER.read_text().splitlines() if not line.startswith(LEAVING))
    form = aiohttp.FormData()
    form.add_field("csrf", csrf)
    form.add_field("plan_file", edited.encode(), filename="edited.yaml", content_type="text/yaml")
    form.add_field("roster_file", roster.encode(), filename=ROSTER.name, content_type="text/csv")
    shown = await w.client.post("/sessions", data=form, allow_redirects=False)
    page = await shown.text()
    assert shown.status == 200, page
    assert "The plan of Shared Living Experiences changed" in page
    assert f"people removed: {LEAVING}" in page and "to replace" in page
    record = await w.store.get_session(sid)
    assert record is not None and record.plan_revision == 0 and record.plan_text == PLAN.read_text()
    assert not await w.store.list_messages(sid, statuses=["cancelled"])  # nothing applied yet

    token = re.search(r'name="confirm" value="([0-9a-f]+)"', page)
    assert token is not None
    # The confirm form carries the uploaded roster back (the server reads no roster from a path).
    carried = dict(re.findall(r'name="(roster_name|roster_data)" value="([^"]*)"', page))
    assert carried.get("roster_name") == ROSTER.name and carried.get("roster_data")
    fields = {"csrf": csrf, "plan_text": edited, "plan_name": "edited.yaml", **carried}
    stale = await w.client.post("/sessions", data={**fields, "confirm": "0" * 32}, allow_redirects=False)
    assert stale.status == 200 and "Apply these changes" in await stale.text()  # shown again
    assert (await w.store.get_session(sid)).plan_revision == 0  # type: ignore[union-attr]

    applied = await w.client.post(
        "/sessions", data={**fields, "confirm": token.group(1)}, allow_redirects=False
    )
    assert applied.status == 303 and applied.headers["Location"] == f"/sessions/{sid}"
    record = await w.store.get_session(sid)
    assert record is not None and record.plan_revision == 1 and record.plan_text == edited
    kept_roster = Path(record.plan_file).parent / ROSTER.name  # what a restart reloads
    assert kept_roster.is_file() and LEAVING not in kept_roster.read_text()
    rows = await w.store.list_messages(sid)
    leaving = [r for r in rows if r.recipient == LEAVING and r.status is not MessageStatus.SENT]
    assert {r.status for r in leaving if r.kind != "removed"} == {MessageStatus.CANCELLED}
    assert [r.kind for r in leaving if r.status is MessageStatus.PENDING] == ["removed"]  # told, once
    cues = [r for r in rows if r.kind == "heads_up" and r.status is MessageStatus.PENDING]
    assert cues and all(r.context["lead_minutes"] == 3 for r in cues)  # the new cue lead
    assert any(r.kind == "correction" for r in rows)
    again = await w.client.post(
        "/sessions", data={**fields, "confirm": token.group(1)}, allow_redirects=False
    )
    assert again.status == 400 and "changes nothing" in await again.text()  # applied once only


async def test_fuzzed_confirm_forms_get_an_answer_never_a_crash(make_web: WebFactory) -> None:
    w = await make_web()
    sid = w.schedule.session.id
    await start_session(w.store, w.schedule, PLAN.read_text(), str(PLAN), now=w.clock.now())
    await w.login()
    csrf = await w.csrf("/sessions")
    rng = random.Random(1011)
    base = PLAN.read_text()
    junk = string.printable + "\u00e9\u4e2d\u0000"
    for _ in range(40):
        text = base
        if rng.random() < 0.5:  # cut or garble the plan somewhere
            at = rng.randrange(len(base))
            text = base[:at] + "".join(rng.choice(junk) for _ in range(rng.randint(0, 20))) + base[at + 20 :]
        fields = {
            "csrf": csrf,
            "plan_text": text,
            "plan_name": "".join(rng.choice(junk) for _ in range(rng.randint(0, 30))),
            "confirm": "".join(rng.choice(junk) for _ in range(rng.randint(0, 64))),
        }
        resp = await w.client.post("/sessions", data=fields, allow_redirects=False)
        assert resp.status in (200, 303, 400), (resp.status, fields["plan_name"])
        assert "Traceback" not in await resp.text()
    record = await w.store.get_session(sid)
    assert record is not None and record.plan_revision == 0  # no random token ever matched


async def test_an_upload_that_only_moves_the_start_is_refused_without_an_id(make_web: WebFactory) -> None:
    """Without `session.id` a moved start makes a new id: the upload would start a second session
    whose students get everything again. Like `run`, the page refuses and names the id to add."""
    w = await make_web()
    sid = w.schedule.session.id
    await start_session(w.store, w.schedule, PLAN.read_text(), str(PLAN), now=w.clock.now())
    await w.login()
    csrf = await w.csrf("/sessions")
    moved = PLAN.read_text().replace("start: 2027-01-14 13:00", "start: 2027-01-14 15:00")
    assert moved != PLAN.read_text()
    form = aiohttp.FormData()
    form.add_field("csrf", csrf)
    form.add_field("plan_file", moved.encode(), filename="moved.yaml", content_type="text/yaml")
    form.add_field("roster_file", ROSTER.read_bytes(), filename=ROSTER.name, content_type="text/csv")
    resp = await w.client.post("/sessions", data=form, allow_redirects=False)
    page = await resp.text()
    assert resp.status == 400 and f"id: {sid}" in page, page
    assert [s.id for s in await w.store.list_sessions()] == [sid]  # no second session
