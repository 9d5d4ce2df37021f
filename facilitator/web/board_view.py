"""What the board shows around the posts: their order, whether it still takes posts, who reads
them, and where to turn for support.

Kept apart from board.py (the routes and their server-side limits) because these are the
student-facing choices: the board is read-only once the breakout ends (posts stay readable),
newest posts come first unless the student sorts by votes, and the text about who sees posts
names everyone who does (the room, its facilitator, the course director, the anonymous export).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from facilitator.schedule.model import Schedule, SessionSummary
from facilitator.store.base import Contribution
from facilitator.web.common import hhmm

SORTS = ("newest", "votes")
DEFAULT_SORT = "newest"
WHO_SEES = (
    "Who sees your post: everyone with this room's link, the physician who facilitates the room, "
    "the course director, and the anonymous export the course director may use for teaching and "
    "research. Nobody, not even the course director, can see who wrote what: posts are stored "
    "without your name, email, Zoom account or address."
)


def closes_at(schedule: Schedule) -> datetime | None:
    """When the boards stop taking posts and votes: the end of the last breakout phase."""
    ends = [p.end for p in schedule.phases if p.kind == "breakout"]
    return max(ends) if ends else None


def is_closed(schedule: Schedule, now: datetime) -> bool:
    end = closes_at(schedule)
    return end is not None and now >= end


def closed_reason(schedule: Schedule) -> str:
    """The sentence a student gets when posting or voting after the breakout."""
    end = closes_at(schedule)
    at = f" at {hhmm(end, schedule.session.timezone)}" if end else ""
    return f"This board closed{at}, when the small groups ended. You can still read every post."


def sort_of(raw: str | None) -> str:
    """The sort a request asks for; anything unknown is the default (never an error)."""
    return raw if raw in SORTS else DEFAULT_SORT


def ordered(items: Iterable[Contribution], sort: str) -> list[Contribution]:
    """Newest first, or most votes first (newest first among equals)."""
    if sort == "votes":
        return sorted(items, key=lambda c: (-c.votes, -c.id))
    return sorted(items, key=lambda c: -c.id)


def support_lines(session: SessionSummary) -> list[dict[str, Any]]:
    """The plan's support contacts, as the board template shows them."""
    return [{"name": c.name, "phone": c.phone, "url": c.url, "hours": c.hours} for c in session.support]
