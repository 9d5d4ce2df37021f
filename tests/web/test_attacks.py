"""Bad links, forged requests, oversized bodies and hostile content: each gets a clear 4xx, never a 500."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from pathlib import Path

import jwt
import pytest

from facilitator.links import LinkSigner, link_expiry
from facilitator.surveys.codes import survey_code
from facilitator.surveys.completion import completion_signature
from tests.web.conftest import PUBLIC_URL, REPO, SURVEY_SECRET, Web, room

JSON = {"Accept": "application/json"}
XSS = '<script>window.__xss=1</script><img src=x onerror="alert(1)">"\'&'


def _tamper(token: str) -> str:
    head, payload, sig = token.split(".")
    return ".".join([head, payload, ("A" if sig[0] != "A" else "B") + sig[1:]])


def _tokens(w: Web) -> dict[str, str]:
    s = w.schedule.session
    good = w.ctx.signer.board_token(s.id, "group-1", link_expiry(s.end))
    other = LinkSigner("some-other-secret-0123456789abcdef", PUBLIC_URL)
    claims = jwt.decode(good, options={"verify_signature": False})
    return {
        "forged": other.board_token(s.id, "group-1", link_expiry(s.end)),
        "expired": w.ctx.signer.board_token(s.id, "group-1", w.clock.now() - timedelta(seconds=5)),
        "tampered": _tamper(good),
        "payload-swapped": good.split(".")[0]
        + "."
        + jwt.utils.base64url_encode(jwt.api_jws.json.dumps({**claims, "gid": "group-2"}).encode()).decode()
        + "."
        + good.split(".")[2],
        "wrong-audience": w.ctx.signer.facilitator_token(s.id, "dr-okafor", link_expiry(s.end)),
        "garbage": "not-a-token",
        "alg-none": jwt.encode({**claims}, key="", algorithm="none"),
    }


@pytest.mark.parametrize(
    "kind", ["forged", "expired", "tampered", "payload-swapped", "wrong-audience", "garbage", "alg-none"]
)
async def test_bad_board_tokens_get_a_403_page(web_app: Web, kind: str) -> None:
    token = _tokens(web_app)[kind]
    for method, path in [
        ("GET", f"/b/{token}"),
        ("POST", f"/b/{token}"),
        ("GET", f"/b/{token}/events"),
        ("GET", f"/b/{token}/contributions"),
    ]:
        resp = await web_app.client.request(method, path, data={"body": "hi"} if method == "POST" else None)
        assert resp.status == 403, (kind, path)
        html = await resp.text()
        assert "This link is not valid" in html and "Traceback" not in html
        assert resp.headers["Content-Security-Policy"].startswith("default-src 'self'")


async def test_bad_tokens_on_every_link_kind(web_app: Web) -> None:
    s = web_app.schedule.session
    board = web_app.ctx.signer.board_token(s.id, "group-1", link_expiry(s.end))
    fac = web_app.ctx.signer.facilitator_token(s.id, "dr-okafor", link_expiry(s.end))
    expired_fac = web_app.ctx.signer.facilitator_token(
        s.id, "dr-okafor", web_app.clock.now() - timedelta(days=1)
    )
    for path in [
        f"/f/{board}",
        f"/f/{_tamper(fac)}",
        f"/f/{expired_fac}",
        f"/f/{fac}x/calendar.ics",
        f"/s/{fac}",
        f"/s/{_tamper(board)}",
        f"/login/{board}",
        f"/login/{_tamper(fac)}",
    ]:
        resp = await web_app.client.get(path, allow_redirects=False)
        assert resp.status == 403, path
    assert (await web_app.client.get(f"/f/{fac}")).status == 200


async def test_unknown_session_room_or_person_is_404(web_app: Web) -> None:
    signer, end = web_app.ctx.signer, link_expiry(web_app.schedule.session.end)
    sid = web_app.schedule.session.id
    for path in [
        f"/b/{signer.board_token('no-such-session', 'group-1', end)}",
        f"/b/{signer.board_token(sid, 'group-99', end)}",
        f"/f/{signer.facilitator_token(sid, 'dr-nobody', end)}",
        f"/f/{signer.facilitator_token('no-such-session', 'dr-okafor', end)}",
        "/no/such/page",
    ]:
        resp = await web_app.client.get(path)
        assert resp.status == 404, path
        assert "<title>Not found" in await resp.text()
    await web_app.login()
    assert (await web_app.client.get("/sessions/no-such-session")).status == 404
    api = await web_app.client.get("/api/sessions/no-such-session/schedule")
    assert api.status == 404 and (await api.json())["status"] == 404


async def test_xss_payload_is_escaped_in_every_page_and_export(web_app: Web) -> None:
    c = web_app.client
    board = web_app.board_path(room("dr-marchetti", 0))
    assert (await c.post(board, json={"body": XSS}, headers=JSON)).status == 200
    assert (
        await c.post(board, json={"body": '=HYPERLINK("http://evil.example")'}, headers=JSON)
    ).status == 200
    await web_app.login()
    pages = [
        await (await c.get(board)).text(),
        await (await c.get(web_app.facilitator_path("dr-marchetti"))).text(),
        await (await c.get(f"/sessions/{web_app.schedule.session.id}")).text(),
    ]
    for html in pages:
        assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in html
        assert "<script>window.__xss" not in html and "<img src=x" not in html
        assert all(" src=" in tag for tag in re.findall(r"<script[^>]*>", html))  # no inline scripts
    csv = await (await c.get(f"/sessions/{web_app.schedule.session.id}/export/contributions.csv")).text()
    assert "'=HYPERLINK" in csv and ",=HYPERLINK" not in csv
    resp = await c.get(f"/sessions/{web_app.schedule.session.id}/export/contributions.csv")
    assert resp.headers["Content-Disposition"].startswith("attachment")
    api = await c.get(f"/api/sessions/{web_app.schedule.session.id}/contributions")
    assert api.content_type == "application/json" and XSS in [
        x["body"] for x in (await api.json())["contributions"]
    ]


def test_templates_and_scripts_have_no_inline_code() -> None:
    for template in (REPO / "templates" / "pages").glob("*.html"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), template
        assert not re.search(r"\son[a-z]+=", text), template
        assert "style=" not in text, template
    for script in (REPO / "facilitator" / "web" / "static").glob("*.js"):
        assert ".innerHTML" not in script.read_text(), script


async def test_director_posts_without_csrf_are_403(web_app: Web) -> None:
    c = web_app.client
    sid = web_app.schedule.session.id
    cid = (await (await c.post(web_app.board_path("group-1"), json={"body": "x"}, headers=JSON)).json())[
        "contribution"
    ]["id"]
    await web_app.login()
    for data in [{}, {"csrf": "forged"}, {"csrf": ""}]:
        resp = await c.post(f"/sessions/{sid}/contributions/{cid}/hide", data=data, allow_redirects=False)
        assert resp.status == 403
        assert "security token" in await resp.text()
        add = await c.post("/sessions", data={**data, "plan_text": "session: {}"}, allow_redirects=False)
        assert add.status == 403
        logout = await c.post("/logout", data=data, allow_redirects=False)
        assert logout.status == 403
    api = await c.post(f"/api/sessions/{sid}/contributions/{cid}/hide")
    assert api.status == 403
    [still] = await web_app.store.list_contributions(sid, include_hidden=True)
    assert not still.hidden
    # the login form has its own token too
    assert (await c.post("/login", data={"password": "x"})).status == 403


async def test_bodies_over_the_limit_are_413(web_app: Web) -> None:
    c = web_app.client
    big_post = await c.post(web_app.board_path("group-1"), data={"body": "x" * 100_000})
    assert big_post.status == 413
    assert "larger than this page accepts" in await big_post.text()
    await web_app.login()
    csrf = await web_app.csrf("/sessions")
    huge = await c.post("/sessions", data={"csrf": csrf, "plan_text": "x" * (3 * 1024 * 1024)})
    assert huge.status == 413
    api = await c.post("/api/sessions/x/contributions/1/hide", data=b"x" * (3 * 1024 * 1024))
    assert api.status == 413 and (await api.json())["status"] == 413


async def test_completion_with_bad_hmac_is_403_and_changes_nothing(web_app: Web) -> None:
    sid = web_app.schedule.session.id
    study = web_app.schedule.session.study
    emails = [s.email for s in web_app.schedule.students]
    codes = {e: survey_code(SURVEY_SECRET, study, e) for e in emails}
    await web_app.store.save_survey_codes(sid, study, codes)
    code = codes[emails[0]]
    good = completion_signature(SURVEY_SECRET, sid, code, "pre")
    before = await web_app.store.survey_counts(sid)
    bad_cases = [
        {"session": sid, "code": code, "kind": "pre", "sig": "0" * 32},
        {"session": sid, "code": code, "kind": "pre", "sig": good[:-1] + ("0" if good[-1] != "0" else "1")},
        {"session": sid, "code": code, "kind": "post", "sig": good},  # signature is for another kind
        {"session": sid, "code": codes[emails[1]], "kind": "pre", "sig": good},  # another student's code
        {"session": sid, "code": "nonsense", "kind": "pre", "sig": good},
        {"session": sid, "code": code, "kind": "pre"},
        {"session": sid, "code": code, "kind": "pre", "sig": "é" * 32},
    ]
    for query in bad_cases:
        resp = await web_app.client.get("/survey/done", params=query)
        assert resp.status == 403, query
        assert "nothing was recorded" in await resp.text()
    assert await web_app.store.survey_counts(sid) == before
    ok = await web_app.client.get(
        "/survey/done", params={"session": sid, "code": code, "kind": "pre", "sig": good}
    )
    assert ok.status == 200
    assert (await web_app.store.survey_counts(sid)).pre == before.pre + 1


async def test_privacy_no_ip_or_user_agent_in_database_or_logs(
    web_app: Web, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG)
    marker = "PrivacyProbe/9.9 (unique-ua-marker-7f3a)"
    headers = {"User-Agent": marker, "X-Forwarded-For": "203.0.113.77", **JSON}
    board = web_app.board_path("group-1")
    await web_app.client.get(board, headers=headers)
    resp = await web_app.client.post(board, json={"body": "anonymous words"}, headers=headers)
    cid = (await resp.json())["contribution"]["id"]
    await web_app.client.post(f"{board}/vote/{cid}", headers=headers)
    await web_app.client.post(board, data={"body": "form words"}, headers={"User-Agent": marker})
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("facilitator.db*"))
    assert b"anonymous words" in raw  # the content is there...
    for needle in (marker, "unique-ua-marker", "203.0.113.77", "127.0.0.1"):
        assert needle.encode() not in raw, needle  # ...and no trace of who sent it
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "/b/<token>" in logged  # the access log ran, with the token redacted
    for needle in (marker, "unique-ua-marker", "203.0.113.77", "127.0.0.1", board.split("/")[2]):
        assert needle not in logged, needle


async def test_a_cached_valid_link_still_expires(web_app: Web) -> None:
    s = web_app.schedule.session
    token = web_app.ctx.signer.board_token(
        s.id, room("dr-marchetti", 0), web_app.clock.now() + timedelta(minutes=5)
    )
    assert (await web_app.client.get(f"/b/{token}")).status == 200  # verified and remembered
    web_app.clock.advance(timedelta(minutes=6))
    assert (await web_app.client.get(f"/b/{token}")).status == 403
    assert (await web_app.client.get(f"/f/{token}")).status == 403  # and never valid for another audience
