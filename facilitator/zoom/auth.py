"""Server-to-Server OAuth for ZoomClient: one access token per client, shared by every call.

The token is fetched when missing or ~60 s before it expires, by one caller while the others
wait, and once more if Zoom says code 124. Refused credentials stay refused for the client, so a
wrong secret gives one clear error instead of a storm of token requests. The secret is read only
to build the request and the token only to build a header: neither is ever logged.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Callable

import aiohttp

from facilitator.config import Settings
from facilitator.zoom.errors import ZoomAuthError, ZoomNotConfigured, oauth_reason
from facilitator.zoom.models import TokenResponse
from facilitator.zoom.transport import RETRYABLE, Waits, ZoomStats

# The client's logger, as before this module was split out of it, so log filters keep working.
log = logging.getLogger("facilitator.zoom.client")

TOKEN_REFRESH_EARLY_SECONDS = 60.0  # as Zoom's own SDK does


class ZoomAuth:
    """Holds the client's access token and fetches a new one when it is due."""

    def __init__(
        self,
        settings: Settings,
        session: Callable[[], aiohttp.ClientSession],
        waits: Waits,
        stats: ZoomStats,
        monotonic: Callable[[], float],
    ) -> None:
        self.settings = settings
        self._session, self._waits, self._stats, self._monotonic = session, waits, stats, monotonic
        self._token: TokenResponse | None = None
        self._token_refresh_at = 0.0
        self._token_lock = asyncio.Lock()
        self._refused: ZoomAuthError | None = None

    async def token(self) -> TokenResponse:
        """A valid access token, fetched when missing or due (~60 s before it expires).

        Single-flight: callers arriving while a fetch is under way wait on the lock and then
        find the fresh token, so N concurrent callers cause one token request, not N. Refused
        credentials stay refused for this client: later callers get the same error at once.
        """
        if self._token is not None and self._monotonic() < self._token_refresh_at:
            return self._token
        async with self._token_lock:
            if self._refused is not None:
                raise self._refused
            if self._token is None or self._monotonic() >= self._token_refresh_at:
                fetched_at = self._monotonic()
                try:
                    token = await self._fetch_token()
                except ZoomAuthError as exc:
                    self._refused = exc
                    raise
                early = min(TOKEN_REFRESH_EARLY_SECONDS, token.expires_in / 2)
                self._token, self._token_refresh_at = token, fetched_at + token.expires_in - early
            return self._token

    def invalidate(self, used: TokenResponse) -> None:
        """Forget `used` (Zoom said code 124), unless another caller already replaced it."""
        if self._token is used:
            self._token = None

    async def _fetch_token(self) -> TokenResponse:
        s = self.settings
        if not (s.zoom_account_id and s.zoom_client_id and s.zoom_client_secret):
            raise ZoomNotConfigured(
                "Zoom is not configured: set ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET"
            )
        url = s.zoom_oauth_base_url.rstrip("/") + "/oauth/token"
        pair = f"{s.zoom_client_id}:{s.zoom_client_secret.get_secret_value()}".encode()
        auth = {"Authorization": "Basic " + base64.b64encode(pair).decode()}
        data = {"grant_type": "account_credentials", "account_id": s.zoom_account_id}
        attempt = 0
        while True:
            attempt += 1
            self._stats.token_requests += 1
            try:
                async with self._session().post(url, headers=auth, data=data) as resp:
                    status, raw = resp.status, await resp.read()
            except RETRYABLE as exc:
                await self._waits.backoff("token request", attempt, type(exc).__name__)
                continue
            log.debug("zoom POST /oauth/token -> %d", status)
            if status >= 500 or status == 429:
                await self._waits.backoff("token request", attempt, f"HTTP {status}")
                continue
            if status != 200:
                reason = oauth_reason(raw)
                raise ZoomAuthError(
                    f"Zoom rejected the credentials for account {s.zoom_account_id}: {reason}. "
                    "Check ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET, and that the "
                    "Server-to-Server OAuth app is activated",
                    status=status,
                )
            try:
                return TokenResponse.model_validate_json(raw)
            except ValueError:
                raise ZoomAuthError("Zoom's token answer lacked an access token", status=status) from None
