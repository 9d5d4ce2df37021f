"""Signed Zoom webhook deliveries for tests, as Zoom would send them."""

from __future__ import annotations

import json
from typing import Any

from aiohttp.test_utils import TestClient

from facilitator.zoom.webhooks import sign
from tests.web.conftest import ZOOM_SECRET


async def deliver(client: TestClient[Any, Any], now_ts: float, event: str, obj: dict[str, Any]) -> int:
    body = json.dumps(
        {
            "event": event,
            "event_ts": int(now_ts * 1000),
            "payload": {"account_id": "acct", "object": {"id": "85012345678", "uuid": "m-uuid", **obj}},
        }
    )
    ts = str(int(now_ts))
    resp = await client.post(
        "/zoom/webhook",
        data=body.encode(),
        headers={
            "Content-Type": "application/json",
            "x-zm-request-timestamp": ts,
            "x-zm-signature": sign(ZOOM_SECRET, ts, body.encode()),
        },
    )
    return resp.status


def participant(email: str, name: str, uid: str) -> dict[str, Any]:
    return {
        "participant": {
            "user_id": uid,
            "user_name": name,
            "email": email,
            "join_time": "2027-01-14T19:00:00Z",
        }
    }
