"""Console channel: hands each message to a callback (the simulation prints or collects them).

It never fails on its own, which makes it the reference channel for tests of the runner.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable

from facilitator.delivery.channels.base import Rendered, key_digest
from facilitator.store.base import OutboxMessage

ConsoleCallback = Callable[[OutboxMessage, Rendered], Awaitable[None] | None]


def print_message(msg: OutboxMessage, rendered: Rendered) -> None:
    print(f"[{msg.channel} → {msg.recipient}] {rendered.subject}\n{rendered.text}\n")


class ConsoleChannel:
    def __init__(self, callback: ConsoleCallback = print_message, *, max_concurrency: int = 16) -> None:
        self._callback = callback
        self.max_concurrency = max_concurrency
        self.sent: list[tuple[OutboxMessage, Rendered]] = []

    async def send(self, msg: OutboxMessage, rendered: Rendered) -> str:
        result = self._callback(msg, rendered)
        if inspect.isawaitable(result):
            await result
        self.sent.append((msg, rendered))
        return f"console:{key_digest(msg.key, 16)}"
