"""Every page renders for the seed study, through the real app and a real SQLite file."""

from __future__ import annotations

from tests.web.conftest import Web


async def test_pages_render(web_app: Web) -> None:
    c = web_app.client
    board = await c.get(web_app.board_path("group-1"))
    assert board.status == 200, await board.text()
    assert "Group 1" in await board.text()
    page = await c.get(web_app.facilitator_path("dr-okafor"))
    assert page.status == 200, await page.text()
    text = await page.text()
    assert "Next: Sharing plenary (main room) at 13:00" in text
    await web_app.login()
    session = await c.get(f"/sessions/{web_app.schedule.session.id}")
    assert session.status == 200, await session.text()
    assert "pre 0 of" in await session.text()
    assert (await c.get("/sessions")).status == 200


async def test_context_from_settings_signs_links_for_the_public_url(web_app: Web) -> None:
    from facilitator.web.context import WebContext
    from facilitator.web.links import session_links

    ctx = WebContext.from_settings(web_app.ctx.settings, web_app.store, web_app.clock)
    for entry in web_app.ctx.sessions:
        ctx.sessions.add(entry)
    links = session_links(ctx, web_app.schedule.session.id)
    assert set(links["facilitators"]) == {f.id for f in web_app.schedule.facilitators}
    assert set(links["boards"]) == {g.id for g in web_app.schedule.groups}
    assert links["director"].startswith("http://127.0.0.1:8080/login/")
    board = links["boards"][web_app.schedule.groups[0].id].removeprefix("http://127.0.0.1:8080")
    assert (await web_app.client.get(board)).status == 200  # same secret: the app accepts them
