"""Zoom Team Chat: a facilitator's cue as a chat message from the bot's Zoom user.

Team Chat reaches only users of the same Zoom account, so it is for facilitators, never
students. The Zoom client is passed in (anything with `send_chat_message(user, to_contact,
message)`), so this module knows nothing about OAuth or rate limits; it only sorts the
client's errors into "try again" and "give up".
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from facilitator.delivery.channels.base import (
    PermanentSendError,
    Rendered,
    SendError,
    TransientSendError,
    key_digest,
)
from facilitator.store.base import OutboxMessage


class ChatSender(Protocol):
    async def send_chat_message(self, user: str, to_contact: str, message: str) -> Any: ...


class ZoomChatChannel:
    """Sends `rendered.text` as `user` (settings.zoom_chat_user, e.g. the bot's email) to the recipient."""

    def __init__(self, client: ChatSender, user: str, *, max_concurrency: int = 4) -> None:
        if not user:
            raise ValueError("the Zoom chat channel needs a sending user (ZOOM_CHAT_USER)")
        self._client = client
        self._user = user
        self.max_concurrency = max_concurrency

    async def send(self, msg: OutboxMessage, rendered: Rendered) -> str:
        try:
            result = await self._client.send_chat_message(self._user, msg.recipient, rendered.text)
        except SendError:
            raise
        except Exception as exc:  # the client's own error types: sorted by what they carry
            raise classify_client_error(exc) from exc
        return _message_id(result, msg.key)


def classify_client_error(exc: Exception) -> TransientSendError | PermanentSendError:
    """HTTP status on the error decides: 429 and 5xx (and no status: network) retry, other 4xx fail."""
    status = _int_attr(exc, "status") or _int_attr(exc, "status_code")
    hint = _retry_hint(exc)
    text = str(exc).strip() or type(exc).__name__
    if status is None or status == 429 or status >= 500:
        prefix = f"Zoom chat HTTP {status}" if status else "Zoom chat request failed"
        return TransientSendError(f"{prefix}: {text}", retry_after=hint, channel_down=True)
    return PermanentSendError(f"Zoom chat refused the message (HTTP {status}): {text}")


def _retry_hint(exc: Exception) -> float | None:
    """Seconds to wait, from `retry_after` (seconds) or `resume_at` (a daily limit's reset time)."""
    retry_after = getattr(exc, "retry_after", None)
    if isinstance(retry_after, int | float) and not isinstance(retry_after, bool):
        return float(retry_after)
    resume_at = getattr(exc, "resume_at", None)
    if isinstance(resume_at, datetime) and resume_at.tzinfo is not None:
        return max(0.0, (resume_at - datetime.now(UTC)).total_seconds())
    return None


def _int_attr(obj: object, name: str) -> int | None:
    value = getattr(obj, name, None)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _message_id(result: object, key: str) -> str:
    if isinstance(result, str) and result:
        return result
    if isinstance(result, Mapping) and result.get("id"):
        return str(result["id"])
    ident = getattr(result, "id", None)  # e.g. the Zoom client's ChatMessageSent model
    if isinstance(ident, str) and ident:
        return ident
    return f"zoom-chat:{key_digest(key)}"
