"""Zoom-shaped HTTP answers for the simulator: error bodies, body validation, pagination.

Zoom's errors are `{"code": int, "message": str}`; a rejected body adds
`"errors": [{"field": "settings.breakout_room.rooms", "message": ...}]` with code 300 and
"Validation Failed." (API-NOTES 4.3). Bodies are validated with the same pydantic models the
client sends, so both sides share one reading of Zoom's published shapes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from facilitator.zoomsim.state import PAGE_TOKEN_TTL, PageCursor, SimState

M = TypeVar("M", bound=BaseModel)


class ZoomHTTPError(Exception):
    """Raised by handlers; turned into Zoom's JSON error answer by the simulator."""

    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        *,
        errors: Sequence[Mapping[str, str]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.errors = list(errors) if errors else None
        self.headers = dict(headers or {})

    def response(self) -> web.Response:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.errors is not None:
            body["errors"] = self.errors
        return web.json_response(body, status=self.status, headers=self.headers)


def validation_failed(errors: Sequence[Mapping[str, str]]) -> ZoomHTTPError:
    return ZoomHTTPError(400, 300, "Validation Failed.", errors=errors)


def _field(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


async def read_json(request: web.Request) -> Any:
    raw = await request.read()
    if not raw.strip():
        raise ZoomHTTPError(400, 300, "Request Body is required.")
    try:
        return json.loads(raw)
    except ValueError:
        raise ZoomHTTPError(400, 300, "Request Body should be a valid JSON object.") from None


async def validated(request: web.Request, model: type[M]) -> M:
    """The request body as `model`, or a Zoom validation error naming every bad field."""
    data = await read_json(request)
    if not isinstance(data, dict):
        raise ZoomHTTPError(400, 300, "Request Body should be a valid JSON object.")
    try:
        # Strict, as Zoom's schema is: "130" is not an integer, "yes" or "true" not a boolean,
        # and a number is not a `start_time`. Zoom answers such bodies with 400, so must we.
        return model.model_validate_json(await request.read(), strict=True)
    except ValidationError as exc:
        errors = []
        for err in exc.errors():
            message = str(err["msg"]).removeprefix("Value error, ")
            errors.append({"field": _field(tuple(err["loc"])) or "body", "message": message})
        raise validation_failed(errors) from None


def int_query(request: web.Request, name: str, default: int, maximum: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise validation_failed([{"field": name, "message": "Invalid field."}]) from None
    if not 1 <= value <= maximum:
        raise validation_failed([{"field": name, "message": f"must be between 1 and {maximum}"}])
    return value


def paginate(
    request: web.Request,
    state: SimState,
    now: datetime,
    *,
    endpoint: str,
    key: str,
    items: Sequence[dict[str, Any]],
    item_key: str,
) -> dict[str, Any]:
    """One page of `items`, Zoom style. A `next_page_token` only works with the query it came from.

    Zoom says to repeat the original query with the token; a client that drops a filter would
    silently get other results from Zoom. Here it gets a clear 400, so the mistake shows in tests.
    """
    query = tuple(sorted((k, v) for k, v in request.query.items() if k != "next_page_token"))
    page_size = int_query(request, "page_size", 30, 300)
    offset = 0
    token = request.query.get("next_page_token")
    if token:
        cursor = state.pages.get(token)
        if cursor is None or cursor.expires < now:
            raise ZoomHTTPError(400, 300, "The next page token is invalid or expired.")
        if (cursor.endpoint, cursor.key, cursor.query) != (endpoint, key, query):
            raise ZoomHTTPError(400, 300, "The next page token does not match the query it was issued for.")
        offset = cursor.offset
    page = list(items[offset : offset + page_size])
    next_offset = offset + len(page)
    next_token = ""
    if next_offset < len(items):
        next_token = state.open_page(PageCursor(endpoint, key, query, next_offset, now + PAGE_TOKEN_TTL))
    return {
        "page_count": max(1, -(-len(items) // page_size)),
        "page_size": page_size,
        "total_records": len(items),
        "next_page_token": next_token,
        item_key: page,
    }
