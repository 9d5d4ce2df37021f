"""Zoom Team Chat (through any client with `send_chat_message`) and the console channel."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from facilitator.delivery.channels.base import PermanentSendError, Rendered, TransientSendError
from facilitator.delivery.channels.console import ConsoleChannel
from facilitator.delivery.channels.zoom_chat import ZoomChatChannel
from facilitator.store.base import OutboxMessage
from tests.store.factories import SESSION, cue, store_with_session

RENDERED = Rendered(subject="Heads-up", text="In 2 minutes: Group 4, 10 students.")


class ZoomError(Exception):
    """Shaped like the Zoom client's errors: a status and maybe a Retry-After hint or reset time."""

    def __init__(
        self, status: int | None, retry_after: float | None = None, resume_at: datetime | None = None
    ) -> None:
        super().__init__(f"zoom said {status}")
        self.status = status
        self.retry_after = retry_after
        self.resume_at = resume_at


class ChatClient:
    """Stands in for the Zoom client's interface (the real client lives in facilitator/zoom)."""

    def __init__(self, result: Any = None, error: Exception | None = None) -> None:
        self.calls: list[tuple[str, str, str]] = []
        self.result = result
        self.error = error

    async def send_chat_message(self, user: str, to_contact: str, message: str) -> Any:
        self.calls.append((user, to_contact, message))
        if self.error is not None:
            raise self.error
        return self.result


async def _row(tmp_path: Path) -> OutboxMessage:
    store = await store_with_session(tmp_path)
    await store.fill_outbox(SESSION, [cue("dr-okafor", channel="zoom_chat")])
    (row,) = await store.list_messages(SESSION)
    return row


async def test_chat_sends_text_as_the_bot_user(tmp_path: Path) -> None:
    client = ChatClient(result={"id": "chat-msg-1"})
    row = await _row(tmp_path)
    assert await ZoomChatChannel(client, "bot@example.edu").send(row, RENDERED) == "chat-msg-1"
    assert client.calls == [("bot@example.edu", "dr-okafor@example.edu", RENDERED.text)]
    assert (await ZoomChatChannel(ChatClient(result=None), "bot@example.edu").send(row, RENDERED)).startswith(
        "zoom-chat:"
    )

    class Sent:  # shaped like the Zoom client's ChatMessageSent
        id = "chat-msg-2"

    assert (
        await ZoomChatChannel(ChatClient(result=Sent()), "bot@example.edu").send(row, RENDERED)
        == "chat-msg-2"
    )


@pytest.mark.parametrize(
    ("error", "expected", "retry_after"),
    [
        (ZoomError(429, 3.0), TransientSendError, 3.0),
        (ZoomError(502), TransientSendError, None),
        (ZoomError(None), TransientSendError, None),
        (ConnectionResetError("reset"), TransientSendError, None),
        (ZoomError(404), PermanentSendError, None),
        (TransientSendError("already sorted", 9.0), TransientSendError, 9.0),
        ("daily-limit", TransientSendError, 7200.0),  # built in the test: it holds a wall time
    ],
)
async def test_chat_errors_are_sorted(
    tmp_path: Path, error: Exception | str, expected: type[Exception], retry_after: float | None
) -> None:
    if error == "daily-limit":
        error = ZoomError(429, resume_at=datetime.now(UTC) + timedelta(hours=2))
    assert isinstance(error, Exception)
    row = await _row(tmp_path)
    with pytest.raises(expected) as caught:
        await ZoomChatChannel(ChatClient(error=error), "bot@example.edu").send(row, RENDERED)
    if isinstance(caught.value, TransientSendError):
        assert caught.value.retry_after == pytest.approx(retry_after, abs=5)


def test_chat_needs_a_user() -> None:
    with pytest.raises(ValueError, match="ZOOM_CHAT_USER"):
        ZoomChatChannel(ChatClient(), "")


async def test_console_hands_messages_to_sync_or_async_callbacks(tmp_path: Path) -> None:
    row = await _row(tmp_path)
    seen: list[str] = []

    async def collect(msg: OutboxMessage, rendered: Rendered) -> None:
        seen.append(rendered.text)

    channel = ConsoleChannel(collect)
    provider_id = await channel.send(row, RENDERED)
    assert seen == [RENDERED.text] and provider_id.startswith("console:")
    assert [m.key for m, _ in channel.sent] == [row.key]
    await ConsoleChannel(lambda m, r: seen.append(r.subject)).send(row, RENDERED)
    assert seen[-1] == "Heads-up"  # sync callbacks are fine too
