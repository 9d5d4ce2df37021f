"""Delivering one claimed outbox row: checked, rendered, sent, and its outcome recorded.

The runner decides *when* (claims, lanes, timers); this decides *how* one row goes. A row is
first checked (past its deadline? its channel down and the next probe still ahead? should it
be skipped?), then rendered, or its render prepared ahead is used, then sent through its
channel within that channel's limit (cues first). A channel's confirmation is recorded after
the limiter slot is handed on, so the next send never waits for a database write; a failure
is retried with backoff until the row's deadline, then `failed` or, for a cue, `expired`. A
render error fails only that row.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta

from facilitator.clock import Clock
from facilitator.delivery.channels.base import Channel, PermanentSendError, Rendered, TransientSendError
from facilitator.delivery.events import DeliveryEvent, describe_error
from facilitator.delivery.limiter import PriorityLimiter
from facilitator.delivery.marks import SentMarks
from facilitator.delivery.prepared import PreparedRenders
from facilitator.delivery.render import SessionNotLoadedError
from facilitator.delivery.retry import (
    ChannelRounds,
    GiveUp,
    RetryAt,
    RetryPolicy,
    decide_retry,
    retry_delay,
    stale_on_claim,
)
from facilitator.schedule.model import Lane
from facilitator.store.base import MessageStatus, OutboxMessage, Store

log = logging.getLogger(__name__)

NOT_LOADED_WAIT = timedelta(seconds=30)  # a row whose session is not loaded yet is looked at again
RenderFn = Callable[[OutboxMessage], Awaitable[Rendered]]
SkipFn = Callable[[OutboxMessage], Awaitable[str | None]]


class Deliverer:
    """Delivers claimed rows one at a time (call `deliver` once per claimed row, concurrently)."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        channels: Mapping[str, Channel],
        render: RenderFn,
        should_skip: SkipFn | None,
        on_event: Callable[[DeliveryEvent], None] | None,
        *,
        limiters: Mapping[str, PriorityLimiter],
        policies: Mapping[str, RetryPolicy],
        send_timeout: float,
        rng: random.Random,
        prepared: PreparedRenders,
        poke: Callable[[], None],
    ) -> None:
        self.store = store
        self.clock = clock
        self._channels = dict(channels)
        self._render = render
        self._should_skip = should_skip
        self._on_event = on_event
        self._limiters = limiters
        self._policies = policies
        self._send_timeout = send_timeout
        self._rng = rng
        self._prepared = prepared
        self._poke = poke  # "look at the outbox again": a retry or a recovered channel
        self._rounds = ChannelRounds()  # channels that are down, and when to probe them
        self._marks = SentMarks(store)

    async def settle(self) -> None:
        """Write every confirmation already received (the runner calls this when stopping)."""
        await self._marks.settle()

    async def deliver(self, row: OutboxMessage) -> None:
        channel = self._channels.get(row.channel)
        if channel is None:
            await self._fail(row, f"no {row.channel!r} channel is configured")
            return
        # Everything that costs CPU happens inside the slot, so bulk work pauses while cues go.
        async with self._limiters[row.channel].slot(priority=row.lane == Lane.CUE):
            provider_id = await self._attempt(row, channel)
        if provider_id is not None:  # confirmed by the channel: record it (the slot is free again)
            await self._confirm(row, provider_id)

    async def _attempt(self, row: OutboxMessage, channel: Channel) -> str | None:
        """Send one claimed row; its provider id when the channel confirmed it, else None (the
        row's outcome is then already recorded)."""
        now = self.clock.now()
        stale = stale_on_claim(
            lane=row.lane,
            prior_attempts=row.attempts - 1,
            now=now,
            deadline=row.deadline,
            last_error=row.last_error,
        )
        if stale is not None:
            await self._give_up(row, stale)
            return None
        waiting = self._rounds.waiting(channel=row.channel, lane=row.lane, now=now)
        if waiting is not None:  # the channel is down and its next probe is ahead: do not hammer it
            await self._retry(row, waiting, channel_down=True)
            return None
        if self._should_skip is not None:
            try:
                reason = await self._should_skip(row)
            except Exception as exc:
                await self._retry(row, f"could not check whether to skip: {describe_error(exc)}")
                return None
            if reason:
                await self.store.mark_cancelled(row.id, reason, at=self.clock.now())
                self._emit(row, MessageStatus.CANCELLED, reason)
                return None
        rendered = self._prepared.take(row.id)
        if rendered is None:
            try:
                rendered = await self._render(row)
            except SessionNotLoadedError as exc:  # put back, untouched by the retry policy
                now = self.clock.now()
                await self.store.mark_retry(row.id, str(exc), now + NOT_LOADED_WAIT, at=now)
                self._emit(row, "retry", str(exc))
                self._poke()
                return None
            except Exception as exc:
                reason = f"cannot render template {row.template!r}: {describe_error(exc)}"
                await self._fail(row, reason)
                return None
        try:
            async with asyncio.timeout(self._send_timeout):  # no extra task per send, unlike wait_for
                provider_id = await channel.send(row, rendered)
        except PermanentSendError as exc:
            await self._fail(row, exc.reason)
            return None
        except TransientSendError as exc:
            await self._retry(row, exc.reason, exc.retry_after, channel_down=exc.channel_down)
            return None
        except Exception as exc:  # a channel bug or a timeout: retried, never fatal to the runner
            await self._retry(row, f"send failed: {describe_error(exc)}")
            return None
        if self._rounds.is_down(row.channel):  # it works again: its waiting rows go now, in due order
            self._rounds.reset(row.channel)  # before the slot is handed on: the next row sees it up
            if await self.store.expedite_retries(row.channel, self.clock.now()):
                self._poke()
        return provider_id

    async def _confirm(self, row: OutboxMessage, provider_id: str) -> None:
        await self._marks.mark(row.id, self.clock.now(), provider_id)
        self._emit(row, MessageStatus.SENT, None, provider_id)

    async def _retry(
        self, row: OutboxMessage, error: str, retry_after: float | None = None, *, channel_down: bool = False
    ) -> None:
        now = self.clock.now()
        policy, rand = self._policies[row.lane], self._rng.random()
        if channel_down:  # join the channel's round: all its waiting rows are tried together
            next_try = self._rounds.next_probe(
                channel=row.channel,
                lane=row.lane,
                now=now,
                retry_after=retry_after,
                policy=policy,
                rand=rand,
                error=error,
            )
        else:
            next_try = now + retry_delay(
                attempt=row.attempts, retry_after=retry_after, policy=policy, rand=rand
            )
        decision = decide_retry(
            lane=row.lane, attempts=row.attempts, next_try=next_try, deadline=row.deadline, error=error
        )
        if isinstance(decision, RetryAt):
            await self.store.mark_retry(row.id, error, decision.when, at=now)
            self._emit(row, "retry", error)
            self._poke()  # re-arm the timer for the retry
        else:
            await self._give_up(row, decision)

    async def _fail(self, row: OutboxMessage, reason: str) -> None:
        await self.store.mark_failed(row.id, reason, at=self.clock.now())
        self._emit(row, MessageStatus.FAILED, reason)

    async def _give_up(self, row: OutboxMessage, decision: GiveUp) -> None:
        now = self.clock.now()
        if decision.status is MessageStatus.EXPIRED:
            await self.store.mark_expired(row.id, decision.reason, at=now)
        else:
            await self.store.mark_failed(row.id, decision.reason, at=now)
        self._emit(row, decision.status, decision.reason)

    def _emit(
        self, row: OutboxMessage, outcome: str, detail: str | None, provider_id: str | None = None
    ) -> None:
        if outcome != "retry":
            self._prepared.discard(row.id)  # settled: a render kept for it is no longer needed
        if self._on_event is None:
            return
        try:
            self._on_event(DeliveryEvent(row, str(outcome), self.clock.now(), detail, provider_id))
        except Exception:
            log.exception("delivery event listener failed")
