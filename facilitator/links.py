"""Signed links: who may open which page, without accounts.

Each link carries a JWT (HS256, key from settings) whose audience says what it opens, so a
board link can never be used as a facilitator link and vice versa. Board links carry no
student identity: every student of a room gets the same one. Survey links carry the
pseudonymous code only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt

ALGORITHM = "HS256"


class Audience:
    FACILITATOR = "facilitator-page"
    BOARD = "room-board"
    SURVEY = "survey-link"
    DIRECTOR_LOGIN = "director-login"


class LinkError(Exception):
    """A link that is forged, tampered with, expired or meant for another page."""


@dataclass(frozen=True)
class LinkSigner:
    secret: str
    public_url: str  # e.g. https://facilitator.example.edu (no trailing slash needed)

    def _sign(self, audience: str, claims: dict[str, Any], expires: datetime) -> str:
        payload = {**claims, "aud": audience, "exp": int(expires.timestamp())}
        return jwt.encode(payload, self.secret, algorithm=ALGORITHM)

    def verify(self, token: str, audience: str, now: datetime) -> dict[str, Any]:
        """The claims of a valid token for `audience`; raises LinkError otherwise."""
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self.secret,
                algorithms=[ALGORITHM],
                audience=audience,
                options={"require": ["exp", "aud"], "verify_exp": False},
            )
        except jwt.InvalidTokenError as exc:
            raise LinkError(f"invalid link: {exc}") from None
        # Expiry is checked against the given clock, so simulated sessions behave like real ones.
        if int(claims["exp"]) < int(now.timestamp()):
            raise LinkError("this link has expired")
        return claims

    def url(self, path: str) -> str:
        return self.public_url.rstrip("/") + path

    def facilitator_token(self, session_id: str, facilitator_id: str, expires: datetime) -> str:
        return self._sign(Audience.FACILITATOR, {"sid": session_id, "fid": facilitator_id}, expires)

    def facilitator_url(self, session_id: str, facilitator_id: str, expires: datetime) -> str:
        return self.url(f"/f/{self.facilitator_token(session_id, facilitator_id, expires)}")

    def board_token(self, session_id: str, group_id: str, expires: datetime) -> str:
        return self._sign(Audience.BOARD, {"sid": session_id, "gid": group_id}, expires)

    def board_url(self, session_id: str, group_id: str, expires: datetime) -> str:
        return self.url(f"/b/{self.board_token(session_id, group_id, expires)}")

    def survey_token(self, session_id: str, code: str, kind: str, expires: datetime) -> str:
        return self._sign(Audience.SURVEY, {"sid": session_id, "code": code, "kind": kind}, expires)

    def survey_url(self, session_id: str, code: str, kind: str, expires: datetime) -> str:
        return self.url(f"/s/{self.survey_token(session_id, code, kind, expires)}")

    def director_login_token(self, nonce: str, expires: datetime) -> str:
        return self._sign(Audience.DIRECTOR_LOGIN, {"nonce": nonce}, expires)


def link_expiry(session_end: datetime) -> datetime:
    """Personal links stay valid for 30 days after the session (long enough for follow-ups)."""
    return session_end + timedelta(days=30)
