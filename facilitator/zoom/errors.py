"""Typed Zoom failures, each carrying Zoom's own `{code, message}`.

Callers decide by type, not by parsing text: a `ZoomAuthError` means "fix the settings",
a `ZoomDailyLimit` means "come back tomorrow", a `ZoomUnavailable` means "Zoom (or the network)
kept failing after every retry". Messages never contain credentials.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from facilitator.zoom.models import ZoomErrorBody


@dataclass(frozen=True)
class FieldError:
    """One entry of a Zoom validation error's `errors` list."""

    field: str
    message: str


class ZoomError(Exception):
    """Any error answered by Zoom, or met while talking to it."""

    def __init__(self, message: str, *, status: int | None = None, code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status  # HTTP status, when there was a response
        self.code = code  # Zoom's error code from the body (e.g. 3001), when given

    def __str__(self) -> str:
        parts = [self.message]
        if self.code is not None:
            parts.append(f"(Zoom code {self.code})")
        elif self.status is not None:
            parts.append(f"(HTTP {self.status})")
        return " ".join(parts)


class ZoomNotConfigured(ZoomError):
    """Settings lack what talking to Zoom needs (account id, client id or secret)."""


class ZoomAuthError(ZoomError):
    """Zoom refused the credentials or the token (wrong secret, app deactivated, missing scope)."""


class ZoomNotFound(ZoomError):
    """The user (code 1001) or meeting (code 3001) does not exist."""


class ZoomValidationError(ZoomError):
    """Zoom rejected the request body (code 300, "Validation Failed.", with per-field errors)."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: int | None = None,
        errors: tuple[FieldError, ...] = (),
    ) -> None:
        super().__init__(message, status=status, code=code)
        self.errors = errors

    def __str__(self) -> str:
        base = super().__str__()
        if not self.errors:
            return base
        details = "; ".join(f"{e.field}: {e.message}" for e in self.errors)
        return f"{base}: {details}"


class ZoomRateLimited(ZoomError):
    """Per-second limits kept answering 429 after every retry."""


class ZoomDailyLimit(ZoomRateLimited):
    """A daily limit was hit; waiting for it to reset is longer than we are willing to wait.

    Examples: 100 meeting creates/updates per host per day, 3 registrant adds per email per
    meeting per day, the account's daily Heavy budget. `resume_at` is when Zoom says to retry.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: int | None = None,
        resume_at: datetime | None = None,
    ) -> None:
        super().__init__(message, status=status, code=code)
        self.resume_at = resume_at


class ZoomUnavailable(ZoomError):
    """5xx answers, timeouts or dropped connections persisted after every retry."""


def error_for(status: int, code: int | None, message: str, errors: tuple[FieldError, ...] = ()) -> ZoomError:
    """The typed exception for a final (not retried) Zoom error answer."""
    text = message or f"Zoom answered HTTP {status}"
    if errors or (code == 300 and status == 400):
        return ZoomValidationError(text, status=status, code=code, errors=errors)
    if status in (401, 403) or code in (124, 4700, 4711):
        return ZoomAuthError(text, status=status, code=code)
    if status == 404 or code in (1001, 3001):
        return ZoomNotFound(text, status=status, code=code)
    if status == 429:
        return ZoomRateLimited(text, status=status, code=code)
    if status >= 500:
        return ZoomUnavailable(text, status=status, code=code)
    return ZoomError(text, status=status, code=code)


def parse_error_body(raw: bytes) -> ZoomErrorBody:
    """Zoom's `{code, message, errors[]}`; an empty body when the answer is not that shape."""
    try:
        return ZoomErrorBody.model_validate_json(raw)
    except ValueError:
        return ZoomErrorBody()


def oauth_reason(raw: bytes) -> str:
    """Zoom's OAuth errors look like `{"reason": "Invalid client_id or client_secret", "error": ...}`."""
    try:
        data = json.loads(raw)
    except ValueError:
        return "no reason given"
    if isinstance(data, dict):
        return str(data.get("reason") or data.get("error") or data.get("message") or "no reason given")
    return "no reason given"
