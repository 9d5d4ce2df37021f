"""Webhook signing, verification and the /zoom/webhook route, over real HTTP on loopback."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from facilitator.clock import ManualClock, ScaledClock
from facilitator.zoom.events import (
    ChatMessageSent,
    EventFormatError,
    MeetingStarted,
    ParticipantJoinedBreakoutRoom,
    ZoomEvent,
    parse_event,
)
from facilitator.zoom.webhooks import (
    WEBHOOK_PATH,
    WebhookRejected,
    WebhookVerifier,
    add_webhook_route,
    sign,
    url_validation_answer,
)

SECRET = "secretValueTest"
EXAMPLE_TS = "1654503849"
EXAMPLE_BODY = (
    b'{"event":"meeting.started","payload":{"account_id":"abc","object":{"id":"123"}},'
    b'"event_ts":1654503849680}'
)
EXAMPLE_SIG = "v0=83f2e220e652d2ecaca344bd426e67c5125bc4c354228dfb514c61b71fd3c5f8"
EXAMPLE_TOKEN = "qgg8vlvZRS6UYooatFL8Aw"
EXAMPLE_ENCRYPTED = "70c1f2e2e6ca2d39297490d1f9142c7d701415ea8e6151f6562a08fa657a40ff"


def test_worked_examples_from_api_notes() -> None:
    assert sign(SECRET, EXAMPLE_TS, EXAMPLE_BODY) == EXAMPLE_SIG
    assert sign(SECRET, int(EXAMPLE_TS), EXAMPLE_BODY) == EXAMPLE_SIG
    assert url_validation_answer(SECRET, EXAMPLE_TOKEN) == {
        "plainToken": EXAMPLE_TOKEN,
        "encryptedToken": EXAMPLE_ENCRYPTED,
    }


def _example_clock() -> ManualClock:
    return ManualClock(datetime.fromtimestamp(int(EXAMPLE_TS), UTC))


def test_verifier_accepts_the_worked_example_once() -> None:
    verifier = WebhookVerifier(SECRET, _example_clock())
    verifier.verify(EXAMPLE_SIG, EXAMPLE_TS, EXAMPLE_BODY)
    with pytest.raises(WebhookRejected, match="replay"):
        verifier.verify(EXAMPLE_SIG, EXAMPLE_TS, EXAMPLE_BODY)


def test_verifier_checks_body_secret_and_headers() -> None:
    verifier = WebhookVerifier(SECRET, _example_clock())
    with pytest.raises(WebhookRejected, match="signature"):
        verifier.verify(EXAMPLE_SIG, EXAMPLE_TS, EXAMPLE_BODY.replace(b"abc", b"abd"))
    with pytest.raises(WebhookRejected, match="signature"):
        verifier.verify(sign("other secret", EXAMPLE_TS, EXAMPLE_BODY), EXAMPLE_TS, EXAMPLE_BODY)
    with pytest.raises(WebhookRejected, match="missing"):
        verifier.verify(None, EXAMPLE_TS, EXAMPLE_BODY)
    with pytest.raises(WebhookRejected, match="number"):
        verifier.verify(EXAMPLE_SIG, "yesterday", EXAMPLE_BODY)
    with pytest.raises(ValueError):
        WebhookVerifier("", _example_clock())


def test_verifier_skew_window_both_ways() -> None:
    clock = _example_clock()
    verifier = WebhookVerifier(SECRET, clock)
    base = int(EXAMPLE_TS)
    for offset, ok in ((-299, True), (299, True), (-301, False), (301, False)):
        ts = str(base + offset)
        body = f'{{"n":{offset}}}'.encode()
        if ok:
            verifier.verify(sign(SECRET, ts, body), ts, body)
        else:
            with pytest.raises(WebhookRejected, match="skew"):
                verifier.verify(sign(SECRET, ts, body), ts, body)


def test_skew_window_has_a_wall_clock_floor_on_a_fast_scaled_clock() -> None:
    clock = ScaledClock(datetime(2025, 5, 6, 18, 0, tzinfo=UTC), speed=1000)
    verifier = WebhookVerifier(SECRET, clock)
    now = int(clock.now().timestamp())
    recent = str(now - 20 * 60)  # 20 virtual minutes = 1.2 real seconds: a genuine, quick delivery
    verifier.verify(sign(SECRET, recent, b"{}"), recent, b"{}")
    old = str(now - 4 * 3600)  # 14.4 real seconds: stale even at this speed
    with pytest.raises(WebhookRejected, match="skew"):
        verifier.verify(sign(SECRET, old, b"{}"), old, b"{}")


def test_replay_memory_is_bounded() -> None:
    clock = _example_clock()
    verifier = WebhookVerifier(SECRET, clock, max_remembered=1000)
    ts = EXAMPLE_TS
    for i in range(50):
        body = f'{{"i":{i}}}'.encode()
        verifier.verify(sign(SECRET, ts, body), ts, body)
    assert verifier.remembered == 50
    clock.advance(timedelta(minutes=6))  # every remembered timestamp is now outside the window
    ts2 = str(int(clock.now().timestamp()))
    verifier.verify(sign(SECRET, ts2, b"{}"), ts2, b"{}")
    assert verifier.remembered == 1

    capped = WebhookVerifier(SECRET, _example_clock(), max_remembered=5)
    for i in range(20):
        body = f'{{"i":{i}}}'.encode()
        capped.verify(sign(SECRET, EXAMPLE_TS, body), EXAMPLE_TS, body)
    assert capped.remembered == 5


def test_parse_normalises_meeting_id_and_hides_identity_in_repr() -> None:
    base: dict[str, Any] = {"event_ts": 1654503849680, "payload": {"account_id": "acct"}}
    numeric = parse_event({**base, "event": "meeting.started", "payload": {"object": {"id": 85746065432}}})
    text = parse_event({**base, "event": "meeting.started", "payload": {"object": {"id": "85746065432"}}})
    assert isinstance(numeric, MeetingStarted) and isinstance(text, MeetingStarted)
    assert numeric.meeting_id == text.meeting_id == "85746065432"

    joined = parse_event(
        {
            **base,
            "event": "meeting.participant_joined_breakout_room",
            "payload": {
                "account_id": "acct",
                "object": {
                    "id": 1,
                    "uuid": "m==",
                    "breakout_room_uuid": "room==",
                    "participant": {
                        "user_id": 16778241,
                        "user_name": "Zelda Quux",
                        "email": "Zelda.Quux@Example.edu",
                        "join_time": "2025-05-06T18:30:00Z",
                    },
                },
            },
        }
    )
    assert isinstance(joined, ParticipantJoinedBreakoutRoom)
    assert joined.breakout_room_uuid == "room=="
    assert joined.participant.email == "zelda.quux@example.edu"
    assert joined.participant.user_id == "16778241"
    assert joined.participant.at == datetime(2025, 5, 6, 18, 30, tzinfo=UTC)
    assert "Zelda" not in repr(joined) and "example.edu" not in repr(joined)

    with pytest.raises(EventFormatError, match="breakout_room_uuid"):
        parse_event(
            {
                **base,
                "event": "meeting.participant_joined_breakout_room",
                "payload": {"object": {"id": 1, "participant": {"user_id": 1}}},
            }
        )
    assert parse_event({**base, "event": "recording.completed", "payload": {}}) is None


def test_chat_event_parsed_with_sender() -> None:
    event = parse_event(
        {
            "event": "meeting.chat_message_sent",
            "event_ts": 1,
            "payload": {
                "account_id": "acct",
                "object": {
                    "id": 99,
                    "uuid": "m==",
                    "chat_message": {
                        "date_time": "2025-05-06T18:31:00Z",
                        "sender_name": "Zelda Quux",
                        "sender_email": "zelda@example.edu",
                        "sender_type": "guest",
                        "recipient_type": "host",
                        "message_id": "abc",
                        "message_content": "#board I felt lost",
                    },
                },
            },
        }
    )
    assert isinstance(event, ChatMessageSent)
    assert event.sender_email == "zelda@example.edu" and event.recipient_type == "host"
    assert "lost" not in repr(event) and "Zelda" not in repr(event)


# -- the HTTP route ------------------------------------------------------------------------------


class Harness:
    def __init__(self, client: TestClient[web.Request, web.Application], clock: ManualClock) -> None:
        self.client = client
        self.clock = clock

    def ts(self) -> str:
        return str(int(self.clock.now().timestamp()))

    async def post(
        self, body: bytes, ts: str | None = None, signature: str | None = None
    ) -> tuple[int, dict[str, Any]]:
        ts = ts or self.ts()
        headers = {
            "content-type": "application/json",
            "x-zm-request-timestamp": ts,
            "x-zm-signature": signature or sign(SECRET, ts, body),
        }
        resp = await self.client.post(WEBHOOK_PATH, data=body, headers=headers)
        return resp.status, await resp.json()


@pytest.fixture
async def harness(aiohttp_client: Any) -> tuple[Harness, list[ZoomEvent]]:
    clock = ManualClock(datetime(2025, 5, 6, 18, 0, tzinfo=UTC))
    received: list[ZoomEvent] = []

    async def on_event(event: ZoomEvent) -> None:
        received.append(event)

    app = web.Application()
    add_webhook_route(app, WebhookVerifier(SECRET, clock), on_event)
    client = await aiohttp_client(app)
    return Harness(client, clock), received


def _started_body(ts_ms: int = 1746554400000, name: str = "meeting.started") -> bytes:
    envelope = {"event": name, "event_ts": ts_ms, "payload": {"account_id": "a", "object": {"id": 5}}}
    return json.dumps(envelope).encode()


async def test_valid_event_is_delivered_to_handler(harness: tuple[Harness, list[ZoomEvent]]) -> None:
    h, received = harness
    status, answer = await h.post(_started_body())
    assert (status, answer) == (200, {"status": "ok"})
    assert len(received) == 1 and isinstance(received[0], MeetingStarted)
    assert received[0].meeting_id == "5"


async def test_invalid_signature_is_401_and_body_not_logged(
    harness: tuple[Harness, list[ZoomEvent]], caplog: pytest.LogCaptureFixture
) -> None:
    h, received = harness
    caplog.set_level(logging.DEBUG)
    body = json.dumps(
        {
            "event": "meeting.participant_joined",
            "event_ts": 1,
            "payload": {
                "object": {"id": 5, "participant": {"user_name": "Zelda Quux", "email": "zq@example.edu"}}
            },
        }
    ).encode()
    status, answer = await h.post(body, signature="v0=" + "0" * 64)
    assert status == 401 and answer["reason"] == "signature does not match"
    assert received == []
    assert "rejected" in caplog.text  # the rejection is logged ...
    assert "Zelda" not in caplog.text and "zq@example.edu" not in caplog.text  # ... the body is not


async def test_stale_timestamp_is_401(harness: tuple[Harness, list[ZoomEvent]]) -> None:
    h, received = harness
    old = str(int(h.clock.now().timestamp()) - 6 * 60)
    status, answer = await h.post(_started_body(), ts=old)
    assert status == 401 and "skew" in answer["reason"]
    assert received == []


async def test_replayed_signature_is_401(harness: tuple[Harness, list[ZoomEvent]]) -> None:
    h, received = harness
    body = _started_body()
    ts = h.ts()
    assert (await h.post(body, ts=ts))[0] == 200
    h.clock.advance(timedelta(seconds=30))
    status, answer = await h.post(body, ts=ts)
    assert status == 401 and "replay" in answer["reason"]
    assert len(received) == 1


async def test_url_validation_answered_after_verifying(harness: tuple[Harness, list[ZoomEvent]]) -> None:
    h, received = harness
    body = json.dumps(
        {
            "payload": {"plainToken": EXAMPLE_TOKEN},
            "event_ts": 1654503849680,
            "event": "endpoint.url_validation",
        }
    ).encode()
    status, answer = await h.post(body)
    assert status == 200
    assert answer == {"plainToken": EXAMPLE_TOKEN, "encryptedToken": EXAMPLE_ENCRYPTED}
    status, _ = await h.post(body.replace(b"1654503849680", b"1654503849681"), signature="v0=bad")
    assert status == 401
    assert received == []


async def test_unknown_event_is_200_and_ignored(harness: tuple[Harness, list[ZoomEvent]]) -> None:
    h, received = harness
    status, answer = await h.post(_started_body(name="recording.completed"))
    assert (status, answer) == (200, {"status": "ignored"})
    assert received == []


async def test_malformed_json_is_400(harness: tuple[Harness, list[ZoomEvent]]) -> None:
    h, received = harness
    status, answer = await h.post(b'{"event": "meeting.started", ')
    assert status == 400 and "JSON" in answer["reason"]
    status, answer = await h.post(b"[1, 2]")
    assert status == 400
    status, answer = await h.post(
        b'{"event":"meeting.participant_joined","event_ts":1,"payload":{"object":{"id":1}}}'
    )
    assert status == 400 and "participant" in answer["reason"]
    assert received == []


async def test_slow_handler_does_not_delay_the_answer(aiohttp_client: Any) -> None:
    clock = ManualClock(datetime(2025, 5, 6, 18, 0, tzinfo=UTC))
    release = asyncio.Event()
    finished: list[ZoomEvent] = []

    async def slow(event: ZoomEvent) -> None:
        await release.wait()
        finished.append(event)

    app = web.Application()
    endpoint = add_webhook_route(app, WebhookVerifier(SECRET, clock), slow)
    endpoint.answer_within = 0.01
    client = await aiohttp_client(app)
    h = Harness(client, clock)
    status, _ = await asyncio.wait_for(h.post(_started_body()), timeout=5)
    assert status == 200 and finished == []  # answered while the handler still waits
    release.set()
    await asyncio.wait_for(endpoint.close(), timeout=5)
    assert len(finished) == 1
