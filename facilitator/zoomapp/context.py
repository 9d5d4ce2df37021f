"""Zoom's encrypted `X-Zoom-App-Context` header: the only thing that proves who opened the console.

Zoom sends it with every Home URL request from inside its client. It is AES-256-GCM with the key
SHA-256(client secret), packed as: iv length (1 byte), iv, aad length (uint16 LE), aad,
ciphertext length (int32 LE), ciphertext, 16-byte tag (ZOOM-APPS.md §2.5, both official samples).
The Home URL's query parameters are not signed and are never trusted.

`verify_context` turns a header into an `AppContext` or a `ContextError` carrying the HTTP status
and a reason a person can read: 401 when the header is missing, forged or stale, 403 when it is
genuine but the person may not run the console (an attendee). `encrypt_context` packs a context
the same way; tests and `run --simulate` use it to play Zoom's side.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import struct
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

HEADER = "X-Zoom-App-Context"
MAX_HEADER_CHARS = 8192
CONTROL_ROLES = {"host", "co-host", "cohost"}  # Zoom spells co-host differently per API
TAG_BYTES = 16


class ContextError(Exception):
    """A context that cannot open the console; `status` is the HTTP status to answer with."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class AppContext:
    """What a verified header says about the person who opened the app."""

    user_id: str
    meeting_uuid: str  # the main meeting, also when the app was opened inside a breakout room
    role: str
    expires_at_ms: int
    in_breakout_room: bool = False
    instance_id: str | None = None

    @property
    def may_control(self) -> bool:
        return self.role.lower() in CONTROL_ROLES


def _key(client_secret: str) -> bytes:
    return hashlib.sha256(client_secret.encode("utf-8")).digest()


def decrypt_context(header: str, client_secret: str) -> dict[str, Any]:
    """The header's JSON claims; ContextError(401) for anything malformed or not sealed with our key."""
    if not header or len(header) > MAX_HEADER_CHARS:
        raise ContextError(401, "the Zoom app context is missing or too long")
    try:
        buf = base64.b64decode(header, validate=False)
        iv_len = buf[0]
        iv = buf[1 : 1 + iv_len]
        pos = 1 + iv_len
        (aad_len,) = struct.unpack_from("<H", buf, pos)
        pos += 2
        aad = buf[pos : pos + aad_len]
        pos += aad_len
        (ct_len,) = struct.unpack_from("<i", buf, pos)
        pos += 4
        if ct_len < 0 or len(iv) != iv_len or len(aad) != aad_len:
            raise ValueError("truncated")
        ciphertext, tag = buf[pos : pos + ct_len], buf[pos + ct_len :]
        if len(ciphertext) != ct_len or len(tag) != TAG_BYTES or iv_len == 0:
            raise ValueError("bad lengths")
        plain = AESGCM(_key(client_secret)).decrypt(iv, ciphertext + tag, aad or None)
        claims = json.loads(plain)
    except (ValueError, IndexError, struct.error, binascii.Error, InvalidTag, UnicodeDecodeError):
        raise ContextError(401, "the Zoom app context could not be verified") from None
    if not isinstance(claims, dict):
        raise ContextError(401, "the Zoom app context is not an object")
    return claims


def encrypt_context(claims: dict[str, Any], client_secret: str, aad: bytes = b"") -> str:
    """Pack claims as Zoom does (tests and the simulator play Zoom's side with this)."""
    iv = os.urandom(12)
    sealed = AESGCM(_key(client_secret)).encrypt(iv, json.dumps(claims).encode(), aad or None)
    ciphertext, tag = sealed[:-TAG_BYTES], sealed[-TAG_BYTES:]
    packed = (
        bytes([len(iv)])
        + iv
        + struct.pack("<H", len(aad))
        + aad
        + struct.pack("<i", len(ciphertext))
        + ciphertext
        + tag
    )
    return base64.b64encode(packed).decode("ascii")


def _text(claims: dict[str, Any], name: str) -> str | None:
    value = claims.get(name)
    return value if isinstance(value, str) and value else None


def verify_context(header: str | None, client_id: str, client_secret: str, now: datetime) -> AppContext:
    """A verified context for our app, in date, naming a meeting; ContextError otherwise.

    An attendee's genuine context is returned too (role says so): the caller shows a plain 403,
    so the check of role lives next to the page that refuses.
    """
    if header is None:
        raise ContextError(401, "open this page from the Zoom app inside a meeting")
    claims = decrypt_context(header, client_secret)
    if claims.get("aud") != client_id:
        raise ContextError(401, "the Zoom app context was issued for another app")
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or isinstance(exp, bool):
        raise ContextError(401, "the Zoom app context has no expiry")
    if exp <= now.timestamp() * 1000:  # Zoom's exp is in milliseconds
        raise ContextError(401, "the Zoom app context has expired; reopen the app")
    user_id = _text(claims, "uid")
    # Opened inside a breakout room: Zoom's guide puts the main meeting in `pid` (room in `mid`);
    # the SDK typings put the room in `bmid` and keep the meeting in `mid`. Both lead to the meeting.
    meeting = _text(claims, "pid") or _text(claims, "mid")
    if user_id is None or meeting is None:
        raise ContextError(401, "the Zoom app context names no user or no meeting; open it in a meeting")
    role = _text(claims, "attendrole") or "attendee"
    return AppContext(
        user_id=user_id,
        meeting_uuid=meeting,
        role=role,
        expires_at_ms=int(exp),
        in_breakout_room=bool(_text(claims, "pid") or _text(claims, "bmid")),
        instance_id=_text(claims, "iid"),
    )


class ReplayGuard:
    """Refuses a header seen before, until it expires.

    Zoom encrypts a fresh context for each Home URL load, so an identical header coming back is
    someone replaying a captured one (a copied request), not Zoom.
    """

    def __init__(self, capacity: int = 10_000) -> None:
        self._seen: OrderedDict[str, int] = OrderedDict()
        self._capacity = capacity

    def check(self, header: str, expires_at_ms: int, now: datetime) -> None:
        now_ms = now.timestamp() * 1000
        while self._seen and next(iter(self._seen.values())) <= now_ms:
            self._seen.popitem(last=False)
        digest = hashlib.sha256(header.encode("ascii", "replace")).hexdigest()
        if digest in self._seen:
            raise ContextError(401, "this Zoom app context was already used; reopen the app")
        self._seen[digest] = expires_at_ms
        if len(self._seen) > self._capacity:
            self._seen.popitem(last=False)
