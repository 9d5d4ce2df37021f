"""The host console as a whole: settings, the hub, one driver per meeting, tokens and the page's view.

The engine asks `driver_for` for each session's MeetingDriver when a Zoom App is configured (or a
simulation asks for the console); the routes ask `session_for` which session a verified Zoom
context belongs to, mint the page's token, and forward the host's controls to the driver.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt

from facilitator.clock import Clock
from facilitator.config import Settings
from facilitator.links import ALGORITHM, LinkError, LinkSigner
from facilitator.schedule.model import PlannedMessage, Schedule
from facilitator.store.base import Store
from facilitator.zoom.live import MAIN, LiveRoomState, current_slot
from facilitator.zoomapp.actions import Action, ActionLog
from facilitator.zoomapp.context import AppContext, ReplayGuard
from facilitator.zoomapp.driver import ConsoleTimings, ZoomAppDriver
from facilitator.zoomapp.hub import ConsoleHub, ConsoleLink
from facilitator.zoomapp.protocol import Control

CONSOLE_AUDIENCE = "zoom-console"
TOKEN_LIFETIME = timedelta(minutes=30)  # enough to load the page and connect; the socket then stays


@dataclass
class Bound:
    schedule: Schedule
    live: LiveRoomState
    driver: ZoomAppDriver


def console_strategy(schedule: Schedule) -> str:
    """The plan's `session.zoom.console_strategy` (move | reopen)."""
    return str(schedule.session.zoom.get("console_strategy", "move"))


def alternative_host_warning(schedule: Schedule) -> str | None:
    """The plan makes physicians alternative hosts, whom Zoom may give host rights on joining; no app
    can move a host or co-host, so the console would cue them instead of moving them."""
    if not schedule.facilitators or not schedule.session.zoom.get("alternative_hosts", True):
        return None
    return (
        "warning: the plan makes the facilitators alternative hosts (session.zoom.alternative_hosts, "
        "default true). Zoom may give them host rights when they join, and the host console cannot move "
        "a host or co-host: it would cue them instead. Set `alternative_hosts: false` under "
        "`session.zoom` so the console can move them."
    )


def console_from_settings(
    settings: Settings, clock: Clock, store: Store | None = None, timings: ConsoleTimings | None = None
) -> ConsoleService | None:
    """The console when a Zoom App is configured (client id and secret); None: cues only."""
    secret = settings.zoom_app_client_secret
    if not settings.zoom_app_client_id or secret is None or not secret.get_secret_value():
        return None
    signer = LinkSigner(settings.secret_key.get_secret_value(), settings.public_url)
    return ConsoleService(
        settings.zoom_app_client_id, secret.get_secret_value(), clock, signer, timings, store=store
    )


class ConsoleService:
    def __init__(
        self,
        client_id: str,
        client_secret: str,
        clock: Clock,
        signer: LinkSigner,
        timings: ConsoleTimings | None = None,
        store: Store | None = None,
    ) -> None:
        self.client_id = client_id
        self.store = store  # every console action also goes to its audit log: the durable evidence
        self.client_secret = client_secret
        self.clock = clock
        self.signer = signer
        self.timings = timings or ConsoleTimings()
        self.hub = ConsoleHub()
        self.replay = ReplayGuard()
        self.meetings: dict[str, Bound] = {}
        self.hub.on_change = self._changed
        self.on_action: Callable[[Action], None] | None = None  # e.g. `run` prints each step
        self._pushes: set[asyncio.Task[None]] = set()

    # -- wiring -------------------------------------------------------------------------------------

    def driver_for(
        self,
        schedule: Schedule,
        live: LiveRoomState,
        meeting_uuid: str | None,
        enqueue: Callable[[PlannedMessage], Awaitable[None]],
    ) -> ZoomAppDriver:
        key = meeting_uuid or f"session:{schedule.session.id}"
        sid = schedule.session.id
        log = ActionLog(on_add=lambda action: self._logged(key, sid, action))
        driver = ZoomAppDriver(
            schedule, live, self.clock, self.hub, key, enqueue, console_strategy(schedule), self.timings, log
        )
        self.meetings[key] = Bound(schedule, live, driver)
        return driver

    def session_for(self, ctx: AppContext) -> Bound | None:
        return self.meetings.get(ctx.meeting_uuid)

    # -- tokens ---------------------------------------------------------------------------------------

    def token(self, ctx: AppContext, now: datetime) -> str:
        claims = {
            "aud": CONSOLE_AUDIENCE,
            "exp": int((now + TOKEN_LIFETIME).timestamp()),
            "mid": ctx.meeting_uuid,
            "uid": ctx.user_id,
            "role": ctx.role,
        }
        return jwt.encode(claims, self.signer.secret, algorithm=ALGORITHM)

    def verify_token(self, token: str) -> dict[str, Any]:
        """The token's claims; LinkError when forged, expired or for another page."""
        claims = self.signer.verify(token, CONSOLE_AUDIENCE, self.clock.now())
        if not isinstance(claims.get("mid"), str) or claims["mid"] not in self.meetings:
            raise LinkError("this console token names no running session")
        return claims

    # -- the host's controls ----------------------------------------------------------------------------

    async def control(self, meeting: str, link: ConsoleLink, control: Control) -> str:
        """Carry out a button press from the console in control; returns what happened."""
        bound = self.meetings[meeting]
        driver = bound.driver
        if not link.in_control:
            return "this console is read-only: another console controls the meeting"
        if control.action == "pause":
            driver.paused = True
        elif control.action == "resume":
            driver.paused = False
        elif control.action == "open":
            await driver.open_rooms()
        elif control.action == "close":
            await driver.close_rooms()
        elif control.action in {"move", "identify"}:
            fid = control.args.get("facilitator", "")
            if fid not in {f.id for f in bound.schedule.facilitators}:
                return f"unknown physician `{fid}`"
            if control.action == "identify":
                uuid = control.args.get("participant", "")
                if uuid not in driver.directory.participants:
                    return "that participant is not in the meeting"
                driver.directory.confirm(fid, uuid)
            else:
                slot = current_slot(bound.schedule, self.clock.now())
                if slot is None:
                    return "no round is running now"
                await driver.move_now(fid, slot)
        driver.log.add(
            Action(self.clock.now(), "control", True, f"host: {control.action} {control.args or ''}")
        )
        return "done"

    # -- what the page shows ---------------------------------------------------------------------------

    def view(self, meeting: str, link: ConsoleLink | None = None) -> dict[str, Any]:
        bound = self.meetings[meeting]
        schedule, driver = bound.schedule, bound.driver
        now = self.clock.now()
        slots = schedule.rotation.slots
        cur = current_slot(schedule, now)
        nxt = next((s for s in slots if s.start > now), None)
        names = {g.id: g.name for g in schedule.groups}
        fac_names = {f.id: f.name for f in schedule.facilitators}
        occupancy = bound.live.occupancy()
        positions = bound.live.facilitator_positions()
        controller = self.hub.controller(meeting)
        warnings = driver.directory.warnings()
        if controller is not None and controller.unusable_because():
            warnings.append(
                f"Automation is off: {controller.unusable_because()}; physicians get cues instead."
            )
        return {
            "type": "state",
            "session": schedule.session.title,
            "mode": "control" if link is not None and link.in_control else "read-only",
            "paused": driver.paused,
            "strategy": driver.strategy,
            "now": f"Round {cur.index + 1}" if cur else "No round running",
            "next": f"Round {nxt.index + 1}" if nxt else "—",
            "next_at": nxt.start.isoformat() if nxt else None,  # the page shows it in the reader's zone
            "rooms": [
                {
                    "name": names.get(room, "Main room" if room == MAIN else room),
                    "count": len(who),
                    "physicians": [fac_names[f] for f, at in positions.items() if at == room],
                }
                for room, who in sorted(occupancy.items())
            ],
            "itineraries": [
                {
                    "id": f.id,
                    "name": f.name,
                    "stops": [
                        {
                            "round": s.index + 1,
                            "room": names[v.group],
                            "arrived": bool(
                                driver.visits.get((f.id, s.index))
                                and driver.visits[(f.id, s.index)].confirmed
                            ),
                        }
                        for s, v in schedule.rotation.visits_of(f.id)
                    ],
                }
                for f in schedule.facilitators
            ],
            "participants": [
                {"uuid": p.participant_uuid, "name": p.screen_name, "role": p.role}
                for p in driver.directory.participants.values()
            ],
            "warnings": warnings,
            "log": driver.log.tail(40),
        }

    def _changed(self, meeting: str) -> None:
        if meeting in self.meetings:
            self._push(meeting)

    def _logged(self, meeting: str, session_id: str, action: Action) -> None:
        if self.on_action is not None:
            self.on_action(action)
        if self.store is not None:
            self._background(self._record(session_id, action))
        self._push(meeting)

    async def _record(self, session_id: str, action: Action) -> None:
        """One audit row per action: `host-console`, `console.<what>[.failed]`, detail and evidence."""
        status = "" if action.ok else ".failed"
        who = f"{action.facilitator_id} " if action.facilitator_id else ""
        round_ = f"round {action.slot + 1} " if action.slot is not None else ""
        detail = f"{who}{round_}{action.detail}"
        if action.evidence:
            detail += " " + json.dumps(action.evidence, sort_keys=True)
        assert self.store is not None
        await self.store.audit(
            session_id, "host-console", f"console.{action.what}{status}", detail, action.at
        )

    def _background(self, coro: Coroutine[Any, Any, None]) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        task = loop.create_task(coro)
        self._pushes.add(task)
        task.add_done_callback(self._pushes.discard)

    def _push(self, meeting: str) -> None:
        for link in self.hub.links(meeting):
            self._background(self._send_view(meeting, link))

    async def _send_view(self, meeting: str, link: ConsoleLink) -> None:
        try:
            await link.send(json.dumps(self.view(meeting, link)))
        except Exception:
            return
