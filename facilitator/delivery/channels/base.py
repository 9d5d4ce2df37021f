"""What every delivery channel is: one coroutine that sends a rendered message, or says why not.

A channel reports failure in exactly two ways, because the runner needs exactly one decision:
`TransientSendError` (try again later; `retry_after` passes on the provider's hint in seconds,
`channel_down` says the channel as a whole is unreachable) or `PermanentSendError` (trying
again cannot help: bad address, rejected recipient). Anything else a channel raises is treated
as transient: a bug in one channel must not stop the runner.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from facilitator.store.base import OutboxMessage


@dataclass(frozen=True)
class Rendered:
    """A message ready to send: subject (email only), plain text, optional HTML, and optionally
    an iCalendar invitation (METHOD:REQUEST or CANCEL) that email attaches; other channels
    leave it out."""

    subject: str
    text: str
    html: str | None = None
    calendar: bytes | None = None
    # Email only, from the session's plan: the From name (the course), Reply-To (the director),
    # and a one-click opt-out URL (students: List-Unsubscribe). None: the channel's defaults.
    sender_name: str | None = None
    reply_to: str | None = None
    unsubscribe_url: str | None = None


class SendError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TransientSendError(SendError):
    """Worth retrying: connection refused, timeout, 4xx SMTP reply, HTTP 429/5xx.

    `channel_down` says the whole channel is unreachable (not just this message refused): the
    runner then retries all of that channel's waiting messages together, in due order, once it
    is back, instead of each on its own schedule.
    """

    def __init__(self, reason: str, retry_after: float | None = None, *, channel_down: bool = False) -> None:
        super().__init__(reason)
        self.retry_after = retry_after
        self.channel_down = channel_down


class PermanentSendError(SendError):
    """Retrying cannot help: the message fails now with this reason."""


@runtime_checkable
class Channel(Protocol):
    async def send(self, msg: OutboxMessage, rendered: Rendered) -> str:
        """Deliver, returning the provider's message id; raise a `SendError` subclass on failure."""
        ...


def key_digest(key: str, length: int = 32) -> str:
    """A stable, opaque fingerprint of an idempotency key (Message-IDs, webhook ids)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:length]
