"""Small store parts of issue 12: which kind of run a database belongs to; students' opt-outs.

Whether a database belongs to a rehearsal (`run --simulate`) or to the real run:

A rehearsal records its simulated sends as sent. If the real run then used the same file, it
would find every message already sent and send nothing. So the first run to open a file claims
it for its kind, and a run of the other kind is refused with the reason.
"""

from __future__ import annotations

from datetime import datetime

from facilitator.store.codec import ts
from facilitator.store.sqlite_base import SqliteBase

SIMULATED, REAL = "simulated", "real"


class SqliteRunMode(SqliteBase):
    async def run_mode(self) -> str | None:
        """'simulated', 'real', or None while no run has claimed the file."""
        row = self._one("get_run_mode")
        return None if row is None else str(row["mode"])

    async def claim_run_mode(self, mode: str, now: datetime) -> str:
        """Claim the file for `mode` unless already claimed; returns the mode it belongs to."""
        self._run("claim_run_mode", {"mode": mode, "claimed_at": ts(now)})
        claimed = await self.run_mode()
        assert claimed is not None
        return claimed

    async def sent_count(self) -> int:
        row = self._one("count_settled_messages")
        return 0 if row is None else int(row["n"])


class SqliteOptOuts(SqliteBase):
    """Opt-outs from reminders and follow-ups, by pseudonymous survey code (surveys/optout.py)."""

    async def record_opt_out(self, session_id: str, code: str, at: datetime) -> bool:
        """True the first time this code opts out of this session's reminders."""
        params = {"session_id": session_id, "code": code, "at": ts(at)}
        return self._run("record_opt_out", params).rowcount == 1

    async def opted_out(self, session_id: str, code: str) -> bool:
        return self._one("opted_out", {"session_id": session_id, "code": code}) is not None
