"""What the web app remembers about access, in SQLite: webhook replays, revoked sign-ins, one-time links.

Kept in the database rather than in memory so that a restart forgets none of it: a Zoom delivery
captured before the restart is still a replay after it, a director who logged out stays logged
out, and a printed sign-in link works once even if the server restarts in between.
"""

from __future__ import annotations

from datetime import datetime

from facilitator.store.codec import ts
from facilitator.store.sqlite_base import SqliteBase


class SqliteAccess(SqliteBase):
    async def remember_webhook_signature(self, signature: str, request_ts: int, horizon: int) -> bool:
        """Record an accepted signature; False when it was already recorded (a replay).

        Rows with a timestamp before `horizon` are dropped first: their deliveries are refused
        by the timestamp check, so the table holds one skew window's worth of signatures.
        """
        with self._tx():
            self._run("forget_webhook_signatures", {"horizon": horizon})
            params = {"signature": signature, "request_ts": request_ts}
            return self._run("remember_webhook_signature", params).rowcount == 1

    async def revoke_director_session(self, sid: str, expires: datetime) -> None:
        self._run("revoke_director_session", {"sid": sid, "expires": ts(expires)})

    async def revoked_director_sessions(self, now: datetime) -> set[str]:
        with self._tx():
            self._run("forget_revoked_sessions", {"now": ts(now)})
            return {str(r["sid"]) for r in self._all("revoked_director_sessions", {"now": ts(now)})}

    async def add_login_link(self, nonce_hash: str, expires: datetime) -> None:
        self._run("add_login_link", {"nonce_hash": nonce_hash, "expires": ts(expires)})

    async def use_login_link(self, nonce_hash: str, now: datetime) -> bool:
        """Mark the link used; True only the first time, and only before it expires."""
        return self._run("use_login_link", {"nonce_hash": nonce_hash, "now": ts(now)}).rowcount == 1
