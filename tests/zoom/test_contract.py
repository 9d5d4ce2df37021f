"""Contract: the bodies the client really sends match Zoom's published OpenAPI schemas.

Reads Zoom's spec from `../shared/zoom/` next to the repository (reference data, not shipped
with the project); skipped where that folder is absent. Request bodies are checked strictly:
every key must be one Zoom's schema names (a misspelt `rooms_name` silently does nothing on
Zoom), with the schema's types, enums and lengths. The simulator's answers are checked for
types on the keys the schema names (Zoom's answers carry keys this 2023 snapshot lacks).
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from pytest_aiohttp import AiohttpServer

from facilitator.clock import ManualClock
from facilitator.schedule.model import Schedule
from facilitator.zoom.client import ZoomClient
from facilitator.zoom.models import MeetingRequest, RegistrantCreate
from facilitator.zoom.provision import meeting_request, provision
from facilitator.zoomsim.simulator import SimulatorConfig, ZoomSimulator
from tests.zoom.conftest import FAST, Sleeps, settings_for
from tests.zoom.doubles import InMemoryProvisionStore

SPEC = (
    Path(__file__).resolve().parents[2].parent / "shared" / "zoom" / "zoom-meeting-api.openapi3.2023-10.json"
)
pytestmark = pytest.mark.skipif(
    not SPEC.exists(), reason=f"Zoom's OpenAPI data is not at {SPEC} (not shipped)"
)
ZOOM_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def problems(schema: dict[str, Any], value: Any, where: str = "$", *, strict: bool) -> list[str]:
    """A small JSON-schema check for the subset Zoom's spec uses; `strict` refuses unknown keys."""
    out: list[str] = []
    if "enum" in schema and value not in schema["enum"]:
        out.append(f"{where}: {value!r} not one of {schema['enum']}")
    kind = schema.get("type")
    if kind == "object":
        if not isinstance(value, dict):
            return [*out, f"{where}: expected an object"]
        props = schema.get("properties", {})
        out += [f"{where}: missing {k}" for k in schema.get("required", []) if k not in value]
        for key, item in value.items():
            if key in props:
                out += problems(props[key], item, f"{where}.{key}", strict=strict)
            elif strict:
                out.append(f"{where}: {key!r} is not in Zoom's schema")
    elif kind == "array":
        if not isinstance(value, list):
            return [*out, f"{where}: expected an array"]
        for i, item in enumerate(value):
            out += problems(schema.get("items", {}), item, f"{where}[{i}]", strict=strict)
    elif kind == "string":
        if not isinstance(value, str):
            return [*out, f"{where}: expected a string"]
        if len(value) > schema.get("maxLength", 10**9):
            out.append(f"{where}: longer than {schema['maxLength']}")
        if schema.get("format") == "date-time" and strict and not ZOOM_TIME.match(value):
            out.append(f"{where}: {value!r} is not yyyy-MM-ddTHH:mm:ssZ")
        if schema.get("format") == "email" and "@" not in value:
            out.append(f"{where}: {value!r} is not an email")
    elif kind == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            out.append(f"{where}: expected an integer")
    elif kind == "boolean" and not isinstance(value, bool):
        out.append(f"{where}: expected a boolean")
    return out


def operation(path: str, method: str) -> dict[str, Any]:
    spec = json.loads(SPEC.read_text(encoding="utf-8"))
    return dict(spec["paths"][path][method])


def request_schema(path: str, method: str) -> dict[str, Any]:
    return dict(operation(path, method)["requestBody"]["content"]["application/json"]["schema"])


def response_schema(path: str, method: str, status: str) -> dict[str, Any]:
    return dict(operation(path, method)["responses"][status]["content"]["application/json"]["schema"])


SPEC_PATHS = {
    "create_meeting": ("/users/{userId}/meetings", "post", "201"),
    "update_meeting": ("/meetings/{meetingId}", "patch", None),
    "get_meeting": ("/meetings/{meetingId}", "get", "200"),
    "add_registrant": ("/meetings/{meetingId}/registrants", "post", "201"),
    "batch_registrants": ("/meetings/{meetingId}/batch_registrants", "post", "201"),
    "list_registrants": ("/meetings/{meetingId}/registrants", "get", "200"),
}


@pytest.fixture
async def wire(
    aiohttp_server: AiohttpServer, clock: ManualClock, sleeps: Sleeps
) -> AsyncIterator[tuple[ZoomSimulator, ZoomClient, list[tuple[str, Any, Any]]]]:
    """A simulator that records each (endpoint, request body, response body) on the wire."""
    config = SimulatorConfig(seed=11)
    sim = ZoomSimulator(config, clock)
    seen: list[tuple[str, Any, Any]] = []

    @web.middleware
    async def record(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> Any:
        raw = await request.read()
        response = await handler(request)
        endpoint = sim._endpoint(request)
        if endpoint is not None and isinstance(response, web.Response) and response.status < 300:
            body = json.loads(response.body) if response.body else None  # type: ignore[arg-type]
            seen.append((endpoint.name, json.loads(raw) if raw else None, body))
        return response

    sim.app.middlewares.append(record)
    server = await aiohttp_server(sim.app)
    client = ZoomClient(settings_for(str(server.make_url("")).rstrip("/"), config), sleep=sleeps, retry=FAST)
    async with client:
        yield sim, client, seen


async def test_provisioning_bodies_match_zoom_schemas(
    wire: tuple[ZoomSimulator, ZoomClient, list[tuple[str, Any, Any]]], schedule: Schedule
) -> None:
    _, zoom, seen = wire
    result = await provision(schedule, zoom, InMemoryProvisionStore())
    await zoom.update_meeting(result.meeting.meeting_id, meeting_request(schedule))
    await zoom.add_registrant(
        result.meeting.meeting_id, RegistrantCreate(email="late@example.edu", first_name="Late")
    )
    await zoom.get_meeting(result.meeting.meeting_id)
    _ = [r async for r in zoom.list_registrants(result.meeting.meeting_id)]
    checked = set()
    for name, sent, answered in seen:
        path, method, status = SPEC_PATHS[name]
        if sent is not None:
            assert problems(request_schema(path, method), sent, strict=True) == [], name
        if status is not None and answered is not None:
            assert problems(response_schema(path, method, status), answered, strict=False) == [], name
        checked.add(name)
    assert checked == set(SPEC_PATHS)
    create_body = next(sent for name, sent, _ in seen if name == "create_meeting")
    assert create_body["settings"]["breakout_room"]["rooms"][0]["participants"]  # the key Zoom reads
    batch_body = next(sent for name, sent, _ in seen if name == "batch_registrants")
    assert len(batch_body["registrants"]) == 30


def test_the_checker_catches_a_misnamed_key() -> None:
    schema = request_schema("/users/{userId}/meetings", "post")
    body = MeetingRequest(topic="x").body() | {"settings": {"breakout_room": {"rooms_name": ["a"]}}}
    assert problems(schema, body, strict=True) == [
        "$.settings.breakout_room: 'rooms_name' is not in Zoom's schema"
    ]
