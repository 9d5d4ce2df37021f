"""X-Zoom-App-Context: only a genuine, fresh context for our app, from a host, opens the console."""

from __future__ import annotations

import base64
import random
from datetime import UTC, datetime, timedelta

import pytest

from facilitator.zoomapp.context import (
    ContextError,
    ReplayGuard,
    decrypt_context,
    encrypt_context,
    verify_context,
)

CLIENT_ID = "client-abc"
SECRET = "client-secret-0123456789"
NOW = datetime(2027, 1, 14, 18, 0, tzinfo=UTC)
NOW_MS = int(NOW.timestamp() * 1000)


def make(**extra: object) -> str:
    claims: dict[str, object] = {
        "typ": "meeting", "uid": "u1", "mid": "meeting-uuid==", "attendrole": "host",
        "iss": "marketplace.zoom.us", "aud": CLIENT_ID, "exp": NOW_MS + 60_000, "ts": NOW_MS,
    }  # fmt: skip
    claims.update(extra)
    return encrypt_context({k: v for k, v in claims.items() if v is not None}, SECRET)


def test_a_good_context_is_verified() -> None:
    ctx = verify_context(make(), CLIENT_ID, SECRET, NOW)
    assert (ctx.user_id, ctx.meeting_uuid, ctx.role, ctx.may_control) == (
        "u1",
        "meeting-uuid==",
        "host",
        True,
    )
    assert verify_context(make(attendrole="co-host"), CLIENT_ID, SECRET, NOW).may_control


def test_the_layout_round_trips_with_additional_data() -> None:
    claims = {"uid": "u", "mid": "m", "aud": CLIENT_ID, "exp": NOW_MS + 1}
    assert decrypt_context(encrypt_context(claims, SECRET, aad=b"zoom"), SECRET) == claims


@pytest.mark.parametrize(
    ("header", "words"),
    [
        (make(exp=NOW_MS - 1), "expired"),
        (make(exp=NOW_MS + 60_000 - 60_000_000), "expired"),
        (make(aud="someone-else"), "another app"),
        (make(exp=None), "no expiry"),
        (make(mid=None), "no user or no meeting"),
        (
            encrypt_context({"aud": CLIENT_ID, "exp": NOW_MS + 5, "uid": "u", "mid": "m"}, "wrong-secret"),
            "verified",
        ),
    ],
)
def test_bad_contexts_are_401_with_a_reason(header: str, words: str) -> None:
    with pytest.raises(ContextError) as err:
        verify_context(header, CLIENT_ID, SECRET, NOW)
    assert err.value.status == 401 and words in err.value.reason


def test_exp_is_milliseconds_not_seconds() -> None:
    """A context whose exp is in seconds (a 1970 date in ms) is expired, not valid for 50 years."""
    with pytest.raises(ContextError):
        verify_context(make(exp=int(NOW.timestamp()) + 3600), CLIENT_ID, SECRET, NOW)


def test_an_attendee_is_verified_but_may_not_control() -> None:
    for role in ("attendee", "participant", "panelist"):
        assert not verify_context(make(attendrole=role), CLIENT_ID, SECRET, NOW).may_control


def test_a_breakout_room_context_maps_to_the_main_meeting() -> None:
    guide = verify_context(make(mid="room-uuid", pid="meeting-uuid=="), CLIENT_ID, SECRET, NOW)
    typings = verify_context(make(bmid="{ROOM-1}"), CLIENT_ID, SECRET, NOW)
    assert guide.meeting_uuid == typings.meeting_uuid == "meeting-uuid=="
    assert guide.in_breakout_room and typings.in_breakout_room


def test_a_tampered_context_is_refused() -> None:
    raw = bytearray(base64.b64decode(make()))
    raw[-20] ^= 0x01  # one bit of the ciphertext
    with pytest.raises(ContextError):
        verify_context(base64.b64encode(bytes(raw)).decode(), CLIENT_ID, SECRET, NOW)


def test_a_replayed_context_is_refused_until_it_expires() -> None:
    guard, header = ReplayGuard(), make()
    guard.check(header, NOW_MS + 60_000, NOW)
    with pytest.raises(ContextError) as err:
        guard.check(header, NOW_MS + 60_000, NOW + timedelta(seconds=5))
    assert "already used" in err.value.reason
    guard.check(make(), NOW_MS + 60_000, NOW)  # a fresh one is fine


def test_fuzzed_headers_only_ever_raise_context_error() -> None:
    rng = random.Random(9)
    good = base64.b64decode(make())
    for _ in range(2000):
        choice = rng.random()
        if choice < 0.4:
            blob = bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 200)))
            text = base64.b64encode(blob).decode()
        elif choice < 0.8:
            mutated = bytearray(good)
            for _ in range(rng.randrange(1, 4)):
                mutated[rng.randrange(len(mutated))] = rng.getrandbits(8)
            text = base64.b64encode(bytes(mutated[: rng.randrange(1, len(mutated) + 1)])).decode()
        else:
            text = "".join(chr(rng.randrange(32, 0x2FF)) for _ in range(rng.randrange(0, 300)))
        try:
            verify_context(text, CLIENT_ID, SECRET, NOW)
        except ContextError as exc:
            assert exc.status == 401
