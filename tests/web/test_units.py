"""Small pure pieces: password hashes, redirects, log redaction, CSV cells, the hub, the rate limiter."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from facilitator.clock import ManualClock
from facilitator.web.access_log import redact_path
from facilitator.web.auth import LoginThrottle, hash_password, safe_next, verify_password
from facilitator.web.exports import safe_cell
from facilitator.web.hub import EventHub, room_topic, session_topic
from facilitator.web.ratelimit import SlidingWindowLimiter


def test_password_hash_roundtrip_and_salt() -> None:
    h = hash_password("s3cret")
    assert h.startswith("scrypt$") and h != hash_password("s3cret")
    assert verify_password("s3cret", h) and not verify_password("s3cret!", h)
    assert not verify_password("s3cret", "garbage") and not verify_password("s3cret", "md5$x$y$z$a$b")


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/sessions/x", "/sessions/x"),
        ("//evil.example", "/"),
        ("https://evil.example", "/"),
        ("/\\evil", "/"),
        (None, "/"),
        ("", "/"),
    ],
)
def test_safe_next(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected


def test_redact_path() -> None:
    assert redact_path("/b/eyJ.abc.def") == "/b/<token>"
    assert redact_path("/f/eyJ.abc.def/events") == "/f/<token>/events"
    assert redact_path("/sessions/x") == "/sessions/x"


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_formula_cells_are_defused(text: str) -> None:
    assert safe_cell(text) == "'" + text
    assert safe_cell("plain =1") == "plain =1"


def test_login_throttle_doubles() -> None:
    now = [0.0]
    t = LoginThrottle(free_failures=3, monotonic=lambda: now[0])
    t.failed()
    t.failed()
    assert t.retry_after() == 0
    t.failed()
    assert t.retry_after() == 1.0
    t.failed()
    assert t.retry_after() == 2.0
    now[0] += 2.0
    assert t.retry_after() == 0
    t.succeeded()
    t.failed()
    assert t.retry_after() == 0


def test_sliding_window() -> None:
    clock = ManualClock(datetime(2027, 1, 1, tzinfo=UTC))
    limiter = SlidingWindowLimiter(clock.now)
    assert [limiter.try_acquire("a", 2) for _ in range(3)][:2] == [0.0, 0.0]
    assert limiter.try_acquire("a", 2) == 60.0
    clock.advance(timedelta(seconds=30))
    assert limiter.try_acquire("a", 2) == 30.0
    assert limiter.try_acquire("b", 2) == 0.0
    clock.advance(timedelta(seconds=31))
    assert limiter.try_acquire("a", 2) == 0.0


async def test_hub_fanout_dedup_and_overflow() -> None:
    hub = EventHub(queue_limit=3)
    room = hub.subscribe([room_topic("s", "g1")])
    director = hub.subscribe([session_topic("s"), room_topic("s", "g1")])
    other = hub.subscribe([room_topic("s", "g2")])
    assert hub.publish_room("s", "g1", "contribution", {"id": 1}) == 2
    assert len(await director.next_batch()) == 1  # subscribed twice over, delivered once
    waiting = asyncio.ensure_future(other.next_batch())
    await asyncio.sleep(0)
    assert not waiting.done()  # nothing for this room
    hub.ping()
    assert await asyncio.wait_for(waiting, 1) == []  # a keepalive wake-up
    for i in range(4):
        hub.publish_room("s", "g1", "contribution", {"id": i})
    assert room.overflowed and await room.next_batch() == []
    hub.unsubscribe(room)
    assert hub.subscriber_count(room_topic("s", "g1")) == 1
    waiting = asyncio.ensure_future(other.next_batch())
    await asyncio.sleep(0)
    hub.close()
    assert await asyncio.wait_for(waiting, 1) == []  # woken at once on shutdown
