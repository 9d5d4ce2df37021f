"""The host's Zoom client, as the console page sees it through the Apps SDK, over a LiveMeeting.

`SimulatedHostClient.call(api, data)` answers the SDK calls the console relays, with Zoom's result
shapes and error codes (ZOOM-APPS.md §1.1): 10121 rooms already open, 10092 not open, 10093 no
such room, 10094 no such participant (or a host/co-host, whom no app may move), 10103 "failed"
for a refusal the simulation was told to make. Every change goes through the same LiveMeeting the
rest of the simulation uses, so the bot's webhooks show where people really are.

`ConsolePlayer` plays the console page itself: it opens the Home URL with an encrypted context,
takes the console token from the page, and relays commands over the WebSocket like console.js.
The browser test forwards the real SDK's bridge calls to the same `call`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import re
import uuid as uuidlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from facilitator.zoomsim.live import LiveMeeting

CLIENT_VERSION = "6.5.10.62715"
TOKEN_META = re.compile(r'<meta name="console-token" content="([^"]+)"')


class SdkError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class SimulatedHostClient:
    meeting: LiveMeeting
    cohosts: frozenset[str] = frozenset()  # emails Zoom shows as co-host
    refuse: frozenset[tuple[str, int]] = frozenset()  # (email, n): their n-th assignment (from 1) is refused
    on_refused: Callable[[str, str], None] | None = None  # (email, room name) once a refusal is made
    flaky: float = 0.0  # share of assignments that fail once (10103) and succeed when retried
    seed: int = 0
    unsupported: tuple[str, ...] = ()
    client_version: str = CLIENT_VERSION
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    chat: list[str] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)
    _assigned_closed: dict[str, str] = field(default_factory=dict)  # email -> room, while closed
    _assignments: dict[str, list[str]] = field(default_factory=dict)  # email -> distinct rooms asked for

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._failed_once: set[tuple[str, str]] = set()
        self.room_ids = {
            name: "{" + str(uuidlib.UUID(int=i + 1)).upper() + "}"
            for i, (name, _) in enumerate(self.meeting.view.rooms)
        }

    def hello(self) -> dict[str, Any]:
        return {
            "clientVersion": self.client_version,
            "unsupportedApis": list(self.unsupported),
            "runningContext": "inMeeting",
            "role": "host",
        }

    def _role(self, email: str) -> str:
        if email == self.meeting.view.host_email.lower():
            return "host"
        return "cohost" if email in self.cohosts else "attendee"

    def _by_uuid(self, participant_uuid: str) -> str:
        for email, p in self.meeting.people.items():
            if p.participant_uuid == participant_uuid and p.present:
                return email
        raise SdkError(10094, "Invalid participant uuid")

    async def call(self, api: str, data: dict[str, Any]) -> Any:
        """One SDK call: its result, or SdkError(code) as Zoom's client would answer."""
        self.calls.append((api, dict(data)))
        if api in self.unsupported:
            raise SdkError(10001, f"{api} is not supported by this client")
        handler = getattr(self, f"_{api}", None)
        if handler is None:
            raise SdkError(10001, f"{api} is not simulated")
        return await handler(data)

    async def _getBreakoutRoomList(self, data: dict[str, Any]) -> dict[str, Any]:
        rooms = []
        for name, room_id in self.room_ids.items():
            people = [
                {"participantUUID": p.participant_uuid, "displayName": p.name, "participantStatus": "joined"}
                for p in self.meeting.people.values()
                if p.room == name
            ]
            rooms.append({"breakoutRoomId": room_id, "name": name, "participants": people})
        return {"rooms": rooms, "state": "open" if self.meeting.rooms_open else "closed"}

    async def _getMeetingParticipants(self, data: dict[str, Any]) -> dict[str, Any]:
        return {
            "participants": [
                {"screenName": p.name, "participantUUID": p.participant_uuid, "role": self._role(email)}
                for email, p in sorted(self.meeting.people.items())
                if p.present
            ]
        }

    async def _configureBreakoutRooms(self, data: dict[str, Any]) -> dict[str, Any]:
        self.config.update(data)
        return {**self.config}

    async def _openBreakoutRooms(self, data: dict[str, Any]) -> dict[str, Any]:
        if self.meeting.rooms_open:
            raise SdkError(10121, "Breakout rooms are already open")
        await self.meeting.open_rooms()
        for email, room in sorted(self._assigned_closed.items()):
            await self.meeting.move(email, room)
        self._assigned_closed.clear()
        return {"message": "success"}

    async def _closeBreakoutRooms(self, data: dict[str, Any]) -> dict[str, Any]:
        if not self.meeting.rooms_open:
            raise SdkError(10092, "Breakout rooms are not open")
        await self.meeting.close_rooms()
        return {"message": "success"}

    async def _assignParticipantToBreakoutRoom(self, data: dict[str, Any]) -> dict[str, Any]:
        room_id = data.get("uuid")
        room = next((n for n, rid in self.room_ids.items() if rid == room_id), None)
        if room is None:
            raise SdkError(10093, "Invalid breakout room uuid")
        email = self._by_uuid(str(data.get("participantUUID", "")))
        if self._role(email) != "attendee":
            raise SdkError(10094, "A host or co-host cannot be assigned by an app")
        asked = self._assignments.setdefault(email, [])
        if not asked or asked[-1] != room:
            asked.append(room)
            if (email, len(asked)) in self.refuse and self.on_refused is not None:
                self.on_refused(email, room)
        if (email, len(asked)) in self.refuse:
            raise SdkError(10103, "Assigning the participant failed")
        if (email, room) not in self._failed_once and self._rng.random() < self.flaky:
            self._failed_once.add((email, room))  # an occasional refusal: the retry succeeds
            raise SdkError(10103, "Assigning the participant failed")
        if self.meeting.rooms_open:
            await self.meeting.move(email, room)
        else:
            self._assigned_closed[email] = room
        return {"message": "success"}

    async def _sendMessageToChat(self, data: dict[str, Any]) -> dict[str, Any]:
        self.chat.append(str(data.get("message", "")))
        return {"result": [{"channelId": "main", "messageId": str(len(self.chat))}]}


class ConsolePlayer:
    """The console page, played in Python: open the Home URL, then relay commands until stopped."""

    def __init__(self, client: SimulatedHostClient, base_url: str, http: aiohttp.ClientSession) -> None:
        self.client = client
        self.base_url = base_url.rstrip("/")
        self.http = http
        self.answers: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.mode: str | None = None
        self._task: asyncio.Task[None] | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self.connected = asyncio.Event()
        self.outcomes: list[str] = []  # the server's answers to this console's button presses
        self._replies: set[asyncio.Task[None]] = set()

    async def open_app(self, context_header: str) -> str:
        """GET the Home URL as Zoom's client would; returns the console token from the page."""
        async with self.http.get(
            f"{self.base_url}/zoomapp/home", headers={"X-Zoom-App-Context": context_header}
        ) as resp:
            text = await resp.text()
            if resp.status != 200:
                raise RuntimeError(f"the Home URL answered {resp.status}")
        match = TOKEN_META.search(text)
        if match is None:
            raise RuntimeError("the console page carries no token")
        return match.group(1)

    def start(self, token: str) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(token), name="simulated-console")

    async def _run(self, token: str) -> None:
        ws_url = self.base_url.replace("http", "ws", 1) + "/zoomapp/ws"
        async with self.http.ws_connect(ws_url) as ws:
            self._ws = ws
            await ws.send_str(json.dumps({"type": "hello", "token": token, "sdk": self.client.hello()}))
            async for msg in ws:
                if msg.type != aiohttp.WSMsgType.TEXT:
                    break
                payload = json.loads(msg.data)
                if payload.get("type") == "welcome":
                    self.mode = str(payload.get("mode"))
                    self.connected.set()
                elif payload.get("type") == "command":  # concurrently, as the page's promises run
                    task = asyncio.get_running_loop().create_task(self._reply(ws, payload))
                    self._replies.add(task)
                    task.add_done_callback(self._replies.discard)
                elif payload.get("type") == "control":
                    self.outcomes.append(str(payload.get("outcome")))

    async def _reply(self, ws: aiohttp.ClientWebSocketResponse, cmd: dict[str, Any]) -> None:
        with contextlib.suppress(ConnectionError, RuntimeError):
            await ws.send_str(json.dumps(await self._answer(cmd)))

    async def press(self, action: str, **args: str) -> None:
        """A button in the console: pause, resume, open, close, move, identify."""
        assert self._ws is not None, "not connected"
        await self._ws.send_str(json.dumps({"type": "control", "action": action, "args": args}))

    async def _answer(self, cmd: dict[str, Any]) -> dict[str, Any]:
        """The answer to a command id, computed once: a repeated id (even while the first is still
        running) gets the same answer, as console.js does."""
        cid = str(cmd.get("id"))
        if cid not in self.answers:
            self.answers[cid] = asyncio.ensure_future(self._execute(cid, cmd))
        return await asyncio.shield(self.answers[cid])

    async def _execute(self, cid: str, cmd: dict[str, Any]) -> dict[str, Any]:
        try:
            result = await self.client.call(str(cmd.get("api")), dict(cmd.get("data") or {}))
            return {"type": "ack", "id": cid, "ok": True, "result": result}
        except SdkError as exc:
            return {"type": "ack", "id": cid, "ok": False, "code": exc.code, "message": exc.message}

    async def stop(self) -> None:
        for task in list(self._replies):
            task.cancel()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
