"""When the database refuses work (a full disk, a locked or damaged file): back off, say so once.

The runner's pump claims and re-arms through the store; when that raises, trying again at once
would spin (one trial logged 139,424 failures in 150 s). Instead the runner waits, doubling the
wait up to a minute, claims nothing meanwhile, reports the trouble once a minute, and says when
the database accepts writes again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from facilitator.delivery.events import describe_error

log = logging.getLogger(__name__)

STORE_RETRY_FIRST = 1.0  # real seconds before the first retry when the database refuses work
STORE_RETRY_MAX = 60.0  # ... doubling up to this
COMPLAIN_EVERY = 60.0  # real seconds between two reports that the database still refuses work


class StoreTrouble:
    """The database refusing work (disk full, file locked or damaged): how long to wait before
    trying again (doubling, up to a minute), and saying so once a minute, not once per try."""

    def __init__(self, note: Callable[[str], None]) -> None:
        self._note = note
        self.failures = 0
        self._retry_at = 0.0  # time.monotonic() before which only the timer may retry
        self._said_at: float | None = None

    def backing_off(self) -> bool:
        return self.failures > 0 and time.monotonic() < self._retry_at

    def failed(self, exc: BaseException) -> float:
        """Record a failure; returns the seconds to wait before the next try."""
        self.failures += 1
        delay: float = min(STORE_RETRY_FIRST * 2.0 ** (self.failures - 1), STORE_RETRY_MAX)
        now = time.monotonic()
        self._retry_at = now + delay
        if self._said_at is None or now - self._said_at >= COMPLAIN_EVERY:
            self._said_at = now
            self._note(
                f"the database refuses work ({describe_error(exc)}); nothing is claimed until it "
                f"accepts writes again; next try in {delay:.0f} s"
            )
            log.debug("outbox pump failed", exc_info=exc)
        return delay

    def recovered(self, requeued: int) -> None:
        if self._said_at is not None:
            extra = f"; {requeued} message(s) it held up go out now" if requeued else ""
            self._note(f"the database accepts writes again; delivery resumes{extra}")
        self.failures, self._said_at, self._retry_at = 0, None, 0.0
