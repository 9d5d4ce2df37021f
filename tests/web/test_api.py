"""The JSON API: bearer or cookie auth, the same schedule JSON as `check --json`, actions with CSRF."""

from __future__ import annotations

from datetime import timedelta

from facilitator.schedule.serialize import schedule_to_dict
from facilitator.web.auth import director_api_token
from tests.web.conftest import Web


def _bearer(w: Web, lifetime: timedelta = timedelta(days=1)) -> dict[str, str]:
    return {"Authorization": f"Bearer {director_api_token(w.ctx.settings, w.clock.now(), lifetime)}"}


async def test_api_with_bearer_token(web_app: Web) -> None:
    w = web_app
    sid = w.schedule.session.id
    h = _bearer(w)
    sessions = (await (await w.client.get("/api/sessions", headers=h)).json())["sessions"]
    assert [s["id"] for s in sessions] == [sid] and sessions[0]["running"]
    assert await (await w.client.get(f"/api/sessions/{sid}/schedule", headers=h)).json() == schedule_to_dict(
        w.schedule
    )
    await w.store.fill_outbox(sid, w.schedule.messages)
    data = await (
        await w.client.get(f"/api/sessions/{sid}/messages", params={"kind": "move_now"}, headers=h)
    ).json()
    assert data["messages"] and {m["kind"] for m in data["messages"]} == {"move_now"}
    assert sum(c["count"] for c in data["counts"]) == len(w.schedule.messages)
    rates = await (await w.client.get(f"/api/sessions/{sid}/rates", headers=h)).json()
    assert rates["text"].startswith("pre 0 of")


async def test_api_actions(web_app: Web) -> None:
    w = web_app
    sid = w.schedule.session.id
    h = _bearer(w)
    cid = (
        await (
            await w.client.post(
                w.board_path("group-1"), json={"body": "hello"}, headers={"Accept": "application/json"}
            )
        ).json()
    )["contribution"]["id"]
    hidden = await w.client.post(f"/api/sessions/{sid}/contributions/{cid}/hide", headers=h)
    assert hidden.status == 200 and (await hidden.json())["hidden"] is True
    visible = await (
        await w.client.get(f"/api/sessions/{sid}/contributions?include_hidden=0", headers=h)
    ).json()
    assert visible["contributions"] == []
    await w.store.fill_outbox(sid, w.schedule.messages)
    m = (await w.store.list_messages(sid))[0]
    cancel = await w.client.post(f"/api/sessions/{sid}/messages/{m.id}/cancel", headers=h)
    assert cancel.status == 200 and (await cancel.json())["message"]["status"] == "cancelled"
    twice = await w.client.post(f"/api/sessions/{sid}/messages/{m.id}/cancel", headers=h)
    assert twice.status == 409 and (await twice.json())["changed"] is False
    # with the cookie instead, the CSRF header is required
    await w.login()
    csrf = await w.csrf()
    assert (await w.client.post(f"/api/sessions/{sid}/contributions/{cid}/show")).status == 403
    ok = await w.client.post(f"/api/sessions/{sid}/contributions/{cid}/show", headers={"X-CSRF-Token": csrf})
    assert ok.status == 200


async def test_bad_or_expired_bearer_is_401(web_app: Web) -> None:
    w = web_app
    expired = _bearer(w, timedelta(seconds=1))
    w.clock.advance(timedelta(seconds=5))
    for headers in [expired, {"Authorization": "Bearer nonsense"}, {"Authorization": "Basic abc"}]:
        resp = await w.client.get("/api/sessions", headers=headers)
        assert resp.status == 401 and resp.content_type == "application/json"
    # a facilitator link's token is not an API token
    token = w.facilitator_path("dr-okafor").split("/")[2]
    assert (await w.client.get("/api/sessions", headers={"Authorization": f"Bearer {token}"})).status == 401


async def test_api_time_follows_the_app_clock(web_app: Web) -> None:
    w = web_app
    before = (await (await w.client.get("/api/time")).json())["now"]
    w.clock.advance(timedelta(minutes=7))
    after = await (await w.client.get("/api/time")).json()
    assert after["now"] - before == 420 and after["rate"] == 0.0
