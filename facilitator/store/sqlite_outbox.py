"""The outbox half of `SqliteStore`: durable messages, atomic claims, delivery history.

Correctness rests on the database, not on the caller being careful: the idempotency key is
UNIQUE (filling twice inserts nothing), a claim is one UPDATE ... RETURNING (two claimers can
never get the same row, SQLite serialises writers), and every state change is guarded by the
status it expects, so a late or duplicate `mark_*` is a no-op instead of a corruption.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

from facilitator.schedule.model import Lane, PlannedMessage
from facilitator.store.base import DeliveryAttempt, MessageStatus, OutboxMessage
from facilitator.store.codec import message_params, parse_ts, to_attempt, to_message, ts
from facilitator.store.sqlite_base import SqliteBase

_LANE_ORDER = {Lane.CUE.value: 0, Lane.BULK.value: 1}


class SqliteOutbox(SqliteBase):
    async def fill_outbox(self, session_id: str, messages: Sequence[PlannedMessage]) -> int:
        params = [message_params(session_id, m) for m in messages]
        before = self._conn.total_changes
        with self._tx() as conn:
            conn.executemany(self._sql["insert_message"], params)
        return self._conn.total_changes - before

    async def add_message(self, session_id: str, message: PlannedMessage) -> bool:
        return self._run("insert_message", message_params(session_id, message)).rowcount == 1

    async def replace_pending(
        self, message_id: int, retired_key: str, reason: str, new: PlannedMessage, at: datetime
    ) -> bool:
        with self._tx():
            row = self._one("get_message", {"id": message_id})
            if row is None:
                return False
            retired = self._run(
                "retire_pending", {"id": message_id, "retired_key": retired_key, "reason": reason}
            )
            if retired.rowcount != 1:
                return False
            self._attempt(message_id, at, "cancelled", reason, None)
            self._run("insert_message", message_params(str(row["session_id"]), new))
        return True

    async def claim_due(self, now: datetime, lane: str | None, limit: int) -> list[OutboxMessage]:
        if limit <= 0:
            return []
        if lane is None:
            rows = self._all("claim_due_any", {"now": ts(now), "limit": limit})
        else:
            rows = self._all("claim_due_lane", {"now": ts(now), "lane": lane, "limit": limit})
        claimed = [to_message(r) for r in rows]
        # RETURNING does not promise the subquery's order: restore it.
        claimed.sort(key=lambda m: (_LANE_ORDER.get(m.lane, 9), m.due, m.id))
        return claimed

    def _mark(self, query: str, outcome: str, message_id: int, when: datetime, **params: object) -> bool:
        with self._tx():
            changed = self._run(query, {"id": message_id, **params}).rowcount == 1
            if changed:
                self._attempt(message_id, when, outcome, params.get("error"), params.get("provider_id"))
        return changed

    def _attempt(
        self, message_id: int, at: datetime, outcome: str, error: object, provider_id: object
    ) -> None:
        self._run(
            "record_attempt",
            {
                "message_id": message_id,
                "at": ts(at),
                "outcome": outcome,
                "error": error,
                "provider_id": provider_id,
            },
        )

    async def mark_sent(self, message_id: int, at: datetime, provider_id: str) -> None:
        self._mark("mark_sent", "sent", message_id, at, at=ts(at), provider_id=provider_id)

    async def mark_sent_many(self, confirmed: Sequence[tuple[int, datetime, str]]) -> None:
        """One transaction for a batch of confirmations: a commit per message is most of the
        cost of marking, and sends that finish together can be confirmed together."""
        if not confirmed:
            return
        with self._tx():
            for message_id, at, provider_id in confirmed:
                params = {"id": message_id, "at": ts(at), "provider_id": provider_id}
                if self._run("mark_sent", params).rowcount == 1:
                    self._attempt(message_id, at, "sent", None, provider_id)

    async def mark_retry(
        self, message_id: int, error: str, next_attempt: datetime, at: datetime | None = None
    ) -> None:
        self._mark("mark_retry", "retry", message_id, _when(at), error=error, next_attempt=ts(next_attempt))

    async def mark_failed(self, message_id: int, error: str, at: datetime | None = None) -> None:
        self._final(message_id, MessageStatus.FAILED, error, at)

    async def mark_expired(self, message_id: int, reason: str, at: datetime | None = None) -> None:
        self._final(message_id, MessageStatus.EXPIRED, reason, at)

    async def mark_cancelled(self, message_id: int, reason: str, at: datetime | None = None) -> None:
        self._final(message_id, MessageStatus.CANCELLED, reason, at)

    def _final(self, message_id: int, status: MessageStatus, error: str, at: datetime | None) -> None:
        self._mark("mark_final", status.value, message_id, _when(at), status=status.value, error=error)

    async def cancel_message(
        self, message_id: int, reason: str = "cancelled by the director", at: datetime | None = None
    ) -> bool:
        return self._mark("cancel_message", "cancelled", message_id, _when(at), reason=reason, error=reason)

    async def retry_message(self, message_id: int, now: datetime) -> bool:
        with self._tx():
            row = self._one("get_message", {"id": message_id})
            if row is None or row["status"] not in ("failed", "expired", "cancelled"):
                return False
            message = to_message(row)
            start = max(now, message.due)
            deadline = max(message.deadline, start + (message.deadline - message.due))
            self._run(
                "retry_message", {"id": message_id, "next_attempt": ts(start), "deadline": ts(deadline)}
            )
            self._attempt(message_id, now, "requeued", None, None)
        return True

    async def expedite_retries(self, channel: str, now: datetime) -> int:
        return self._run("expedite_retries", {"channel": channel, "now": ts(now)}).rowcount

    async def get_message(self, message_id: int) -> OutboxMessage | None:
        row = self._one("get_message", {"id": message_id})
        return None if row is None else to_message(row)

    async def message_by_key(self, key: str) -> OutboxMessage | None:
        row = self._one("message_by_key", {"key": key})
        return None if row is None else to_message(row)

    async def list_messages(
        self,
        session_id: str,
        kinds: Sequence[str] | None = None,
        statuses: Sequence[str] | None = None,
    ) -> list[OutboxMessage]:
        params = {
            "session_id": session_id,
            "kinds": None if kinds is None else json.dumps([str(k) for k in kinds]),
            "statuses": None if statuses is None else json.dumps([str(s) for s in statuses]),
        }
        return [to_message(r) for r in self._all("list_messages", params)]

    async def next_due(self) -> datetime | None:
        row = self._one("next_due")
        return None if row is None or row["next_due"] is None else parse_ts(row["next_due"])

    async def next_due_after(self, lane: str, after: datetime) -> datetime | None:
        row = self._one("next_due_after", {"lane": lane, "after": ts(after)})
        return None if row is None or row["next_due"] is None else parse_ts(row["next_due"])

    async def pending_between(
        self, lane: str, after: datetime, after_id: int, until: datetime, limit: int
    ) -> list[OutboxMessage]:
        if limit <= 0:
            return []
        params = {"lane": lane, "after": ts(after), "after_id": after_id, "until": ts(until), "limit": limit}
        return [to_message(r) for r in self._all("pending_between", params)]

    async def recover_sending(self, at: datetime | None = None) -> int:
        with self._tx():
            ids = [r["id"] for r in self._all("sending_ids")]
            for message_id in ids:
                self._attempt(
                    message_id, _when(at), "interrupted", "not confirmed before a stop; resending", None
                )
            self._run("recover_sending")
        return len(ids)

    async def message_counts(self, session_id: str) -> dict[tuple[str, str], int]:
        rows = self._all("message_counts", {"session_id": session_id})
        return {(r["kind"], r["status"]): r["n"] for r in rows}

    async def record_attempt(
        self,
        message_id: int,
        at: datetime,
        outcome: str,
        error: str | None = None,
        provider_id: str | None = None,
    ) -> None:
        self._attempt(message_id, at, outcome, error, provider_id)

    async def list_attempts(self, message_id: int) -> list[DeliveryAttempt]:
        return [to_attempt(r) for r in self._all("list_attempts", {"message_id": message_id})]


def _when(at: datetime | None) -> datetime:
    """History timestamps: the caller's (possibly virtual) time when given, else wall time."""
    return at if at is not None else datetime.now(UTC)
