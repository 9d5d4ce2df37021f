"""An access log that records no identity and no credential.

aiohttp's default format logs the client address and User-Agent, and the request line would log
link tokens (bearer credentials) and survey codes. This logger writes method, the route's path
with tokens redacted, status and duration: enough to operate, nothing to identify anyone.
"""

from __future__ import annotations

import logging

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

_TOKEN_PREFIXES = ("/f/", "/b/", "/s/", "/login/")


def redact_path(path: str) -> str:
    """`/b/eyJ.../events` -> `/b/<token>/events`; query strings are never logged."""
    for prefix in _TOKEN_PREFIXES:
        if path.startswith(prefix):
            rest = path[len(prefix) :]
            tail = rest.split("/", 1)[1] if "/" in rest else None
            return f"{prefix}<token>" + (f"/{tail}" if tail is not None else "")
    return path


class PrivateAccessLogger(AbstractAccessLogger):
    """`GET /b/<token> 200 1.2ms`."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        if not self.logger.isEnabledFor(logging.INFO):
            return
        self.logger.info(
            "%s %s %s %.1fms", request.method, redact_path(request.path), response.status, time * 1000
        )

    @property
    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.INFO)
