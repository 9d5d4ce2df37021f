"""The runner: drains the outbox at the right moments, cues first, and survives restarts.

The database is the truth. At start the runner puts back anything a crash left in `sending`
(those messages were not confirmed, so they go again: the documented at-least-once window),
then asks the store for the next due time and sets one APScheduler timer for it. When the
timer rings, the clock jumps, or `poke()` is called (a new row), it claims due rows atomically,
per lane: cues first, in their own lane with their own capacity, then bulk mail. Each claimed
row is checked (stale? skip?), rendered, and sent through its channel within that channel's
concurrency limit, where cues are served first and a slot is kept free for them.
A failure is retried with backoff until the row's deadline; a render error fails only that
row. Nothing here polls: between due times the process sleeps.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime

from facilitator.clock import Clock, ManualClock
from facilitator.delivery.channels.base import Channel, PermanentSendError, Rendered, TransientSendError
from facilitator.delivery.events import DeliveryEvent, describe_error
from facilitator.delivery.limiter import PriorityLimiter
from facilitator.delivery.retry import (
    BULK_RETRY,
    CUE_RETRY,
    ChannelRounds,
    GiveUp,
    RetryAt,
    RetryPolicy,
    decide_retry,
    retry_delay,
    stale_on_claim,
)
from facilitator.delivery.timer import WakeTimer
from facilitator.schedule.model import Lane
from facilitator.store.base import MessageStatus, OutboxMessage, Store

__all__ = ["DeliveryEvent", "Runner"]

log = logging.getLogger(__name__)

LANES = (Lane.CUE.value, Lane.BULK.value)  # claim order: cues first
DEFAULT_LANE_CAPACITY = {Lane.CUE.value: 32, Lane.BULK.value: 64}
DEFAULT_CONCURRENCY = 8  # sends at once per channel, unless the channel or caller says
WAKE_EPSILON = 0.001  # seconds: wake just after the due time, never just before it

RenderFn = Callable[[OutboxMessage], Awaitable[Rendered]]
SkipFn = Callable[[OutboxMessage], Awaitable[str | None]]


class Runner:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        channels: Mapping[str, Channel],
        render: RenderFn,
        should_skip: SkipFn | None = None,
        on_event: Callable[[DeliveryEvent], None] | None = None,
        *,
        concurrency: Mapping[str, int] | None = None,
        lane_capacity: Mapping[str, int] | None = None,
        policies: Mapping[str, RetryPolicy] | None = None,
        send_timeout: float = 120.0,
        rng: random.Random | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self._channels = dict(channels)
        self._render = render
        self._should_skip = should_skip
        self._on_event = on_event
        self._lane_capacity = {**DEFAULT_LANE_CAPACITY, **(lane_capacity or {})}
        self._policies = {Lane.CUE.value: CUE_RETRY, Lane.BULK.value: BULK_RETRY, **(policies or {})}
        self._send_timeout = send_timeout
        self._rng = rng or random.Random()
        self._limiters = {
            name: PriorityLimiter.for_channel(
                (concurrency or {}).get(name) or getattr(ch, "max_concurrency", None) or DEFAULT_CONCURRENCY
            )
            for name, ch in self._channels.items()
        }
        self._timer = WakeTimer(self.poke)
        self._in_flight = dict.fromkeys(LANES, 0)
        self._starved = dict.fromkeys(LANES, False)  # lane was full while rows were due
        self._tasks: set[asyncio.Task[None]] = set()
        self._rounds = ChannelRounds()  # channels that are down, and when to probe them
        self._pump_task: asyncio.Task[None] | None = None
        self._dirty = False
        self._running = False
        self._unsubscribe: Callable[[], None] | None = None
        self.recovered = 0

    # lifecycle
    async def start(self) -> None:
        self.recovered = await self.store.recover_sending(at=self.clock.now())
        if self.recovered:
            log.warning("resending %d message(s) left unconfirmed by an earlier stop", self.recovered)
        self._timer = WakeTimer(self.poke)
        self._timer.start()
        self._unsubscribe = self.clock.subscribe(self.poke)
        self._running = True
        self.poke()

    async def stop(self, *, graceful: bool = True, timeout: float = 30.0) -> None:
        """Stop waking up. Graceful: let in-flight sends finish (up to `timeout`). Otherwise cancel
        them, leaving their rows in `sending` exactly as a crash would."""
        self._running = False
        if self._unsubscribe is not None:
            self._unsubscribe()
        self._timer.stop()
        if self._pump_task is not None:
            await asyncio.gather(self._pump_task, return_exceptions=True)
        if self._tasks and graceful:
            await asyncio.wait(set(self._tasks), timeout=timeout)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    @property
    def in_flight(self) -> int:
        """Messages claimed and not yet finished (sent, retried, failed, ...)."""
        return sum(self._in_flight.values())

    def poke(self) -> None:
        """Something changed (a new row, a clock jump, a timer): look at the outbox again.
        Call it from the event loop's thread (it is also the clock's jump callback)."""
        if not self._running:
            return
        self._dirty = True
        if self._pump_task is None or self._pump_task.done():
            self._pump_task = asyncio.get_running_loop().create_task(self._pump())

    # test and simulation helpers
    async def wait_idle(self) -> None:
        """Return when nothing is in flight and nothing due now is left unclaimed."""
        if not self._running:
            raise RuntimeError("the runner is not running")
        while True:
            busy = [t for t in (self._pump_task,) if t is not None and not t.done()] + list(self._tasks)
            if busy:
                await asyncio.wait(busy)
                continue
            due = await self.store.next_due()
            if due is not None and due <= self.clock.now():
                self.poke()
                await asyncio.sleep(0)
                continue
            return

    async def drain_until(self, until: datetime) -> None:
        """Move through every due time up to `until` (a manual clock is advanced step by step)."""
        while True:
            await self.wait_idle()
            due = await self.store.next_due()
            if due is None or due > until:
                break
            await self._advance_to(due)
        await self._advance_to(until)
        await self.wait_idle()

    async def _advance_to(self, when: datetime) -> None:
        if isinstance(self.clock, ManualClock):
            if when > self.clock.now():
                self.clock.set(when)
        else:
            await self.clock.sleep_until(when)
        self.poke()

    # the pump: claim what is due, start deliveries, set the timer
    async def _pump(self) -> None:
        try:
            while self._dirty and self._running:
                self._dirty = False
                now = self.clock.now()
                for lane in LANES:
                    free = self._lane_capacity[lane] - self._in_flight[lane]
                    rows = await self.store.claim_due(now, lane, free) if free > 0 else []
                    self._starved[lane] = free <= 0 or len(rows) == free
                    for row in rows:
                        self._spawn(row)
                await self._arm(now)
        except Exception:
            log.exception("outbox pump failed; trying again in a second")
            self._timer.arm(1.0)

    async def _arm(self, claimed_at: datetime) -> None:
        due = await self.store.next_due()
        if due is None:
            self._timer.disarm()
            return
        if due > claimed_at and due <= self.clock.now():
            self._dirty = True  # became due while we were claiming: go round again
            return
        seconds = self.clock.real_seconds_until(due)
        if seconds is None:  # manual clock: the next advance will poke us
            self._timer.disarm()
        elif seconds > 0:
            self._timer.arm(seconds + WAKE_EPSILON)
        # seconds == 0 and not claimed: its lane is full; a finishing delivery pokes us

    def _spawn(self, row: OutboxMessage) -> None:
        self._in_flight[row.lane] += 1
        task = asyncio.get_running_loop().create_task(self._deliver(row))
        self._tasks.add(task)

        def done(t: asyncio.Task[None]) -> None:
            self._tasks.discard(t)
            self._in_flight[row.lane] -= 1
            if not t.cancelled() and t.exception() is not None:
                log.error("delivery of message %s crashed", row.id, exc_info=t.exception())
            # Refill a full lane once half of it is free: one claim per batch, not per message.
            lane = row.lane
            if self._starved[lane] and self._in_flight[lane] <= self._lane_capacity[lane] // 2:
                self.poke()

        task.add_done_callback(done)

    # one message
    async def _deliver(self, row: OutboxMessage) -> None:
        channel = self._channels.get(row.channel)
        if channel is None:
            return await self._fail(row, f"no {row.channel!r} channel is configured")
        # Everything that costs CPU happens inside the slot, so bulk work pauses while cues go.
        async with self._limiters[row.channel].slot(priority=row.lane == Lane.CUE):
            await self._attempt(row, channel)

    async def _attempt(self, row: OutboxMessage, channel: Channel) -> None:
        now = self.clock.now()
        stale = stale_on_claim(
            lane=row.lane,
            prior_attempts=row.attempts - 1,
            now=now,
            deadline=row.deadline,
            last_error=row.last_error,
        )
        if stale is not None:
            return await self._give_up(row, stale)
        waiting = self._rounds.waiting(channel=row.channel, lane=row.lane, now=now)
        if waiting is not None:  # the channel is down and its next probe is ahead: do not hammer it
            return await self._retry(row, waiting, channel_down=True)
        if self._should_skip is not None:
            try:
                reason = await self._should_skip(row)
            except Exception as exc:
                return await self._retry(row, f"could not check whether to skip: {describe_error(exc)}")
            if reason:
                await self.store.mark_cancelled(row.id, reason, at=self.clock.now())
                return self._emit(row, MessageStatus.CANCELLED, reason)
        try:
            rendered = await self._render(row)
        except Exception as exc:
            return await self._fail(row, f"cannot render template {row.template!r}: {describe_error(exc)}")
        try:
            provider_id = await asyncio.wait_for(channel.send(row, rendered), self._send_timeout)
        except PermanentSendError as exc:
            return await self._fail(row, exc.reason)
        except TransientSendError as exc:
            return await self._retry(row, exc.reason, exc.retry_after, channel_down=exc.channel_down)
        except Exception as exc:  # a channel bug or a timeout: retried, never fatal to the runner
            return await self._retry(row, f"send failed: {describe_error(exc)}")
        now = self.clock.now()
        await self.store.mark_sent(row.id, now, provider_id)
        self._emit(row, MessageStatus.SENT, None, provider_id)
        if self._rounds.is_down(row.channel):  # it works again: its waiting rows go now, in due order
            self._rounds.reset(row.channel)
            if await self.store.expedite_retries(row.channel, now):
                self.poke()

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
            self.poke()  # re-arm the timer for the retry
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
        if self._on_event is None:
            return
        try:
            self._on_event(DeliveryEvent(row, str(outcome), self.clock.now(), detail, provider_id))
        except Exception:
            log.exception("delivery event listener failed")
