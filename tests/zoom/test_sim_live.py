"""The simulated live meeting POSTs real signed webhooks to the real route on loopback."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from facilitator.clock import Clock, ManualClock, ScaledClock
from facilitator.schedule.model import (
    Schedule,
)
from facilitator.zoom.events import ChatMessageSent, ZoomEvent
from facilitator.zoom.live import MAIN, LiveRoomState, anonymous_board_post
from facilitator.zoom.webhooks import WEBHOOK_PATH, WebhookVerifier, add_webhook_route
from facilitator.zoomsim.live import FacilitatorScript, LiveMeeting, MeetingView
from tests.zoom.test_live import T0, make_schedule

SECRET = "sim-webhook-secret"
ServerFactory = Callable[..., Awaitable[TestServer]]


def view_for(schedule: Schedule, wrong_room: dict[str, str] | None = None) -> MeetingView:
    """What provisioning would create; `wrong_room` pre-assigns some students elsewhere."""
    wrong = wrong_room or {}
    rooms = tuple(
        (
            g.name,
            tuple(
                sorted(
                    [e for e in g.students if e not in wrong] + [e for e, r in wrong.items() if r == g.name]
                )
            ),
        )
        for g in schedule.groups
    )
    registrants = tuple((s.email, s.name, f"reg-{n}") for n, s in enumerate(schedule.students))
    return MeetingView(
        meeting_id=85746065432,
        uuid="aDYlohsHRtCd4ii1uC2+hA==",
        topic=schedule.session.title,
        host_email=schedule.session.host_email,
        start_time=schedule.session.start,
        duration_minutes=90,
        rooms=rooms,
        registrants=registrants,
        alternative_hosts=tuple(f.email for f in schedule.facilitators),
    )


async def receiver(
    aiohttp_server: ServerFactory,
    clock: Clock,
    state: LiveRoomState,
    max_skew: timedelta = timedelta(minutes=5),
) -> tuple[str, list[ZoomEvent]]:
    """The bot's side: the webhook route feeding a LiveRoomState, on 127.0.0.1 and a free port."""
    received: list[ZoomEvent] = []

    async def on_event(event: ZoomEvent) -> None:
        received.append(event)
        state.apply(event)

    app = web.Application()
    add_webhook_route(app, WebhookVerifier(SECRET, clock), on_event)
    server = await aiohttp_server(app, host="127.0.0.1", port=0)
    return str(server.make_url(WEBHOOK_PATH)), received


async def test_url_validation_handshake(aiohttp_server: ServerFactory) -> None:
    schedule = make_schedule()
    clock = ManualClock(T0)
    url, _ = await receiver(aiohttp_server, clock, LiveRoomState.from_schedule(schedule))
    good = LiveMeeting(view_for(schedule), clock, url, SECRET, "acct")
    bad = LiveMeeting(view_for(schedule), clock, url, "not-the-secret", "acct")
    try:
        assert await good.validate_endpoint() is True
        assert await bad.validate_endpoint() is False  # refused with 401: the receiver checks first
    finally:
        await good.aclose()
        await bad.aclose()


async def test_students_land_and_rooms_are_mapped_by_majority(aiohttp_server: ServerFactory) -> None:
    schedule = make_schedule()
    clock = ManualClock(T0)
    state = LiveRoomState.from_schedule(schedule, meeting_id="85746065432")
    url, received = await receiver(aiohttp_server, clock, state)
    # Zoom put one student of Group 1 in Group 2's room: the mapping must not be fooled.
    meeting = LiveMeeting(
        view_for(schedule, {"s1-0@example.edu": "Group 2"}),
        clock,
        url,
        SECRET,
        "acct",
        late_share=0,
        absent_share=0,
    )
    try:
        await meeting.start()
        assert state.counts() == {MAIN: 18 + 3 + 1}
        await meeting.open_rooms()
        expected = {meeting.room_uuids[g.name]: g.id for g in schedule.groups}
        assert state.room_mapping() == expected
        assert state.room_of("s1-0@example.edu") == "g2"
        assert state.room_of("s1-1@example.edu") == "g1"
        assert state.counts() == {MAIN: 4, "g1": 2, "g2": 4, "g3": 3, "g4": 3, "g5": 3, "g6": 3}
        assert meeting.delivery_failures == 0
        assert len(received) == len(meeting.emitted)
    finally:
        await meeting.aclose()


async def test_script_plays_schedule_on_manual_clock(aiohttp_server: ServerFactory) -> None:
    schedule = make_schedule()
    slot0, slot1 = schedule.rotation.slots
    clock = ManualClock(T0 - timedelta(minutes=5))
    state = LiveRoomState.from_schedule(schedule, meeting_id="85746065432")
    url, received = await receiver(aiohttp_server, clock, state)
    meeting = LiveMeeting(view_for(schedule), clock, url, SECRET, "acct", late_share=0, absent_share=0)
    script = FacilitatorScript(schedule, meeting, clock, lateness=timedelta(minutes=2), forget=[("dr-b", 1)])
    task = asyncio.create_task(script.run())
    try:
        await script.settled()
        assert received == [] and state.started is None

        clock.set(T0)
        await script.settled()
        assert state.started == T0
        assert state.facilitator_positions() == {"dr-a": MAIN, "dr-b": MAIN, "dr-c": MAIN}

        clock.set(slot0.start)
        await script.settled()
        for s in schedule.students:
            assert state.room_of(s.email) == s.group
        late = [m.render_for(schedule) for m in state.misplaced(schedule, clock.now())]
        assert late[0] == "facilitator dr-a is in the main room but is due in Group 1 since 14:30"
        assert len(late) == 3

        clock.set(slot0.start + timedelta(minutes=2))
        await script.settled()
        assert state.facilitator_positions() == {"dr-a": "g1", "dr-b": "g2", "dr-c": "g3"}
        assert state.misplaced(schedule, clock.now()) == []

        clock.set(slot1.start + timedelta(minutes=2))
        await script.settled()
        assert state.facilitator_positions() == {"dr-a": "g4", "dr-b": "g2", "dr-c": "g6"}
        assert [m.render_for(schedule) for m in state.misplaced(schedule, clock.now())] == [
            "facilitator dr-b is in Group 2 but is due in Group 5 since 14:55"
        ]

        clock.set(slot1.end)
        await script.settled()
        assert set(state.counts()) == {MAIN}
        assert state.misplaced(schedule, clock.now()) == []

        clock.set(schedule.session.end)
        await asyncio.wait_for(task, timeout=10)
        assert state.ended is not None and state.occupancy() == {}
        assert meeting.delivery_failures == 0 and len(received) == len(meeting.emitted)
    finally:
        task.cancel()
        await meeting.aclose()


async def test_late_and_absent_students(aiohttp_server: ServerFactory) -> None:
    schedule = make_schedule()
    clock = ManualClock(T0)
    state = LiveRoomState.from_schedule(schedule)
    url, _ = await receiver(aiohttp_server, clock, state)
    meeting = LiveMeeting(
        view_for(schedule), clock, url, SECRET, "acct", rng_seed=7, late_share=0.2, absent_share=0.1
    )
    try:
        assert (len(meeting.absent), len(meeting.late)) == (2, 4)
        assert not meeting.absent & set(meeting.late)
        assert all(timedelta(minutes=2) <= d <= timedelta(minutes=8) for d in meeting.late.values())
        await meeting.start()
        await meeting.settled()
        present = {s.email for s in schedule.students if state.room_of(s.email) is not None}
        assert present == {s.email for s in schedule.students} - meeting.absent - set(meeting.late)
        await meeting.open_rooms()
        clock.advance(timedelta(minutes=10))
        await meeting.settled()
        for s in schedule.students:
            # Late students are placed in their room on arrival; absent ones never appear.
            assert state.room_of(s.email) == (None if s.email in meeting.absent else s.group)
    finally:
        await meeting.aclose()


async def test_chat_reaches_the_board_without_its_sender(aiohttp_server: ServerFactory) -> None:
    schedule = make_schedule()
    clock = ManualClock(T0)
    state = LiveRoomState.from_schedule(schedule)
    url, received = await receiver(aiohttp_server, clock, state)
    meeting = LiveMeeting(view_for(schedule), clock, url, SECRET, "acct", late_share=0, absent_share=0)
    try:
        await meeting.chat("s1-0@example.edu", "#board I froze at the bedside", to_host=True)
        await meeting.chat("s1-1@example.edu", "#board said to everyone", to_host=False)
        chats = [e for e in received if isinstance(e, ChatMessageSent)]
        assert [c.sender_email for c in chats] == ["s1-0@example.edu", "s1-1@example.edu"]  # Zoom names them
        posts = [anonymous_board_post(c, "#board", schedule.session.host_email) for c in chats]
        assert posts == ["I froze at the bedside", None]
    finally:
        await meeting.aclose()


async def test_scaled_clock_plays_a_session_in_seconds(aiohttp_server: ServerFactory) -> None:
    schedule = make_schedule()
    clock = ScaledClock(T0 - timedelta(minutes=1), speed=5400)  # 90 minutes in about a second
    state = LiveRoomState.from_schedule(schedule, meeting_id="85746065432")
    # At this speed a real millisecond is five virtual seconds; the verifier's skew window has a
    # floor in wall-clock seconds, so genuine deliveries are not taken for stale ones.
    url, received = await receiver(aiohttp_server, clock, state)
    meeting = LiveMeeting(view_for(schedule), clock, url, SECRET, "acct", late_share=0, absent_share=0)
    script = FacilitatorScript(schedule, meeting, clock)
    started = time.monotonic()
    try:
        await asyncio.wait_for(script.run(), timeout=60)
    finally:
        await meeting.aclose()
    print(f"\n90-minute session played in {time.monotonic() - started:.2f} s, {len(received)} webhooks")
    assert meeting.delivery_failures == 0 and state.ended is not None
    for f in schedule.facilitators:
        visited = [h.room for h in state.history if h.who == f.id and h.what == "joined a breakout room"]
        assert visited == [g for _, v in schedule.rotation.visits_of(f.id) for g in [v.group]]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


async def test_unreachable_receiver_never_crashes_the_simulation() -> None:
    schedule = make_schedule(groups=1, per_group=1)
    clock = ManualClock(T0)
    view = view_for(schedule)
    view = MeetingView(**{**view.__dict__, "alternative_hosts": ()})
    meeting = LiveMeeting(view, clock, f"http://127.0.0.1:{_closed_port()}/zoom/webhook", SECRET, "acct")
    try:
        await meeting.start()
        await meeting.open_rooms()
        await meeting.end()
    finally:
        await meeting.aclose()
    assert meeting.delivery_failures == len(meeting.emitted) > 0


async def test_failed_delivery_is_retried_with_a_fresh_signature(aiohttp_server: ServerFactory) -> None:
    schedule = make_schedule(groups=1, per_group=1)
    clock = ManualClock(T0)
    statuses: list[int] = []

    @web.middleware
    async def flaky(request: web.Request, handler: Any) -> web.StreamResponse:
        response: web.StreamResponse = await handler(request)
        statuses.append(response.status)
        return web.Response(status=503) if len(statuses) == 1 else response

    state = LiveRoomState.from_schedule(schedule)
    app = web.Application(middlewares=[flaky])
    add_webhook_route(app, WebhookVerifier(SECRET, clock), state.on_event)
    server = await aiohttp_server(app, host="127.0.0.1", port=0)
    meeting = LiveMeeting(view_for(schedule), clock, str(server.make_url(WEBHOOK_PATH)), SECRET, "acct")
    try:
        await meeting.start()
    finally:
        await meeting.aclose()
    # The first attempt was accepted then failed with 503; the retry was not taken for a replay.
    assert statuses[:2] == [200, 200]
    assert meeting.delivery_failures == 0
    assert state.started is not None


async def test_move_to_unknown_or_closed_room_is_refused() -> None:
    schedule = make_schedule()
    meeting = LiveMeeting(view_for(schedule), ManualClock(T0), None, SECRET, "acct")
    with pytest.raises(RuntimeError, match="not open"):
        await meeting.move("dr-a@example.edu", "Group 1")
    with pytest.raises(ValueError, match="no breakout room"):
        await meeting.move("dr-a@example.edu", "Group 9")
