"""Telling clients apart in memory without keeping who they are.

Some limits must be per client, or one person can spend everyone's allowance: failed sign-ins
(else anyone can lock the director out), event streams, chat senders on the board. The app
keeps no addresses, emails or Zoom ids, so each is replaced by a keyed hash whose key is random
per process and never written anywhere: the hashes cannot be reversed or linked across restarts,
and they live only in these bounded in-memory tables.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from aiohttp import web

from facilitator.web.auth import LoginThrottle

T = TypeVar("T")

_PROCESS_KEY = secrets.token_bytes(32)


def pseudonym(kind: str, identity: str) -> str:
    """A keyed hash of `identity` (an address, a sender's email) for in-memory keys only."""
    return hmac.new(_PROCESS_KEY, f"{kind}\0{identity}".encode(), hashlib.sha256).hexdigest()[:32]


def client_key(request: web.Request) -> str:
    """The pseudonym of the connection's peer address (what a proxy in front would share)."""
    return pseudonym("client", request.remote or "unknown")


class Bounded(Generic[T]):
    """At most `limit` entries, least recently used dropped first; `factory` makes new ones."""

    def __init__(self, factory: Callable[[], T], limit: int = 10_000) -> None:
        self._factory = factory
        self.limit = limit
        self._items: OrderedDict[str, T] = OrderedDict()

    def get(self, key: str) -> T:
        item = self._items.get(key)
        if item is None:
            item = self._items[key] = self._factory()
            while len(self._items) > self.limit:
                self._items.popitem(last=False)
        else:
            self._items.move_to_end(key)
        return item

    def __len__(self) -> int:
        return len(self._items)


class SignInThrottle:
    """Failed sign-ins slowed down per client, so a stranger's wrong passwords lock out only them.

    Each client (by pseudonymous address) gets its own LoginThrottle: three free failures, then
    1 s, 2 s, 4 s ... up to 15 minutes. A client's failures are forgotten after a quiet period as
    long as the cap, so an occasional typo never accumulates into a lockout.
    """

    def __init__(self, monotonic: Callable[[], float] = time.monotonic, limit: int = 10_000) -> None:
        self._monotonic = monotonic
        self._clients: Bounded[_Client] = Bounded(lambda: _Client(LoginThrottle(monotonic=monotonic)), limit)

    def _client(self, client: str) -> _Client:
        entry = self._clients.get(client)
        if entry.throttle.failures and self._monotonic() - entry.last_failure > entry.throttle.cap_seconds:
            entry.throttle.succeeded()
        return entry

    def retry_after(self, client: str) -> float:
        return self._client(client).throttle.retry_after()

    def failed(self, client: str) -> None:
        entry = self._client(client)
        entry.throttle.failed()
        entry.last_failure = self._monotonic()

    def succeeded(self, client: str) -> None:
        self._client(client).throttle.succeeded()


@dataclass
class _Client:
    throttle: LoginThrottle
    last_failure: float = 0.0
