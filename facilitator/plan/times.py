"""Durations (`25m`, `1h30m`, `PT25M`) and relative times (`start-1d`, `end+5m`, `+14d`).

Relative times keep their anchor until the schedule knows when the session starts and ends;
`resolve` then turns them into absolute UTC instants. Days move the local wall-clock date
(so `start-1d` is the same local time on the day before, across a DST change); hours and
minutes are elapsed time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

_COMPACT = re.compile(r"^(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m(?:in)?)?(?:(?P<s>\d+)s)?$")
_ISO = re.compile(
    r"^P(?:(?P<d>\d+)D)?(?:T(?=\d)(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+)S)?)?$", re.IGNORECASE
)
_RELATIVE = re.compile(r"^(?P<anchor>start|end)?\s*(?:(?P<sign>[+-])\s*(?P<offset>\S+))?$")

MAX_DURATION = timedelta(days=400)
"""No duration or offset in a plan is longer (follow-ups take weeks); also keeps date maths in range."""
EARLIEST_YEAR, LATEST_YEAR = 2000, 2200
"""Local date-times outside these years are typing mistakes, and would overflow date maths."""

DURATION_HELP = "a duration like `25m`, `1h30m` or `PT25M`"
WHEN_HELP = "a time like `start-1d`, `end+5m`, `+14d` (after the end) or `2026-12-03 13:00`"


def parse_duration(text: str | int) -> timedelta:
    """Parse a duration; a bare number means minutes. Raises ValueError with a helpful message."""
    if isinstance(text, bool):
        raise ValueError(f"expected {DURATION_HELP}")
    if isinstance(text, int):
        return _bounded(text, {"m": text})
    raw = text.strip().replace(" ", "")
    if len(raw) > 40:
        raise ValueError(f"{text[:40]!r}... is not {DURATION_HELP}")
    if raw.isdigit():
        return _bounded(text, {"m": int(raw)})
    match = _COMPACT.match(raw.lower()) if not raw.upper().startswith("P") else _ISO.match(raw)
    if not raw or match is None or not any(match.groupdict().values()):
        raise ValueError(f"{text!r} is not {DURATION_HELP}")
    return _bounded(text, {k: int(v) for k, v in match.groupdict().items() if v})


_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def _bounded(text: str | int, parts: dict[str, int]) -> timedelta:
    """The duration the parts add up to, refused past MAX_DURATION (before timedelta could overflow)."""
    seconds = sum(_SECONDS[unit] * amount for unit, amount in parts.items())
    if abs(seconds) > MAX_DURATION.total_seconds():
        raise ValueError(f"{text!r} is longer than the limit of {MAX_DURATION.days} days")
    return timedelta(seconds=seconds)


def format_duration(delta: timedelta) -> str:
    """`1h30m` style, the inverse of `parse_duration` for whole minutes."""
    total = int(delta.total_seconds() // 60)
    days, rest = divmod(total, 24 * 60)
    hours, minutes = divmod(rest, 60)
    out = (f"{days}d" if days else "") + (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "")
    return out or "0m"


def parse_local_datetime(text: str) -> datetime:
    """A naive local date-time such as `2026-12-03 13:00` or `2026-12-03T13:00:00`."""
    raw = text.strip().replace("T", " ")
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"):
        try:
            parsed = datetime.strptime(raw, fmt)
        except ValueError:
            continue
        if not EARLIEST_YEAR <= parsed.year <= LATEST_YEAR:
            raise ValueError(f"{text!r}: the year must be between {EARLIEST_YEAR} and {LATEST_YEAR}")
        return parsed
    raise ValueError(f"{text!r} is not a local date-time like `2026-12-03 13:00`")


def skipped_by_dst(local: datetime, tz: ZoneInfo) -> bool:
    """True when the naive wall-clock `local` does not exist in `tz` (inside a spring-forward gap)."""
    round_trip = local.replace(tzinfo=tz).astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    return round_trip != local


def gap_message(local: datetime, tz: ZoneInfo) -> str:
    return (
        f"{local:%Y-%m-%d %H:%M} does not exist in {tz.key} (the clocks skip it for daylight saving); "
        "pick a time outside that hour"
    )


@dataclass(frozen=True)
class When:
    """A moment named relative to the session (`start`/`end` plus an offset) or absolutely (local)."""

    anchor: str | None  # "start", "end", or None for an absolute local time
    offset: timedelta = timedelta()
    absolute: datetime | None = None  # naive, in the plan's time zone

    @classmethod
    def parse(cls, text: str) -> When:
        raw = str(text).strip()
        match = _RELATIVE.match(raw)
        if match and (match["anchor"] or match["sign"]):
            anchor = match["anchor"] or "end"  # a bare `+14d` means after the session
            offset = timedelta()
            if match["sign"]:
                try:
                    offset = parse_duration(match["offset"])
                except ValueError as exc:
                    if "limit" in str(exc):
                        raise ValueError(
                            f"{text!r}: offsets are limited to {MAX_DURATION.days} days"
                        ) from None
                    raise ValueError(f"{text!r} is not {WHEN_HELP}") from None
                if match["sign"] == "-":
                    offset = -offset
            return cls(anchor=anchor, offset=offset)
        try:
            return cls(anchor=None, absolute=parse_local_datetime(raw))
        except ValueError:
            raise ValueError(f"{text!r} is not {WHEN_HELP}") from None

    def resolve(self, start: datetime, end: datetime, tz: ZoneInfo) -> datetime:
        """The UTC instant this names, for a session running from `start` to `end` (aware)."""
        if self.absolute is not None:
            return self.absolute.replace(tzinfo=tz).astimezone(UTC)
        base = start if self.anchor == "start" else end
        return shift(base, self.offset, tz)

    def __str__(self) -> str:
        if self.absolute is not None:
            return self.absolute.strftime("%Y-%m-%d %H:%M")
        if not self.offset:
            return str(self.anchor)
        sign = "-" if self.offset < timedelta() else "+"
        return f"{self.anchor}{sign}{format_duration(abs(self.offset))}"


def shift(moment: datetime, offset: timedelta, tz: ZoneInfo) -> datetime:
    """Move `moment` by `offset`: whole days on the local calendar, the rest as elapsed time."""
    sign = -1 if offset < timedelta() else 1
    magnitude = abs(offset)
    days = timedelta(days=magnitude.days)
    rest = magnitude - days
    if not days:
        # No calendar step: stay on the instant. (A round trip through the wall clock would
        # lose `fold` and move a time in the repeated hour of a DST fall-back one hour early.)
        return moment.astimezone(UTC) + sign * rest
    local = moment.astimezone(tz)
    wall = local.replace(tzinfo=None) + sign * days
    # Re-attach the zone on the wall clock, on the same side of a repeated hour as the anchor.
    moved = wall.replace(tzinfo=tz, fold=local.fold).astimezone(UTC)
    return moved + sign * rest
