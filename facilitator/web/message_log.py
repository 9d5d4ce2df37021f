"""The director's message log: filtered by kind, status and recipient, and paged.

The seed study alone plans 631 messages; one unfiltered table of them was unusable by keyboard
(hundreds of tab stops) and on a phone. Filters are plain query parameters (`kind`, `status`,
`recipient`, `page`), so every view has a URL and works without JavaScript. Unknown values are
not errors: they simply match nothing, and a page past the end shows the last page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from facilitator.schedule.model import Schedule
from facilitator.store.base import OutboxMessage
from facilitator.web.common import day_hhmm

PAGE_SIZE = 50
RETRYABLE = {"failed", "expired", "cancelled"}
CANCELLABLE = {"pending"}
MAX_FILTER_LENGTH = 200


@dataclass(frozen=True)
class LogFilter:
    kind: str = ""
    status: str = ""
    recipient: str = ""
    page: int = 1

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> LogFilter:
        def text(name: str) -> str:
            return query.get(name, "").strip()[:MAX_FILTER_LENGTH]

        try:
            page = max(1, min(int(query.get("page", "1")), 10_000))
        except ValueError:
            page = 1
        return cls(text("kind"), text("status"), text("recipient"), page)

    def url(self, **change: Any) -> str:
        """`?kind=..&status=..&recipient=..&page=..#messages` with `change` applied, empties dropped."""
        values = {"kind": self.kind, "status": self.status, "recipient": self.recipient, "page": self.page}
        values.update(change)
        if values["page"] == 1:
            values["page"] = ""
        return "?" + urlencode({k: v for k, v in values.items() if v}) + "#messages"


def recipient_names(schedule: Schedule) -> dict[str, str]:
    """recipient id -> a name a person recognises (facilitators, hosts and students)."""
    names = {s.email: s.name for s in schedule.students}
    names.update({f.id: f.name for f in schedule.facilitators})
    names.update({h.id: f"{h.name} (host)" if h.id == "@host" else h.name for h in schedule.hosts})
    return names


def message_log(
    schedule: Schedule, rows: list[OutboxMessage], flt: LogFilter, tz: str | None = None
) -> dict[str, Any]:
    """The rows matching `flt`, one page of them, and what the filter form needs; times in `tz`
    (the director's zone), else the plan's."""
    tz = tz or schedule.session.timezone
    names = recipient_names(schedule)
    needle = flt.recipient.lower()

    def matches(m: OutboxMessage) -> bool:
        if flt.kind and m.kind != flt.kind:
            return False
        if flt.status and str(m.status) != flt.status:
            return False
        if needle:
            haystack = f"{m.recipient_id} {m.recipient} {names.get(m.recipient_id, '')}".lower()
            return needle in haystack
        return True

    chosen = sorted((m for m in rows if matches(m)), key=lambda m: (m.due, m.id))
    pages = max(1, -(-len(chosen) // PAGE_SIZE))
    page = min(flt.page, pages)
    shown = chosen[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    return {
        "rows": [
            {
                "id": m.id,
                "kind": m.kind,
                "recipient": names.get(m.recipient_id, m.recipient_id),
                "channel": m.channel,
                "due": day_hhmm(m.due, tz),
                "status": str(m.status),
                "attempts": m.attempts,
                "error": m.last_error or "",
                "retry": str(m.status) in RETRYABLE,
                "cancel": str(m.status) in CANCELLABLE,
            }
            for m in shown
        ],
        "total": len(chosen),
        "page": page,
        "pages": pages,
        "first": (page - 1) * PAGE_SIZE + 1 if chosen else 0,
        "last": (page - 1) * PAGE_SIZE + len(shown),
        "kinds": sorted({m.kind for m in rows}),
        "statuses": sorted({str(m.status) for m in rows}),
        "filter": flt,
        "prev_url": flt.url(page=page - 1) if page > 1 else None,
        "next_url": flt.url(page=page + 1) if page < pages else None,
        "filtered": bool(flt.kind or flt.status or flt.recipient),
    }
