"""The console protocol: JSON messages over one WebSocket between the server and the console page.

The console is a thin relay: the server decides every step and sends Zoom Apps SDK calls by
name (`{"type": "command", "id", "api", "data"}`); the page runs `zoomSdk[api](data)` and answers
`{"type": "ack", "id", "ok", "result" | "code", "message"}`. Keeping the logic on the server means
one implementation, tested in Python, and the simulated host client (zoomsim/host_client.py)
can play the console without a browser. A command id is never executed twice: the page keeps the
answers it gave and repeats them if the server resends an id (after a reconnect, say).

Messages from the page are untrusted input: `parse_inbound` checks shape and size and raises
ProtocolError with a reason instead of letting a malformed message reach the logic.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

MAX_MESSAGE_CHARS = 64 * 1024
CONTROL_ACTIONS = {"pause", "resume", "open", "close", "move", "identify"}
# The SDK calls the console may be asked to make; anything else is refused by the page too.
APIS = (
    "getBreakoutRoomList",
    "getMeetingParticipants",
    "configureBreakoutRooms",
    "openBreakoutRooms",
    "closeBreakoutRooms",
    "assignParticipantToBreakoutRoom",
    "sendMessageToChat",
)
# Zoom Apps SDK error codes the driver reacts to (ZOOM-APPS.md §1.1).
SDK_ERRORS = {
    10075: "stale participant id",
    10078: "participant is not in breakout rooms",
    10092: "breakout rooms are not open",
    10093: "no such breakout room",
    10094: "no such participant",
    10100: "opening breakout rooms failed",
    10101: "closing breakout rooms failed",
    10103: "assigning the participant failed",
    10121: "breakout rooms are already open",
}
RETRYABLE = {10100, 10101, 10103}  # Zoom said "failed": worth another try, a bounded number of times


class ProtocolError(ValueError):
    """A message from a console that does not follow the protocol."""


@dataclass(frozen=True)
class Ack:
    """The console's answer to one command (or the server's own verdict: no console, timeout)."""

    id: str
    ok: bool
    result: Any = None
    code: int | None = None
    message: str = ""

    @property
    def reason(self) -> str:
        if self.ok:
            return "ok"
        if self.code is not None:
            return f"SDK error {self.code} ({SDK_ERRORS.get(self.code, self.message or 'refused')})"
        return self.message or "refused"


@dataclass(frozen=True)
class Hello:
    token: str
    client_version: str = ""
    unsupported_apis: tuple[str, ...] = ()
    running_context: str = ""
    sdk_role: str = ""


@dataclass(frozen=True)
class Control:
    action: str
    args: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SdkEvent:
    name: str
    data: dict[str, Any]


Inbound = Hello | Ack | Control | SdkEvent


def _str(obj: dict[str, Any], name: str, limit: int = 200, required: bool = True) -> str:
    value = obj.get(name, None if required else "")
    if not isinstance(value, str) or len(value) > limit or (required and not value):
        raise ProtocolError(f"`{name}` must be a text of at most {limit} characters")
    return value


def parse_inbound(raw: str) -> Inbound:
    """One message from a console page, checked; ProtocolError says what is wrong."""
    if len(raw) > MAX_MESSAGE_CHARS:
        raise ProtocolError("message too large")
    try:
        obj = json.loads(raw)
    except ValueError:
        raise ProtocolError("not JSON") from None
    if not isinstance(obj, dict):
        raise ProtocolError("a message must be a JSON object")
    kind = obj.get("type")
    if kind == "hello":
        sdk = obj.get("sdk") or {}
        if not isinstance(sdk, dict):
            raise ProtocolError("`sdk` must be an object")
        unsupported = sdk.get("unsupportedApis") or []
        if not isinstance(unsupported, list) or not all(isinstance(a, str) for a in unsupported):
            raise ProtocolError("`sdk.unsupportedApis` must be a list of names")
        return Hello(
            token=_str(obj, "token", 4096),
            client_version=_str(sdk, "clientVersion", 40, required=False),
            unsupported_apis=tuple(unsupported[:500]),
            running_context=_str(sdk, "runningContext", 40, required=False),
            sdk_role=_str(sdk, "role", 40, required=False),
        )
    if kind == "ack":
        ok = obj.get("ok")
        if not isinstance(ok, bool):
            raise ProtocolError("`ok` must be true or false")
        code = obj.get("code")
        if code is not None and (not isinstance(code, int) or isinstance(code, bool)):
            raise ProtocolError("`code` must be a number")
        message = obj.get("message", "")
        return Ack(
            id=_str(obj, "id", 100),
            ok=ok,
            result=obj.get("result"),
            code=code,
            message=message[:300] if isinstance(message, str) else "",
        )
    if kind == "control":
        action = _str(obj, "action", 20)
        if action not in CONTROL_ACTIONS:
            raise ProtocolError(f"unknown action `{action}`")
        args = obj.get("args") or {}
        if not isinstance(args, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and len(v) <= 200 for k, v in args.items()
        ):
            raise ProtocolError("`args` must map names to short texts")
        return Control(action, dict(list(args.items())[:10]))
    if kind == "event":
        data = obj.get("data") or {}
        if not isinstance(data, dict):
            raise ProtocolError("`data` must be an object")
        return SdkEvent(_str(obj, "name", 60), data)
    raise ProtocolError("unknown message type")


def command(command_id: str, api: str, data: dict[str, Any]) -> str:
    return json.dumps({"type": "command", "id": command_id, "api": api, "data": data})


def version_at_least(version: str, minimum: tuple[int, ...]) -> bool:
    """'6.1.0.12345' >= (6, 1, 0)? An unreadable version is treated as too old."""
    parts: list[int] = []
    for piece in version.split(".")[: len(minimum)]:
        if not piece.isdigit():
            return False
        parts.append(int(piece))
    return len(parts) == len(minimum) and tuple(parts) >= minimum
