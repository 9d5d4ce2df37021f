"""A tiny reader for server-sent event streams in tests (bounded by a timeout, never hangs)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import ClientResponse


async def next_event(resp: ClientResponse, want: str, timeout: float = 5.0) -> dict[str, Any]:
    """The data of the next `want` event on the stream, skipping others."""

    async def read() -> dict[str, Any]:
        event = ""
        while True:
            line = (await resp.content.readline()).decode()
            if line == "":
                raise AssertionError(f"stream ended before a {want!r} event")
            line = line.rstrip("\n")
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event == want:
                data: dict[str, Any] = json.loads(line[6:])
                return data
            elif line == "":
                event = ""

    return await asyncio.wait_for(read(), timeout)
