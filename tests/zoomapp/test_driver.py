"""ZoomAppDriver through the real console protocol: a simulated host client answers over a real
WebSocket, and the simulated meeting's real webhooks tell the bot where people are."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta
from typing import Any

from facilitator.schedule.model import MessageKind
from facilitator.store.base import MessageStatus, OutboxMessage
from facilitator.zoomapp.driver import ConsoleTimings
from facilitator.zoomsim.host_client import SdkError, SimulatedHostClient
from tests.zoomapp.conftest import Rig, RigFactory


def row_for(rig: Rig, fid: str, slot: int, key: str | None = None) -> OutboxMessage:
    planned = next(
        m for m in rig.schedule.messages
        if m.kind is MessageKind.MOVE_NOW and m.recipient_id == fid and m.context["slot"] == slot
    )  # fmt: skip
    return OutboxMessage(
        1, rig.schedule.session.id, key or planned.key, planned.kind.value, planned.audience.value,
        planned.recipient, planned.recipient_id, planned.channel, planned.template, planned.lane.value,
        planned.context, planned.due, planned.deadline, None, MessageStatus.PENDING, 0, planned.due, None,
        None, None,
    )  # fmt: skip


async def run_slot(rig: Rig, index: int) -> None:
    slot = rig.schedule.rotation.slots[index]
    rig.clock.set(slot.start)
    if index == 0:
        await rig.driver.open_rooms()
    for v in slot.visits:
        await rig.driver.move_facilitator(v.facilitator, v.group, index)
    await rig.driver.settled()


async def test_a_whole_rotation_is_moved_and_confirmed_by_webhook(make_rig: RigFactory) -> None:
    rig = await make_rig()
    host, _ = await rig.connect()
    for index in range(len(rig.schedule.rotation.slots)):
        await run_slot(rig, index)
        expected = {v.facilitator: v.group for v in rig.schedule.rotation.slots[index].visits}
        assert {f: rig.live.facilitator_positions()[f] for f in expected} == expected
    await rig.driver.close_rooms()
    counts = rig.driver.log.counts()
    visits = sum(len(s.visits) for s in rig.schedule.rotation.slots)
    assert counts["moves_accepted"] == counts["moves_confirmed"] == visits
    assert counts["fallback_cues"] == 0 and rig.enqueued == []
    assert counts["rooms_opened"] == 1 and counts["rooms_closed"] == 1
    assert not rig.meeting.rooms_open
    assert any("Prompts" in text for text in host.chat)
    # Opened on the REST pre-assignment: never createBreakoutRooms, which would delete it.
    assert all(api != "createBreakoutRooms" for api, _ in host.calls)
    # The evidence is durable: each step is in the audit log, moves with their lag and confirmations.
    await asyncio.sleep(0.05)
    audit = await rig.store.list_audit(rig.schedule.session.id, limit=500)
    actions = [a.action for a in audit if a.actor == "host-console"]
    assert actions.count("console.move") == visits and actions.count("console.confirm") == visits
    assert any("issued_after_boundary_s" in a.detail for a in audit if a.action == "console.move")
    assert any("confirmed_after_s" in a.detail for a in audit if a.action == "console.confirm")
    (first, *_) = [a for a in rig.driver.log.entries if a.what == "evidence"]
    assert (
        first.evidence["room_list_has_participants"] is True and first.evidence["room_list_state"] == "open"
    )
    assert first.evidence["webhook_uuid_known_to_sdk"] == {f.id: True for f in rig.schedule.facilitators}


async def test_a_refused_move_is_retried_a_bounded_number_of_times_then_cued(make_rig: RigFactory) -> None:
    rig = await make_rig()
    fid = rig.schedule.facilitators[0].id
    email = rig.schedule.facilitator(fid).email.lower()
    host, _ = await rig.connect(SimulatedHostClient(rig.meeting, refuse=frozenset({(email, 1)})))
    row = row_for(rig, fid, 0)
    assert rig.driver.skip_reason(row) is not None  # a capable console holds the planned cue
    await run_slot(rig, 0)
    assigns = [d for api, d in host.calls if api == "assignParticipantToBreakoutRoom"]
    mine = [d for d in assigns if d["participantUUID"] == rig.meeting.people[email].participant_uuid]
    assert len(mine) == 3  # attempts, then stop
    assert [m.recipient_id for m in rig.enqueued] == [fid]
    cue = rig.enqueued[0]
    assert cue.kind is MessageKind.MOVE_NOW and "/console-fallback/" in cue.key
    assert rig.driver.skip_reason(row) is not None  # the planned cue stays held: no double cue
    assert rig.driver.skip_reason(row_for(rig, fid, 0, key=cue.key)) is None  # the fallback goes


async def test_a_co_host_physician_is_not_attempted_and_gets_the_cue(make_rig: RigFactory) -> None:
    rig = await make_rig()
    fac = rig.schedule.facilitators[1]
    host, _ = await rig.connect(SimulatedHostClient(rig.meeting, cohosts=frozenset({fac.email.lower()})))
    await run_slot(rig, 0)
    assert [m.recipient_id for m in rig.enqueued] == [fac.id]
    assert any("co-host" in w or "cohost" in w for w in rig.driver.directory.warnings())
    uuid = rig.meeting.people[fac.email.lower()].participant_uuid
    assert not any(d.get("participantUUID") == uuid for api, d in host.calls if api.startswith("assign"))


async def test_a_console_that_never_answers_times_out_and_falls_back(make_rig: RigFactory) -> None:
    class Silent(SimulatedHostClient):
        async def call(self, api: str, data: dict[str, Any]) -> Any:
            if api == "assignParticipantToBreakoutRoom":
                await asyncio.sleep(3600)
            return await super().call(api, data)

    rig = await make_rig(ConsoleTimings(ack_timeout=0.2, attempts=2, retry_pause=timedelta(0)))
    await rig.connect(Silent(rig.meeting))
    await run_slot(rig, 0)
    visits = rig.schedule.rotation.slots[0].visits
    assert sorted(m.recipient_id for m in rig.enqueued) == sorted(v.facilitator for v in visits)
    assert all("within" in a.detail for a in rig.driver.log.entries if a.what == "move")


async def test_an_accepted_move_the_webhooks_never_show_falls_back_after_the_wait(
    make_rig: RigFactory,
) -> None:
    class NeedsAClick(SimulatedHostClient):
        async def _assignParticipantToBreakoutRoom(self, data: dict[str, Any]) -> dict[str, Any]:
            return {"message": "success"}  # accepted, but the physician never clicks "Join"

    rig = await make_rig()
    await rig.connect(NeedsAClick(rig.meeting))
    slot = rig.schedule.rotation.slots[0]
    rig.clock.set(slot.start)
    await rig.driver.open_rooms()
    for v in slot.visits:
        await rig.driver.move_facilitator(v.facilitator, v.group, 0)
    await asyncio.sleep(0.3)
    assert rig.enqueued == []  # still waiting for the webhooks
    rig.clock.advance(timedelta(seconds=25))
    await rig.driver.settled()
    assert len(rig.enqueued) == len(slot.visits)
    assert rig.driver.log.counts()["moves_unconfirmed"] == len(slot.visits)


async def test_an_old_client_or_no_console_means_cues_and_no_commands(make_rig: RigFactory) -> None:
    rig = await make_rig()
    fid = rig.schedule.rotation.slots[0].visits[0].facilitator
    assert rig.driver.skip_reason(row_for(rig, fid, 0)) is None  # no console: the planned cue goes
    old, _ = await rig.connect(SimulatedHostClient(rig.meeting, client_version="5.7.0"))
    await run_slot(rig, 0)
    assert old.calls == []
    # The planned cue for the first physician already went: no second cue; the others get one each.
    assert sorted(m.recipient_id for m in rig.enqueued) == sorted(
        v.facilitator for v in rig.schedule.rotation.slots[0].visits if v.facilitator != fid
    )


async def test_unsupported_apis_mean_cues(make_rig: RigFactory) -> None:
    rig = await make_rig()
    host, _ = await rig.connect(
        SimulatedHostClient(rig.meeting, unsupported=("assignParticipantToBreakoutRoom",))
    )
    await run_slot(rig, 0)
    assert not any(api == "assignParticipantToBreakoutRoom" for api, _ in host.calls)
    assert len(rig.enqueued) == len(rig.schedule.rotation.slots[0].visits)


async def test_reopen_strategy_closes_reassigns_and_reopens(make_rig: RigFactory) -> None:
    rig = await make_rig(strategy="reopen")
    host, _ = await rig.connect()
    await run_slot(rig, 0)
    await run_slot(rig, 1)
    apis = [api for api, _ in host.calls]
    second = apis[apis.index("closeBreakoutRooms") :]
    assert second.index("assignParticipantToBreakoutRoom") < second.index("openBreakoutRooms")
    assert host.config["automaticallyMoveParticipantsIntoRooms"] is True
    expected = {v.facilitator: v.group for v in rig.schedule.rotation.slots[1].visits}
    assert {f: rig.live.facilitator_positions()[f] for f in expected} == expected
    assert rig.enqueued == []


async def test_an_unidentified_physician_is_cued_until_the_host_confirms_them(make_rig: RigFactory) -> None:
    rig = await make_rig()
    fac = rig.schedule.facilitators[0]
    email = fac.email.lower()
    rig.live.participant_uuids.pop(email)  # signed in under another email: the webhook cannot tell
    _, player = await rig.connect()
    uuid = rig.meeting.people[email].participant_uuid
    for _ in range(100):  # the console in control reads the participant list when it connects
        if uuid in rig.driver.directory.participants:
            break
        await asyncio.sleep(0.02)
    assert any(fac.name in w and "not identified" in w for w in rig.driver.directory.warnings())
    await run_slot(rig, 0)
    assert [m.recipient_id for m in rig.enqueued] == [fac.id]
    await player.press("identify", facilitator=fac.id, participant=uuid)
    for _ in range(100):
        if player.outcomes:
            break
        await asyncio.sleep(0.02)
    assert player.outcomes == ["done"]
    assert rig.driver.directory.resolve(fac.id).source == "director"
    await run_slot(rig, 1)
    assert rig.live.facilitator_positions()[fac.id] == rig.schedule.rotation.room_of(fac.id, 1)
    assert len(rig.enqueued) == 1  # no cue needed this time


async def test_the_host_can_pause_move_now_and_bad_control_arguments_change_nothing(
    make_rig: RigFactory,
) -> None:
    rig = await make_rig()
    _, player = await rig.connect()
    await player.press("pause")
    await player.press("move", facilitator="dr-nobody")
    await player.press("identify", facilitator=rig.schedule.facilitators[0].id, participant="not-in-meeting")
    await player.press("resume")
    for _ in range(100):
        if len(player.outcomes) == 4:
            break
        await asyncio.sleep(0.02)
    assert player.outcomes[0] == "done" and "unknown physician" in player.outcomes[1]
    assert "not in the meeting" in player.outcomes[2] and player.outcomes[3] == "done"
    assert rig.driver.paused is False
    slot = rig.schedule.rotation.slots[0]
    rig.clock.set(slot.start)
    await rig.driver.open_rooms()
    visit = slot.visits[0]
    await player.press("move", facilitator=visit.facilitator)
    for _ in range(200):
        if rig.live.facilitator_positions().get(visit.facilitator) == visit.group:
            break
        await asyncio.sleep(0.02)
    assert rig.live.facilitator_positions()[visit.facilitator] == visit.group, [
        (a.what, a.ok, a.detail) for a in rig.driver.log.entries
    ]


async def test_fuzzed_console_answers_end_in_moves_or_cues_never_a_crash(make_rig: RigFactory) -> None:
    """A console's answers are untrusted input: any shape or error code leads to a move or a cue."""
    rng = random.Random(11)
    garbage: list[Any] = [
        None, 3, "x", [], {}, {"rooms": "no"}, {"rooms": [1, {"name": 2}]},
        {"participants": [{"participantUUID": 5}, "y"]}, {"rooms": [{"name": "Group 1"}]},
    ]  # fmt: skip

    class Hostile(SimulatedHostClient):
        async def call(self, api: str, data: dict[str, Any]) -> Any:
            roll = rng.random()
            if roll < 0.3:
                raise SdkError(rng.choice([10092, 10093, 10094, 10100, 10103, 10121, 1, -5]), "no")
            if roll < 0.6:
                return rng.choice(garbage)
            return await super().call(api, data)

    for _ in range(3):
        rig = await make_rig(
            ConsoleTimings(ack_timeout=1.0, retry_pause=timedelta(0), confirm_within=timedelta(seconds=5))
        )
        await rig.connect(Hostile(rig.meeting))
        for index in range(len(rig.schedule.rotation.slots)):
            slot = rig.schedule.rotation.slots[index]
            rig.clock.set(slot.start)
            if index == 0:
                await rig.driver.open_rooms()
            for v in slot.visits:
                await rig.driver.move_facilitator(v.facilitator, v.group, index)
            await asyncio.sleep(0.2)
            rig.clock.advance(timedelta(seconds=10))
            await rig.driver.settled()
            for v in slot.visits:
                state = rig.driver.visits[(v.facilitator, index)]
                assert state.confirmed or state.fallback_sent, (v, state)
        assert not any("internal error" in a.detail for a in rig.driver.log.entries)


async def test_an_occasional_refusal_is_retried_and_the_move_still_happens(make_rig: RigFactory) -> None:
    rig = await make_rig()
    host, _ = await rig.connect(SimulatedHostClient(rig.meeting, flaky=1.0))  # every move fails once
    await run_slot(rig, 0)
    visits = rig.schedule.rotation.slots[0].visits
    assert rig.enqueued == []
    assert rig.driver.log.counts()["moves_confirmed"] == len(visits)
    moves = [a for a in rig.driver.log.entries if a.what == "move"]
    assert [a.evidence["attempts"] for a in moves] == [2] * len(visits)
    assert sum(1 for api, _ in host.calls if api == "assignParticipantToBreakoutRoom") == 2 * len(visits)


async def test_a_repeated_command_id_is_answered_without_running_again(make_rig: RigFactory) -> None:
    """Idempotent commands: the hub returns a settled answer again, and the console never reruns an id."""
    rig = await make_rig()
    host, player = await rig.connect()
    hub, meeting = rig.service.hub, rig.driver.meeting_uuid
    first = await hub.call(meeting, "cmd-1", "openBreakoutRooms", {}, 1.0)
    again = await hub.call(meeting, "cmd-1", "openBreakoutRooms", {}, 1.0)
    assert first.ok and again == first
    assert [api for api, _ in host.calls].count("openBreakoutRooms") == 1
    # The page side: the same id delivered twice (a resend after a reconnect) runs once.
    replay = {"type": "command", "id": "cmd-2", "api": "closeBreakoutRooms", "data": {}}
    answers = await asyncio.gather(player._answer(replay), player._answer(replay))
    assert answers[0] == answers[1] and answers[0]["ok"] is True
    assert [api for api, _ in host.calls].count("closeBreakoutRooms") == 1
    # Opening open rooms is Zoom's 10121, which the driver treats as "already open", not as a failure.
    assert (await hub.call(meeting, "cmd-3", "openBreakoutRooms", {}, 1.0)).ok
    await rig.driver.open_rooms()
    assert any(a.evidence.get("code") == 10121 or "10121" in a.detail for a in rig.driver.log.entries)
    assert (
        rig.driver.log.entries[-1].what in {"open_rooms", "chat"}
        and rig.driver.log.counts()["rooms_opened"] == 1
    )
