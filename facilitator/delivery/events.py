"""What the runner tells its listener (the terminal progress view, the web dashboard)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from facilitator.store.base import OutboxMessage


@dataclass(frozen=True)
class DeliveryEvent:
    """What happened to one message: sent, retry, failed, expired or cancelled."""

    message: OutboxMessage
    outcome: str
    at: datetime  # the runner's clock (virtual in simulations)
    detail: str | None = None  # the reason, for anything but "sent"
    provider_id: str | None = None  # for "sent": the channel's message id


def describe_error(exc: BaseException) -> str:
    """`Type: message`, for reasons stored next to a message and shown to people."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
