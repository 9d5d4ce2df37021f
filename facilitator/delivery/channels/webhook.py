"""Generic JSON webhook: POST {"text": ...} to a Slack- or Teams-style incoming webhook URL.

The URL is the facilitator's own (`webhook_url` in the message context, from the plan) or the
one from settings. 429 and 5xx are transient (a `Retry-After` header is passed on); other 4xx
are permanent; network errors and timeouts are transient.
"""

from __future__ import annotations

import aiohttp

from facilitator.config import Settings
from facilitator.delivery.channels.base import (
    PermanentSendError,
    Rendered,
    TransientSendError,
    key_digest,
)
from facilitator.retry_after import parse_retry_after
from facilitator.store.base import OutboxMessage


class WebhookChannel:
    def __init__(
        self,
        settings: Settings,
        *,
        session: aiohttp.ClientSession | None = None,
        max_concurrency: int = 4,
    ) -> None:
        self._default_url = settings.webhook_channel_url
        self._timeout = aiohttp.ClientTimeout(total=settings.webhook_timeout_seconds)
        self._session = session
        self._owns_session = session is None
        self.max_concurrency = max_concurrency

    def url_for(self, msg: OutboxMessage) -> str:
        url = msg.context.get("webhook_url") or self._default_url
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise PermanentSendError(
                f"no webhook URL for {msg.recipient_id}: set webhook_url in the plan or WEBHOOK_CHANNEL_URL"
            )
        return url

    async def send(self, msg: OutboxMessage, rendered: Rendered) -> str:
        url = self.url_for(msg)
        if self._session is None:
            self._session = aiohttp.ClientSession()
        headers = {"X-Facilitator-Key": msg.key, "Idempotency-Key": key_digest(msg.key)}
        try:
            async with self._session.post(
                url, json={"text": rendered.text}, headers=headers, timeout=self._timeout
            ) as resp:
                body = (await resp.text())[:200]
                if resp.status == 429 or resp.status >= 500:
                    raise TransientSendError(
                        f"webhook answered HTTP {resp.status}: {body}",
                        retry_after=parse_retry_after(resp.headers.get("Retry-After")),
                        channel_down=True,
                    )
                if resp.status >= 400:
                    raise PermanentSendError(f"webhook refused the message: HTTP {resp.status}: {body}")
                return resp.headers.get("X-Request-Id") or f"webhook:{key_digest(msg.key)}"
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise TransientSendError(
                f"webhook request failed: {type(exc).__name__}: {exc}", channel_down=True
            ) from exc

    async def close(self) -> None:
        if self._session is not None and self._owns_session:
            await self._session.close()
        self._session = None
