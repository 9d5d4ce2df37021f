"""When each survey of a session closes, as the students' emails promised.

The close time is the one the planned survey messages carry (`close` in their context: the plan's
`close:`, else the default, the session start for the pre-survey). After it, the survey link shows
a "this survey has closed" page and a completion callback is kept apart, not counted.
"""

from __future__ import annotations

from datetime import UTC, datetime

from facilitator.schedule.model import MessageKind, Schedule

_FIRST = {MessageKind.PRE_SURVEY: "pre", MessageKind.POST_SURVEY: "post"}


def survey_closes(schedule: Schedule) -> dict[str, datetime]:
    """{"pre": close, "post": close} for the surveys this session sends."""
    closes: dict[str, datetime] = {}
    for message in schedule.messages:
        kind = _FIRST.get(message.kind)
        close = message.context.get("close")
        if kind is None or kind in closes or not isinstance(close, str):
            continue
        closes[kind] = datetime.fromisoformat(close.replace("Z", "+00:00")).astimezone(UTC)
        if len(closes) == len(_FIRST):
            break
    return closes


def is_closed(schedule: Schedule, kind: str, now: datetime) -> datetime | None:
    """The close time when the survey `kind` has closed by `now`, else None."""
    close = survey_closes(schedule).get(kind)
    return close if close is not None and now >= close else None
