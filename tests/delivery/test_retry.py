"""Backoff and give-up decisions: pure functions, table-tested."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from facilitator.delivery.retry import (
    BULK_RETRY,
    CUE_RETRY,
    ChannelRounds,
    GiveUp,
    RetryAt,
    RetryPolicy,
    backoff,
    decide_retry,
    human_duration,
    retry_delay,
    stale_on_claim,
)
from facilitator.store.base import MessageStatus

NOW = datetime(2025, 3, 4, 15, 0, tzinfo=UTC)
P = RetryPolicy(base=timedelta(seconds=10), cap=timedelta(seconds=60), jitter=0.5)


@pytest.mark.parametrize(
    ("attempt", "rand", "seconds"),
    [
        (1, 0.0, 10),  # first retry: the base
        (2, 0.0, 20),
        (3, 0.0, 40),
        (4, 0.0, 60),  # capped
        (9, 0.0, 60),
        (1, 0.999999, 5.00001),  # jitter takes off up to half
        (3, 0.5, 30),
    ],
)
def test_backoff(attempt: int, rand: float, seconds: float) -> None:
    assert backoff(attempt=attempt, policy=P, rand=rand).total_seconds() == pytest.approx(seconds, abs=1e-3)


def test_cues_retry_faster_than_bulk() -> None:
    assert backoff(attempt=1, policy=CUE_RETRY, rand=0) < backoff(attempt=1, policy=BULK_RETRY, rand=0)
    assert CUE_RETRY.cap < timedelta(minutes=1)


@pytest.mark.parametrize(
    ("retry_after", "seconds"),
    [(None, 20), (120.0, 120), (0.0, 1)],  # Retry-After wins, but never a hot loop
)
def test_retry_delay(retry_after: float | None, seconds: float) -> None:
    delay = retry_delay(attempt=2, retry_after=retry_after, policy=P, rand=0.0)
    assert delay == timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("lane", "next_s", "expected"),
    [
        ("bulk", 20, RetryAt(NOW + timedelta(seconds=20))),
        ("bulk", 61, MessageStatus.FAILED),
        ("cue", 60, RetryAt(NOW + timedelta(seconds=60))),  # exactly at the deadline is in time
        ("cue", 61, MessageStatus.EXPIRED),
    ],
)
def test_decide_retry(lane: str, next_s: int, expected: RetryAt | MessageStatus) -> None:
    decision = decide_retry(
        lane=lane,
        attempts=2,
        next_try=NOW + timedelta(seconds=next_s),
        deadline=NOW + timedelta(seconds=60),
        error="421 try later",
    )
    if isinstance(expected, RetryAt):
        assert decision == expected
    else:
        assert isinstance(decision, GiveUp) and decision.status is expected
        assert "421 try later" in decision.reason and "2 attempts" in decision.reason


def test_channel_rounds_share_one_probe_time_and_back_off() -> None:
    rounds = ChannelRounds()

    def fail(at_s: float, retry_after: float | None = None, lane: str = "bulk") -> float:
        probe = rounds.next_probe(
            channel="email",
            lane=lane,
            now=NOW + timedelta(seconds=at_s),
            retry_after=retry_after,
            policy=P,
            rand=0.0,
        )
        return (probe - NOW).total_seconds()

    assert fail(0) == 10  # round 1 opens: probe in 10 s
    assert fail(4) == 10  # a failure during round 1 joins it
    assert fail(10) == 30  # the probe failed: round 2, twice the wait
    assert fail(12) == 30
    assert fail(30, retry_after=45) == 75  # the provider asks for longer: honoured
    assert fail(0, lane="cue") == 10  # lanes have their own rounds
    assert rounds.is_down("email") and not rounds.is_down("webhook")
    rounds.reset("email")
    assert not rounds.is_down("email")
    assert fail(100) == 110  # after recovery the next outage starts from the base again


@pytest.mark.parametrize(
    ("lane", "prior", "late_s", "last_error", "expected", "words"),
    [
        ("cue", 0, -1, None, None, ""),
        ("cue", 0, 0, None, None, ""),  # exactly at the deadline is still in time
        ("cue", 0, 95, None, MessageStatus.EXPIRED, "1 min 35 s past its grace"),
        ("bulk", 0, 7200, None, MessageStatus.EXPIRED, "deadline passed 2 h"),
        (
            "bulk",
            3,
            5,
            "connection refused",
            MessageStatus.FAILED,
            "after 3 attempts; last error: connection",
        ),
    ],
)
def test_stale_on_claim(
    lane: str, prior: int, late_s: int, last_error: str | None, expected: MessageStatus | None, words: str
) -> None:
    verdict = stale_on_claim(
        lane=lane,
        prior_attempts=prior,
        now=NOW + timedelta(seconds=late_s),
        deadline=NOW,
        last_error=last_error,
    )
    if expected is None:
        assert verdict is None
    else:
        assert verdict is not None and verdict.status is expected and words in verdict.reason


@pytest.mark.parametrize(
    ("seconds", "text"), [(5, "5 s"), (60, "1 min"), (95, "1 min 35 s"), (3600, "1 h"), (5400, "1 h 30 min")]
)
def test_human_duration(seconds: int, text: str) -> None:
    assert human_duration(timedelta(seconds=seconds)) == text
