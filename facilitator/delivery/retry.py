"""When to try a message again, and when to stop: small pure functions, no I/O, no clock reads.

Two kinds of trouble get two schedules:

* One message refused for now (a 4xx for one recipient): that row backs off on its own,
  exponentially with jitter, capped, or as the provider's `Retry-After` says.
* The channel is down (SMTP refuses connections, the webhook endpoint is gone): every row that
  fails on it joins the channel's current *round* and is retried at the same probe time, the
  rounds backing off like a single message would. When the channel comes back, its waiting rows
  are therefore all due together and go out in due order, not in the order their private
  random timers happened to fire.

A row is never retried past its deadline: cues then expire (a late "move now" misleads), other
messages fail with the last error as the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from facilitator.schedule.model import Lane
from facilitator.store.base import MessageStatus

MIN_RETRY_AFTER = timedelta(seconds=1)


@dataclass(frozen=True)
class RetryPolicy:
    base: timedelta
    cap: timedelta
    factor: float = 2.0
    jitter: float = 0.5  # the delay is scaled by a factor drawn from (1 - jitter, 1]


# Cues have minutes of grace at most: retry quickly. Bulk mail has hours or days: be patient.
CUE_RETRY = RetryPolicy(base=timedelta(seconds=2), cap=timedelta(seconds=20))
BULK_RETRY = RetryPolicy(base=timedelta(seconds=15), cap=timedelta(minutes=10))


@dataclass(frozen=True)
class RetryAt:
    when: datetime


@dataclass(frozen=True)
class GiveUp:
    status: MessageStatus  # EXPIRED or FAILED
    reason: str


def backoff(*, attempt: int, policy: RetryPolicy, rand: float) -> timedelta:
    """Delay before try `attempt + 1`, after `attempt` failed tries; `rand` is uniform in [0, 1)."""
    raw = policy.base * (policy.factor ** max(0, attempt - 1))
    capped = min(raw, policy.cap)
    return capped * (1.0 - policy.jitter * rand)


def retry_delay(*, attempt: int, retry_after: float | None, policy: RetryPolicy, rand: float) -> timedelta:
    """The provider's hint when there is one (but never a hot loop), else backoff."""
    if retry_after is not None:
        return max(timedelta(seconds=retry_after), MIN_RETRY_AFTER)
    return backoff(attempt=attempt, policy=policy, rand=rand)


def decide_retry(
    *, lane: str, attempts: int, next_try: datetime, deadline: datetime, error: str
) -> RetryAt | GiveUp:
    """Retry at `next_try` if that is still within the deadline; otherwise give up, saying why."""
    if next_try <= deadline:
        return RetryAt(next_try)
    tries = f"{attempts} attempt{'s' if attempts != 1 else ''}"
    if lane == Lane.CUE:
        return GiveUp(
            MessageStatus.EXPIRED,
            f"not sent: could not be delivered within its grace ({tries}); last error: {error}",
        )
    return GiveUp(MessageStatus.FAILED, f"gave up at the deadline after {tries}; last error: {error}")


class ChannelRounds:
    """Shared retry times for a channel that is down, per (channel, lane)."""

    def __init__(self) -> None:
        self._rounds: dict[tuple[str, str], tuple[int, datetime]] = {}
        self._errors: dict[str, str] = {}

    def next_probe(
        self,
        *,
        channel: str,
        lane: str,
        now: datetime,
        retry_after: float | None,
        policy: RetryPolicy,
        rand: float,
        error: str = "",
    ) -> datetime:
        """A failure at `now` joins the current round, or opens the next one if that has begun."""
        self._errors[channel] = error or self._errors.get(channel, "")
        streak, probe = self._rounds.get((channel, lane), (0, now))
        if now >= probe:
            streak += 1
            probe = now + retry_delay(attempt=streak, retry_after=None, policy=policy, rand=rand)
        if retry_after is not None:
            probe = max(
                probe, now + retry_delay(attempt=streak, retry_after=retry_after, policy=policy, rand=0)
            )
        self._rounds[(channel, lane)] = (streak, probe)
        return probe

    def is_down(self, channel: str) -> bool:
        return any(c == channel for c, _ in self._rounds)

    def waiting(self, *, channel: str, lane: str, now: datetime) -> str | None:
        """The last error when this round's probe has already failed and the next is still ahead:
        sending now would only fail again, so the message joins the next round untried."""
        current = self._rounds.get((channel, lane))
        if current is None or now >= current[1]:
            return None
        return self._errors.get(channel) or "the channel is down"

    def reset(self, channel: str) -> None:
        """The channel delivered something: it is up again."""
        for key in [k for k in self._rounds if k[0] == channel]:
            del self._rounds[key]
        self._errors.pop(channel, None)


def stale_on_claim(
    *, lane: str, prior_attempts: int, now: datetime, deadline: datetime, last_error: str | None
) -> GiveUp | None:
    """A claimed row whose deadline has already passed is not sent; None when it is still useful."""
    if now <= deadline:
        return None
    late = human_duration(now - deadline)
    if lane == Lane.CUE:
        return GiveUp(MessageStatus.EXPIRED, f"not sent: {late} past its grace; a late cue would mislead")
    if prior_attempts == 0 or last_error is None:
        return GiveUp(MessageStatus.EXPIRED, f"not sent: its deadline passed {late} before it could go out")
    return GiveUp(
        MessageStatus.FAILED,
        f"gave up at the deadline after {prior_attempts} attempts; last error: {last_error}",
    )


def human_duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 60:
        return f"{max(seconds, 0)} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s" if seconds else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"
