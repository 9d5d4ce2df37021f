"""The JSON webhook channel against a real aiohttp server on loopback."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from facilitator.config import load_settings
from facilitator.delivery.channels.base import PermanentSendError, Rendered, TransientSendError
from facilitator.delivery.channels.webhook import WebhookChannel, parse_retry_after
from facilitator.store.base import OutboxMessage
from tests.store.factories import SESSION, cue, store_with_session

RENDERED = Rendered(subject="Move now", text="Move to Group 4 now.")


async def _row(tmp_path: Path, url: str | None) -> OutboxMessage:
    store = await store_with_session(tmp_path)
    context: dict[str, Any] = {"room": "Group 4"}
    if url is not None:
        context["webhook_url"] = url
    await store.fill_outbox(SESSION, [cue("dr-okafor", channel="webhook", context=context)])
    (row,) = await store.list_messages(SESSION)
    return row


async def _server(
    aiohttp_server: Any, status: int, headers: dict[str, str] | None = None, delay: float = 0
) -> tuple[TestServer, list[Any]]:
    received: list[Any] = []

    async def hook(request: web.Request) -> web.Response:
        received.append((await request.json(), dict(request.headers)))
        if delay:
            await asyncio.sleep(delay)
        return web.Response(status=status, text="ok" if status < 400 else "nope", headers=headers)

    app = web.Application()
    app.router.add_post("/hook", hook)
    return await aiohttp_server(app), received


async def test_posts_text_json_with_the_key(tmp_path: Path, aiohttp_server: Any) -> None:
    server, received = await _server(aiohttp_server, 200, {"X-Request-Id": "req-7"})
    row = await _row(tmp_path, str(server.make_url("/hook")))
    channel = WebhookChannel(load_settings())
    assert await channel.send(row, RENDERED) == "req-7"
    await channel.close()
    body, headers = received[0]
    assert body == {"text": "Move to Group 4 now."}
    assert headers["X-Facilitator-Key"] == row.key


async def test_settings_url_is_the_fallback(tmp_path: Path, aiohttp_server: Any) -> None:
    server, received = await _server(aiohttp_server, 204)
    row = await _row(tmp_path, None)
    channel = WebhookChannel(load_settings(webhook_channel_url=str(server.make_url("/hook"))))
    assert (await channel.send(row, RENDERED)).startswith("webhook:")
    await channel.close()
    assert len(received) == 1


@pytest.mark.parametrize(
    ("status", "headers", "error", "retry_after"),
    [
        (429, {"Retry-After": "17"}, TransientSendError, 17.0),
        (503, {}, TransientSendError, None),
        (404, {}, PermanentSendError, None),
    ],
)
async def test_errors_are_sorted(
    tmp_path: Path,
    aiohttp_server: Any,
    status: int,
    headers: dict[str, str],
    error: type[Exception],
    retry_after: float | None,
) -> None:
    server, _ = await _server(aiohttp_server, status, headers)
    row = await _row(tmp_path, str(server.make_url("/hook")))
    channel = WebhookChannel(load_settings())
    with pytest.raises(error, match=str(status)) as caught:
        await channel.send(row, RENDERED)
    await channel.close()
    if isinstance(caught.value, TransientSendError):
        assert caught.value.retry_after == retry_after


async def test_timeout_and_refused_connection_are_transient(tmp_path: Path, aiohttp_server: Any) -> None:
    server, _ = await _server(aiohttp_server, 200, delay=2)
    row = await _row(tmp_path, str(server.make_url("/hook")))
    channel = WebhookChannel(load_settings(webhook_timeout_seconds=0.2))
    with pytest.raises(TransientSendError, match="failed"):
        await channel.send(row, RENDERED)
    await server.close()  # nothing listens at the row's URL any more
    with pytest.raises(TransientSendError, match="failed"):
        await channel.send(row, RENDERED)
    await channel.close()


async def test_no_url_anywhere_is_permanent(tmp_path: Path) -> None:
    row = await _row(tmp_path, None)
    with pytest.raises(PermanentSendError, match="WEBHOOK_CHANNEL_URL"):
        await WebhookChannel(load_settings(webhook_channel_url=None)).send(row, RENDERED)


def test_parse_retry_after() -> None:
    now = datetime(2025, 3, 4, 15, 0, tzinfo=UTC)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("Tue, 04 Mar 2025 15:01:00 GMT", now) == 60.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
