"""Rate-limit facts and the pieces of 429 handling, table-tested without a network."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from facilitator.config import ZoomPlan
from facilitator.zoom.errors import ZoomDailyLimit, ZoomRateLimited
from facilitator.zoom.models import ZoomErrorBody
from facilitator.zoom.ratelimit import (
    ENDPOINTS,
    PLAN_LIMITS,
    Category,
    RateLimiter,
    RollingWindow,
    backoff_delay,
    is_daily_limit,
    next_utc_midnight,
    parse_retry_after,
    rate_limit_wait,
)

NOW = datetime(2026, 12, 1, 23, 59, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("2", 2.0),
        ("0", 0.0),
        ("2026-12-01T23:59:30Z", 30.0),
        ("2026-12-02T00:00:00Z", 60.0),
        ("Tue, 01 Dec 2026 23:59:10 GMT", 10.0),
        ("2026-12-01T23:00:00Z", 0.0),  # already past
        (None, None),
        ("", None),
        ("soon", None),
    ],
)
def test_retry_after_forms(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header, NOW) == seconds


def test_daily_limits_are_recognised_by_header_or_wording() -> None:
    assert is_daily_limit("Daily-limit", "")
    assert not is_daily_limit("QPS", "You have reached the maximum per-second rate limit for this API.")
    assert is_daily_limit(None, "You have exceeded the daily rate limit (100) of Meeting Create/Update API")
    assert next_utc_midnight(NOW) == datetime(2026, 12, 2, tzinfo=UTC)


def test_a_far_reset_raises_instead_of_sleeping() -> None:
    daily = ZoomErrorBody(code=429, message="... You may resume these requests at GMT 00:00:00.")
    assert rate_limit_wait({}, daily, NOW, max_wait=120) == 60.0  # a minute to midnight: wait
    with pytest.raises(ZoomDailyLimit) as caught:
        rate_limit_wait({}, daily, datetime(2026, 12, 1, 9, 0, tzinfo=UTC), max_wait=120)
    assert caught.value.resume_at == datetime(2026, 12, 2, tzinfo=UTC)
    qps = ZoomErrorBody(code=429, message="per-second")
    assert rate_limit_wait({"Retry-After": "1"}, qps, NOW, max_wait=120) == 1.0
    assert rate_limit_wait({}, qps, NOW, max_wait=120) is None  # back off ourselves
    with pytest.raises(ZoomRateLimited):
        rate_limit_wait({"Retry-After": "600"}, qps, NOW, max_wait=120)


def test_backoff_grows_with_jitter_and_is_capped() -> None:
    rng = random.Random(1)
    for attempt, low, high in [(1, 0.25, 0.5), (2, 0.5, 1.0), (3, 1.0, 2.0), (10, 2.5, 5.0)]:
        delay = backoff_delay(attempt, 0.5, 5.0, rng)
        assert low <= delay <= high


def test_plan_limits_and_endpoint_categories_follow_zoom() -> None:
    assert PLAN_LIMITS[ZoomPlan.PRO] == {Category.LIGHT: 30, Category.MEDIUM: 20, Category.HEAVY: 10}
    assert PLAN_LIMITS[ZoomPlan.FREE][Category.HEAVY] == 1
    assert ENDPOINTS["create_meeting"].category is Category.MEDIUM
    assert ENDPOINTS["batch_registrants"].category is Category.HEAVY
    assert ENDPOINTS["update_meeting"].category is Category.LIGHT
    assert ENDPOINTS["list_registrants"].category is Category.MEDIUM
    assert ENDPOINTS["send_chat_message"].category is Category.MEDIUM


def test_rolling_window_never_allows_more_than_the_limit_in_any_window() -> None:
    now = [0.0]
    window = RollingWindow(3, 1.0, monotonic=lambda: now[0])
    granted = []
    for step in range(40):  # try every 0.1 s
        now[0] = step * 0.1
        if window.try_acquire():
            granted.append(now[0])
    for i in range(len(granted) - 3):
        assert granted[i + 3] - granted[i] >= 1.0 - 1e-9
    assert len(granted) >= 3 * 3  # and it does grant at the limit (about 3 per second)


async def test_a_grant_counts_from_when_its_request_really_left() -> None:
    now = [0.0]
    window = RollingWindow(1, 1.0, monotonic=lambda: now[0])
    grant = await window.acquire()  # granted at 0.0 ...
    now[0] = 5.0
    assert window.remaining() == 0  # ... and, not yet sent, it holds its slot however long it waits
    window.sent(grant)  # it left at 5.0 (a busy event loop held it back)
    now[0] = 5.9
    assert window.remaining() == 0
    now[0] = 6.01
    assert window.remaining() == 1
    window.sent(grant)  # idempotent: a second call does not move it again
    assert grant.at == 5.0


def test_a_429_widens_that_categorys_window_up_to_a_cap() -> None:
    limiter = RateLimiter(ZoomPlan.PRO)
    before = limiter.windows[Category.HEAVY].window
    limiter.slow_down(Category.HEAVY)
    assert limiter.windows[Category.HEAVY].window == pytest.approx(before + 0.05)
    assert limiter.windows[Category.LIGHT].window == before
    for _ in range(50):
        limiter.slow_down(Category.HEAVY)
    assert limiter.windows[Category.HEAVY].window == pytest.approx(1.5)
