"""The runner: drains the outbox at the right moments, cues first, and survives restarts.

The database is the truth. At start the runner puts back anything a crash left in `sending`
(those messages were not confirmed, so they go again: the documented at-least-once window),
then asks the store for the next due time and sets one APScheduler timer for it. When the
timer rings, the clock jumps, or `poke()` is called (a new row), it claims due rows atomically,
per lane: cues first, in their own lane with their own capacity, then bulk mail. Each claimed
row is then delivered (`deliver.py`: checked, rendered, sent within its channel's concurrency
limit, where cues are served first and a slot is kept free for them, retried with backoff
until its deadline). Cues are also rendered `prepare_ahead` before they fall due
(`prepared.py`: the rows stay pending until due, so this is a cache, not a state), so when
hundreds fall due at once only the send and the (batched, `marks.py`) confirmation remain;
the timer therefore also wakes the runner that long before the next cue, and before a large
burst it runs the garbage collector in the quiet instead of letting it pause the burst.
Nothing here polls: between wake-ups the process sleeps.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import random
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from facilitator.clock import Clock, ManualClock
from facilitator.delivery.channels.base import Channel
from facilitator.delivery.deliver import Deliverer, RenderFn, SkipFn
from facilitator.delivery.events import DeliveryEvent
from facilitator.delivery.limiter import PriorityLimiter
from facilitator.delivery.prepared import PreparedRenders, yield_once
from facilitator.delivery.retry import BULK_RETRY, CUE_RETRY, RetryPolicy
from facilitator.delivery.timer import WakeTimer
from facilitator.delivery.trouble import StoreTrouble
from facilitator.schedule.model import Lane
from facilitator.store.base import OutboxMessage, Store

__all__ = ["DeliveryEvent", "Runner"]

log = logging.getLogger(__name__)

LANES = (Lane.CUE.value, Lane.BULK.value)  # claim order: cues first
DEFAULT_LANE_CAPACITY = {Lane.CUE.value: 32, Lane.BULK.value: 64}
DEFAULT_CONCURRENCY = 8  # sends at once per channel, unless the channel or caller says
WAKE_EPSILON = 0.001  # seconds: wake just after the due time, never just before it
DEFAULT_PREPARE_AHEAD = timedelta(seconds=10)  # cues are rendered this long before they are due
GC_BEFORE_BURST = 100  # cues prepared at once that make a burst worth a collection before it
GC_QUIET_SECONDS = 1.0  # real seconds that must remain before the next cue to collect


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
        prepare_ahead: timedelta = DEFAULT_PREPARE_AHEAD,
        note: Callable[[str], None] | None = None,
    ) -> None:
        self.store = store
        self._note = note or (lambda text: log.warning("%s", text))
        self._trouble = StoreTrouble(self._note)
        self.clock = clock
        self._lane_capacity = {**DEFAULT_LANE_CAPACITY, **(lane_capacity or {})}
        limiters = {
            name: PriorityLimiter.for_channel(
                (concurrency or {}).get(name) or getattr(ch, "max_concurrency", None) or DEFAULT_CONCURRENCY
            )
            for name, ch in channels.items()
        }
        self._prepared = PreparedRenders(render, Lane.CUE.value, prepare_ahead)
        self._deliverer = Deliverer(
            store,
            clock,
            channels,
            render,
            should_skip,
            on_event,
            limiters=limiters,
            policies={Lane.CUE.value: CUE_RETRY, Lane.BULK.value: BULK_RETRY, **(policies or {})},
            send_timeout=send_timeout,
            rng=rng or random.Random(),
            prepared=self._prepared,
            poke=self.poke,
        )
        self._timer = WakeTimer(self.poke)
        self._in_flight = dict.fromkeys(LANES, 0)
        self._starved = dict.fromkeys(LANES, False)  # lane was full while rows were due
        self._tasks: set[asyncio.Task[None]] = set()
        self._pump_task: asyncio.Task[None] | None = None
        self._prepare_task: asyncio.Task[None] | None = None
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
        them, leaving their rows in `sending` exactly as a crash would (a send its channel had
        already confirmed is still marked sent). Renders prepared ahead are simply dropped."""
        self._running = False
        if self._unsubscribe is not None:
            self._unsubscribe()
        self._timer.stop()
        if self._pump_task is not None:
            await asyncio.gather(self._pump_task, return_exceptions=True)
        if self._prepare_task is not None:
            self._prepare_task.cancel()
            await asyncio.gather(self._prepare_task, return_exceptions=True)
        if self._tasks and graceful:
            await asyncio.wait(set(self._tasks), timeout=timeout)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._deliverer.settle()  # what a channel confirmed is written, even on a hard stop

    @property
    def in_flight(self) -> int:
        """Messages claimed and not yet finished (sent, retried, failed, ...)."""
        return sum(self._in_flight.values())

    @property
    def busy(self) -> bool:
        """Anything under way: a claim, a delivery, or cues being prepared."""
        return bool(self._tasks) or any(
            t is not None and not t.done() for t in (self._pump_task, self._prepare_task)
        )

    @property
    def prepared(self) -> int:
        """Cue renders made ahead and not yet used."""
        return len(self._prepared)

    def forget_prepared(self, session_id: str | None = None) -> None:
        """Drop cue renders made ahead for a session (or all), e.g. when its join links change;
        they are made again before they are due, or at the latest when due."""
        self._prepared.forget(session_id)
        self.poke()

    async def next_wake(self) -> datetime | None:
        """The next (virtual) moment the runner has work: a row falls due or cues are to be
        prepared; None when nothing is pending. At or before now: there is work now."""
        now = self.clock.now()
        times = [await self.store.next_due(), await self._prepared.next_start(self.store, now)]
        return min((t for t in times if t is not None), default=None)

    def poke(self) -> None:
        """Something changed (a new row, a clock jump, a timer): look at the outbox again.
        Call it from the event loop's thread (it is also the clock's jump callback)."""
        if not self._running:
            return
        self._dirty = True
        if self._trouble.backing_off():  # the database refuses work: only the timer retries
            return
        if self._pump_task is None or self._pump_task.done():
            self._pump_task = asyncio.get_running_loop().create_task(self._pump())

    # test and simulation helpers
    async def wait_idle(self) -> None:
        """Return when nothing is in flight and nothing due now is left unclaimed."""
        if not self._running:
            raise RuntimeError("the runner is not running")
        while True:
            running = (self._pump_task, self._prepare_task)
            busy = [t for t in running if t is not None and not t.done()] + list(self._tasks)
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
        """Move through every wake-up up to `until` (a manual clock is advanced step by step)."""
        while True:
            await self.wait_idle()
            wake = await self.next_wake()
            if wake is None or wake > until:
                break
            await self._advance_to(wake)
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
                prepare_at = await self._prepared.next_start(self.store, now)
                if prepare_at is not None and prepare_at <= now:
                    self._start_preparing(now)
                await self._arm(now, prepare_at)
                if self._trouble.failures:
                    await self._recovered(now)
        except Exception as exc:  # a full disk, a locked or damaged file: back off, never spin
            self._timer.arm(self._trouble.failed(exc))

    async def _recovered(self, now: datetime) -> None:
        """The database works again. Rows whose delivery died on a store error are still
        `sending`; once nothing is in flight every `sending` row is such a one: put them back."""
        if self._tasks:
            return
        requeued = await self.store.recover_sending(at=now)
        self._trouble.recovered(requeued)
        if requeued:
            self._dirty = True

    async def _arm(self, claimed_at: datetime, prepare_at: datetime | None) -> None:
        """Set the timer for the next due row, or for the next preparation if that comes first."""
        due = await self.store.next_due()
        if due is not None and due > claimed_at and due <= self.clock.now():
            self._dirty = True  # became due while we were claiming: go round again
            return
        wake = due
        if prepare_at is not None and prepare_at > claimed_at:  # (if not, it is under way)
            wake = prepare_at if wake is None else min(wake, prepare_at)
        if wake is None:
            self._timer.disarm()
            return
        seconds = self.clock.real_seconds_until(wake)
        if seconds is None:  # manual clock: the next advance will poke us
            self._timer.disarm()
        elif seconds > 0:
            self._timer.arm(seconds + WAKE_EPSILON)
        # seconds == 0 and not claimed: its lane is full; a finishing delivery pokes us

    def _start_preparing(self, now: datetime) -> None:
        if self._prepare_task is None or self._prepare_task.done():
            self._prepare_task = asyncio.get_running_loop().create_task(self._prepare(now))

    async def _prepare(self, now: datetime) -> None:
        try:
            made = await self._prepared.fill(self.store, now, pause=yield_once)
            if made >= GC_BEFORE_BURST:
                await self._collect_before_burst()
        except Exception:
            log.exception("preparing cues failed; they will be rendered when due")
        self.poke()  # the next preparation time has moved on (and the clock too): look again

    async def _collect_before_burst(self) -> None:
        """Many cues are about to fall due together: run the cyclic garbage collector now, in
        the quiet before them, rather than wherever it would choose. A full collection walks
        every live object (tens of milliseconds with hundreds of sessions loaded) and, landing
        in the burst, would hold up every cue behind it; after one, the next is a quarter of
        the heap of new long-lived objects away, far more than a burst creates."""
        if self._in_flight[Lane.CUE.value]:
            return  # cues are going out right now: never pause them
        soonest = await self.store.next_due_after(Lane.CUE.value, self.clock.now())
        seconds = None if soonest is None else self.clock.real_seconds_until(soonest)
        if seconds is not None and seconds >= GC_QUIET_SECONDS:
            gc.collect()

    def _spawn(self, row: OutboxMessage) -> None:
        self._in_flight[row.lane] += 1
        task = asyncio.get_running_loop().create_task(self._deliverer.deliver(row))
        self._tasks.add(task)

        def done(t: asyncio.Task[None]) -> None:
            self._tasks.discard(t)
            self._in_flight[row.lane] -= 1
            if not t.cancelled() and t.exception() is not None:
                log.error("delivery of message %s crashed", row.id, exc_info=t.exception())
                self._trouble.failures = max(self._trouble.failures, 1)  # its row waits in `sending`
            # Refill a full lane once half of it is free: one claim per batch, not per message.
            lane = row.lane
            if self._starved[lane] and self._in_flight[lane] <= self._lane_capacity[lane] // 2:
                self.poke()

        task.add_done_callback(done)
