"""Who is connected: the console pages per meeting, and the commands waiting for their answers.

One console per meeting is in control: the first host or co-host to connect. Any further console
for the same meeting is read-only and labelled so (two consoles acting at once would fight over
the rooms); when the one in control disconnects, the next eligible one takes over.

`call` sends one SDK command and waits for its acknowledgement, with a timeout. It is idempotent
by command id: asking again for an id already answered returns the same answer without sending,
and an id still in flight shares the one pending answer.
"""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from facilitator.zoomapp.protocol import Ack, Hello, command, version_at_least

MOVE_MIN_CLIENT = (5, 9, 0)  # assignParticipantToBreakoutRoom
CHAT_MIN_CLIENT = (6, 1, 0)  # sendMessageToChat
NEEDED_APIS = (
    "openBreakoutRooms",
    "closeBreakoutRooms",
    "assignParticipantToBreakoutRoom",
    "getBreakoutRoomList",
)


@dataclass(eq=False)
class ConsoleLink:
    """One connected console page (or the simulator playing one)."""

    send: Callable[[str], Awaitable[None]]
    user_id: str
    role: str
    hello: Hello
    may_control: bool
    in_control: bool = False
    pending: dict[str, asyncio.Future[Ack]] = field(default_factory=dict)

    def unusable_because(self) -> str | None:
        """Why this console cannot run the rotation (None: it can)."""
        missing = [a for a in NEEDED_APIS if a in self.hello.unsupported_apis]
        if missing:
            return f"the Zoom client does not support {', '.join(missing)}"
        if not version_at_least(self.hello.client_version, MOVE_MIN_CLIENT):
            return f"Zoom client {self.hello.client_version or '(unknown)'} is older than 5.9.0"
        return None

    @property
    def chat_supported(self) -> bool:
        return "sendMessageToChat" not in self.hello.unsupported_apis and version_at_least(
            self.hello.client_version, CHAT_MIN_CLIENT
        )


class ConsoleHub:
    def __init__(self, remember: int = 5000) -> None:
        self._links: dict[str, list[ConsoleLink]] = {}
        self._answers: OrderedDict[str, Ack] = OrderedDict()
        self._inflight: dict[str, asyncio.Future[Ack]] = {}
        self._remember = remember
        self.on_change: Callable[[str], None] | None = None  # meeting uuid whose consoles changed

    # -- connections ----------------------------------------------------------------------------

    def attach(self, meeting: str, link: ConsoleLink) -> None:
        links = self._links.setdefault(meeting, [])
        links.append(link)
        self._elect(meeting)

    def detach(self, meeting: str, link: ConsoleLink) -> None:
        links = self._links.get(meeting, [])
        if link in links:
            links.remove(link)
        for future in link.pending.values():
            if not future.done():
                future.set_result(Ack("", ok=False, message="the console disconnected"))
        link.in_control = False
        self._elect(meeting)

    def _elect(self, meeting: str) -> None:
        links = self._links.get(meeting, [])
        if not any(lk.in_control for lk in links):
            for lk in links:
                if lk.may_control:
                    lk.in_control = True
                    break
        if self.on_change is not None:
            self.on_change(meeting)

    def links(self, meeting: str) -> list[ConsoleLink]:
        return list(self._links.get(meeting, []))

    def controller(self, meeting: str | None) -> ConsoleLink | None:
        if meeting is None:
            return None
        return next((lk for lk in self._links.get(meeting, []) if lk.in_control), None)

    async def publish(self, meeting: str, payload: dict[str, Any]) -> None:
        """Send a view update to every console of the meeting (read-only ones too)."""
        text = json.dumps(payload)
        for link in self.links(meeting):
            try:
                await link.send(text)
            except Exception:  # a closing socket: its handler detaches it
                continue

    # -- commands -------------------------------------------------------------------------------

    def deliver(self, link: ConsoleLink, ack: Ack) -> bool:
        """An acknowledgement arrived; False when nothing was waiting for that id."""
        future = link.pending.pop(ack.id, None)
        if future is None or future.done():
            return False
        future.set_result(ack)
        return True

    async def call(
        self, meeting: str | None, command_id: str, api: str, data: dict[str, Any], timeout: float
    ) -> Ack:
        if command_id in self._answers:
            return self._answers[command_id]
        if command_id in self._inflight:
            return await asyncio.shield(self._inflight[command_id])
        link = self.controller(meeting)
        if link is None:
            return Ack(command_id, ok=False, message="no console is connected for this meeting")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Ack] = loop.create_future()
        link.pending[command_id] = future
        self._inflight[command_id] = future
        try:
            await link.send(command(command_id, api, data))
            ack = await asyncio.wait_for(asyncio.shield(future), timeout)
        except TimeoutError:
            ack = Ack(command_id, ok=False, message=f"no answer from the console within {timeout:g} s")
        except Exception as exc:  # the socket broke while sending
            ack = Ack(
                command_id, ok=False, message=f"the console could not be reached ({type(exc).__name__})"
            )
        finally:
            link.pending.pop(command_id, None)
            self._inflight.pop(command_id, None)
        if ack.ok or ack.code is not None:
            self._answers[command_id] = ack  # a definite answer; timeouts may be retried with the same id
            while len(self._answers) > self._remember:
                self._answers.popitem(last=False)
        return ack
