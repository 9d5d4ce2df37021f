"""The simulator's Server-to-Server OAuth: `POST /oauth/token` and bearer-token checks.

Tokens are issued only for the configured account id, client id and secret, expire on the
simulator's clock, and carry the configured scopes, which every `/v2` endpoint checks
(Zoom answers a missing scope with code 4700). `expire_all` makes every issued token fail with
401 code 124, as a revoked or expired token does on Zoom.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from aiohttp import web

from facilitator.clock import Clock
from facilitator.zoomsim.http import ZoomHTTPError


@dataclass
class IssuedToken:
    expires: datetime
    scopes: frozenset[str]
    revoked: bool = False


def _oauth_error(status: int, error: str, reason: str) -> web.Response:
    return web.json_response({"reason": reason, "error": error}, status=status)


class SimAuth:
    def __init__(
        self,
        *,
        account_id: str,
        client_id: str,
        client_secret: str,
        scopes: tuple[str, ...],
        ttl_seconds: int,
        clock: Clock,
        api_url: str,
    ) -> None:
        self.account_id, self.client_id, self.client_secret = account_id, client_id, client_secret
        self.scopes = scopes
        self.ttl = timedelta(seconds=ttl_seconds)
        self.clock = clock
        self.api_url = api_url
        self.tokens: dict[str, IssuedToken] = {}
        self.issued = 0  # how many tokens were handed out (tests count refreshes)

    def _client_matches(self, header: str | None) -> bool:
        if not header or not header.lower().startswith("basic "):
            return False
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return False
        client_id, _, secret = decoded.partition(":")
        return secrets.compare_digest(client_id, self.client_id) and secrets.compare_digest(
            secret, self.client_secret
        )

    async def token_endpoint(self, request: web.Request) -> web.Response:
        """`POST /oauth/token`: parameters in the form body or the query string (both are seen)."""
        form = await request.post()
        params = {**request.query, **{k: str(v) for k, v in form.items()}}
        if params.get("grant_type") != "account_credentials":
            return _oauth_error(400, "unsupported_grant_type", "Unsupported grant type")
        if not self._client_matches(request.headers.get("Authorization")):
            return _oauth_error(400, "invalid_client", "Invalid client_id or client_secret")
        if params.get("account_id") != self.account_id:
            return _oauth_error(400, "invalid_request", "Invalid account_id")
        token = secrets.token_urlsafe(48)
        self.tokens[token] = IssuedToken(self.clock.now() + self.ttl, frozenset(self.scopes))
        self.issued += 1
        return web.json_response(
            {
                "access_token": token,
                "token_type": "bearer",
                "expires_in": int(self.ttl.total_seconds()),
                "scope": " ".join(self.scopes),
                "api_url": self.api_url,
            }
        )

    def check(self, request: web.Request, allowed_scopes: tuple[str, ...]) -> None:
        """Raise Zoom's 401 (code 124) for a bad token, 400 (code 4700) for a missing scope."""
        header = request.headers.get("Authorization", "")
        value = header[7:].strip() if header.lower().startswith("bearer ") else ""
        issued = self.tokens.get(value) if value else None
        if issued is None:
            raise ZoomHTTPError(401, 124, "Invalid access token.")
        if issued.revoked or issued.expires <= self.clock.now():
            raise ZoomHTTPError(401, 124, "Access token is expired.")
        if allowed_scopes and not issued.scopes.intersection(allowed_scopes):
            raise ZoomHTTPError(
                400, 4700, f"Invalid access token, does not contain scopes: [{allowed_scopes[0]}]."
            )

    def expire_all(self) -> int:
        """Invalidate every token issued so far; return how many there were."""
        for issued in self.tokens.values():
            issued.revoked = True
        return len(self.tokens)
