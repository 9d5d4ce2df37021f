"""Email over SMTP (aiosmtplib), through a small pool of reused connections.

Every message carries a `Message-ID` derived from its idempotency key and an
`X-Facilitator-Key` header, so if the at-least-once window ever sends one twice (sent, then a
crash before the confirmation was written), the duplicate is recognisable by any mail tool.

Failures are sorted for the runner: no connection, timeouts and 4xx replies are transient;
a 5xx reply (recipient unknown, message rejected) is permanent.

Each send is one SMTP transaction for one recipient (MAIL, RCPT, DATA) spoken through
aiosmtplib's public command API rather than `sendmail`: both addresses are validated once
(`address_of`, the sender at construction), where `sendmail` re-parses each of them with the
stdlib's address parser four times per message, a sixth of the runner's CPU in a burst.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from email.utils import formataddr, parseaddr

import aiosmtplib

from facilitator.clock import Clock, SystemClock
from facilitator.config import Settings, SmtpSecurity
from facilitator.delivery.channels.base import (
    PermanentSendError,
    Rendered,
    TransientSendError,
    key_digest,
)
from facilitator.delivery.channels.mime import address_of, build_mime
from facilitator.store.base import OutboxMessage

MESSAGE_ID_DOMAIN = "facilitator.local"  # only when SMTP_FROM has no usable domain


def message_id_for(key: str, domain: str = MESSAGE_ID_DOMAIN) -> str:
    """The Message-ID of the message with idempotency key `key`: same key, same id.

    The domain is the sending domain (SMTP_FROM's): spam filters distrust ids from a domain
    that did not send the message, such as a made-up `.local`.
    """
    return f"<{key_digest(key)}@{domain}>"


def sending_domain(sender: str) -> str:
    address = parseaddr(sender)[1]
    domain = address.rpartition("@")[2].strip().lower()
    return domain if domain and domain.isascii() and "." in domain else MESSAGE_ID_DOMAIN


def build_email(msg: OutboxMessage, rendered: Rendered, sender: str, clock: Clock) -> bytes:
    """The message's bytes: multipart/alternative (text, then HTML when there is one)."""
    if rendered.sender_name:
        sender = formataddr((rendered.sender_name, parseaddr(sender)[1]), charset="utf-8")
    extra: list[str] = []
    if rendered.reply_to:
        extra.append(f"Reply-To: {address_of(rendered.reply_to)}")
    if rendered.unsubscribe_url:
        extra.append(f"List-Unsubscribe: <{rendered.unsubscribe_url}>")
        extra.append("List-Unsubscribe-Post: List-Unsubscribe=One-Click")
    return build_mime(
        sender=sender,
        recipient=msg.recipient,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        date=clock.now(),
        message_id=message_id_for(msg.key, sending_domain(sender)),
        key=msg.key,
        calendar=rendered.calendar,
        extra_headers=tuple(extra),
    )


class EmailChannel:
    """SMTP channel; at most `settings.smtp_max_connections` connections, reused between sends."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self._settings = settings
        self._clock = clock or SystemClock()
        self._tls_context = tls_context
        self._sender = settings.smtp_from
        self._envelope_from = _envelope_address(settings.smtp_from)
        self.max_concurrency = max(1, settings.smtp_max_connections)
        self._slots = asyncio.Semaphore(self.max_concurrency)
        self._idle: list[aiosmtplib.SMTP] = []
        self._local_hostname: str | None = None  # looked up once, not per connection

    async def send(self, msg: OutboxMessage, rendered: Rendered) -> str:
        recipient = address_of(msg.recipient)
        if self._envelope_from is None:
            raise TransientSendError(
                f"SMTP_FROM {self._sender!r} is not a usable email address", channel_down=True
            )
        email = build_email(msg, rendered, self._sender, self._clock)
        async with self._slots:
            # A pooled connection may have been dropped by the server while idle: one fresh retry.
            for _ in range(2):
                client, reused = await self._checkout()
                try:
                    await _transaction(client, self._envelope_from, recipient, email)
                except aiosmtplib.SMTPRecipientsRefused as exc:
                    await self._discard(client)
                    raise _classify_refusals(exc) from exc
                except aiosmtplib.SMTPResponseException as exc:
                    await self._discard(client)
                    raise _classify_reply(exc.code, exc.message) from exc
                except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
                    await self._discard(client)
                    if reused:
                        continue
                    raise TransientSendError(
                        f"SMTP connection failed: {_describe(exc)}", channel_down=True
                    ) from exc
                self._idle.append(client)
                return message_id_for(msg.key, sending_domain(self._sender))
        raise TransientSendError("SMTP connection lost twice while sending", channel_down=True)

    async def _checkout(self) -> tuple[aiosmtplib.SMTP, bool]:
        while self._idle:
            client = self._idle.pop()
            if client.is_connected:
                return client, True
        if self._local_hostname is None:
            self._local_hostname = await asyncio.to_thread(socket.getfqdn)
        client = self._new_client(self._local_hostname)
        try:
            await client.connect()
        except aiosmtplib.SMTPAuthenticationError as exc:
            raise TransientSendError(
                f"SMTP login refused ({exc.code}): check SMTP_USERNAME/SMTP_PASSWORD", channel_down=True
            ) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            s = self._settings
            raise TransientSendError(
                f"cannot connect to SMTP server {s.smtp_host}:{s.smtp_port}: {_describe(exc)}",
                channel_down=True,
            ) from exc
        return client, False

    def _new_client(self, local_hostname: str) -> aiosmtplib.SMTP:
        s = self._settings
        password = s.smtp_password.get_secret_value() if s.smtp_password is not None else None
        return aiosmtplib.SMTP(
            hostname=s.smtp_host,
            port=s.smtp_port,
            username=s.smtp_username,
            password=password if s.smtp_username else None,
            timeout=s.smtp_timeout_seconds,
            local_hostname=local_hostname,
            use_tls=s.smtp_security is SmtpSecurity.TLS,
            start_tls=s.smtp_security is SmtpSecurity.STARTTLS,
            tls_context=self._tls_context,
        )

    async def _discard(self, client: aiosmtplib.SMTP) -> None:
        if client.is_connected:
            client.close()

    async def close(self) -> None:
        """Say QUIT on every idle connection (best effort: the server may be gone already)."""
        idle, self._idle = self._idle, []
        for client in idle:
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError, TimeoutError):
                client.close()


async def _transaction(client: aiosmtplib.SMTP, sender: str, recipient: str, email: bytes) -> None:
    """One message to one recipient, as `sendmail` would send it, with addresses already checked.

    Any refusal raises the exception `sendmail` raises for it; the caller then drops the
    connection, so no RSET is needed to clear a half-finished envelope.
    """
    if client.is_ehlo_or_helo_needed:
        try:
            await client.ehlo()
        except aiosmtplib.SMTPHeloError:
            await client.helo()
    options = [f"SIZE={len(email)}".encode("ascii")] if client.supports_extension("size") else []
    reply = await client.execute_command(b"MAIL", b"FROM:<" + sender.encode("ascii") + b">", *options)
    if reply.code != 250:
        raise aiosmtplib.SMTPSenderRefused(reply.code, reply.message, sender)
    reply = await client.execute_command(b"RCPT", b"TO:<" + recipient.encode("ascii") + b">")
    if reply.code not in (250, 251):
        refused = aiosmtplib.SMTPRecipientRefused(reply.code, reply.message, recipient)
        raise aiosmtplib.SMTPRecipientsRefused([refused])
    await client.data(email)


def _envelope_address(sender: str) -> str | None:
    """The bare MAIL FROM address of SMTP_FROM; None when it has none (every send says so)."""
    try:
        return address_of(parseaddr(sender)[1])
    except PermanentSendError:
        return None


def _classify_reply(code: int, message: str) -> TransientSendError | PermanentSendError:
    text = f"SMTP server replied {code} {message.strip()}"
    if code >= 500:
        return PermanentSendError(text)
    return TransientSendError(text, channel_down=code == 421)  # 421: the service, not this message


def _classify_refusals(exc: aiosmtplib.SMTPRecipientsRefused) -> TransientSendError | PermanentSendError:
    refusals = exc.recipients
    codes = [r.code for r in refusals]
    detail = "; ".join(f"{r.recipient}: {r.code} {r.message.strip()}" for r in refusals)
    if codes and all(c >= 500 for c in codes):
        return PermanentSendError(f"recipient refused by SMTP server: {detail}")
    # 421 is the service closing the connection, not a verdict on this recipient.
    down = 421 in codes
    return TransientSendError(f"recipient temporarily refused by SMTP server: {detail}", channel_down=down)


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
