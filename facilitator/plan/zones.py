"""Time zone names a plan may use: IANA region names (`America/New_York`), and `UTC`.

Abbreviations and legacy names (`EST`, `CET`, `US/Eastern`) exist in the tz database but do
not mean what people expect: `EST` is a fixed UTC-5 with no summer time, so a July 13:00 session
"in New York" written with it starts at 14:00 New York time. They are refused with the region
name to use instead. Names are only ever looked up in the list of installed zones, never opened
as paths, so `America` (a directory) or a 300-character name is a plain error.
"""

from __future__ import annotations

from difflib import get_close_matches
from functools import cache
from zoneinfo import available_timezones

_REGIONS = (
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
)
_UTC = ("UTC", "Etc/UTC")

_INSTEAD = {
    "America/New_York": "EST EDT EST5EDT US/Eastern Canada/Eastern ET",
    "America/Chicago": "CST CDT CST6CDT US/Central Canada/Central CT",
    "America/Denver": "MST7MDT MDT US/Mountain Canada/Mountain Navajo MT",
    "America/Phoenix": "MST US/Arizona",
    "America/Los_Angeles": "PST PDT PST8PDT US/Pacific Canada/Pacific PT",
    "America/Anchorage": "AKST AKDT US/Alaska",
    "Pacific/Honolulu": "HST US/Hawaii",
    "America/Halifax": "AST ADT Canada/Atlantic",
    "America/St_Johns": "NST NDT Canada/Newfoundland",
    "America/Sao_Paulo": "BRT Brazil/East",
    "America/Mexico_City": "Mexico/General",
    "America/Santiago": "Chile/Continental",
    "America/Havana": "Cuba",
    "America/Jamaica": "Jamaica",
    "Europe/London": "GB GB-Eire BST",
    "Europe/Dublin": "Eire",
    "Europe/Berlin": "CET CEST MET MEST",
    "Europe/Athens": "EET EEST",
    "Europe/Lisbon": "WET WEST Portugal",
    "Europe/Warsaw": "Poland",
    "Europe/Istanbul": "Turkey",
    "Europe/Moscow": "MSK W-SU",
    "Atlantic/Reykjavik": "Iceland",
    "Africa/Cairo": "Egypt",
    "Africa/Tripoli": "Libya",
    "Asia/Kolkata": "IST",
    "Asia/Tokyo": "JST Japan",
    "Asia/Shanghai": "PRC",
    "Asia/Seoul": "KST ROK",
    "Asia/Taipei": "ROC",
    "Asia/Hong_Kong": "HKT Hongkong",
    "Asia/Singapore": "SGT Singapore",
    "Asia/Jerusalem": "Israel",
    "Asia/Tehran": "Iran",
    "Australia/Sydney": "AEST AEDT",
    "Pacific/Auckland": "NZST NZDT NZ",
    "Pacific/Chatham": "NZ-CHAT",
    "Pacific/Kwajalein": "Kwajalein",
    "UTC": "GMT Z Zulu UCT Universal Greenwich GMT0 GMT+0 GMT-0 Etc/GMT Etc/UCT Etc/Zulu Etc/Universal",
}
_SUGGEST = {old.lower(): new for new, olds in _INSTEAD.items() for old in olds.split()}

MAX_ZONE_CHARS = 64


@cache
def region_zones() -> frozenset[str]:
    """Every installed zone named by region and city, plus `UTC`."""
    return frozenset(z for z in available_timezones() if z.split("/", 1)[0] in _REGIONS and "/" in z) | set(
        _UTC
    )


def check_zone(name: str) -> str:
    """`name` if it is a region zone; else ValueError saying which name to write instead."""
    if name in region_zones():
        return name
    shown = name if len(name) <= MAX_ZONE_CHARS else name[:MAX_ZONE_CHARS] + "..."
    raise ValueError(f"unknown time zone {shown!r}; {_hint(name)}")


def _hint(name: str) -> str:
    key = name.strip()
    if key.lower() in _SUGGEST:
        return f"did you mean `{_SUGGEST[key.lower()]}`? (abbreviations ignore or misstate summer time)"
    if key.lower().startswith(("etc/gmt", "utc+", "utc-", "gmt+", "gmt-")):
        return "fixed offsets ignore summer time; name the region instead, like `Europe/Berlin`"
    by_case = {z.lower(): z for z in region_zones()}
    if key.lower() in by_case:
        return f"did you mean `{by_case[key.lower()]}`? (names are case-sensitive)"
    if key in _REGIONS:
        return f"name a city too, like `{key}/{_EXAMPLE_CITY.get(key, '...')}`"
    if len(key) <= MAX_ZONE_CHARS:
        close = get_close_matches(key, sorted(region_zones()), n=1)
        if close:
            return f"did you mean `{close[0]}`?"
    return "use a region and city like `America/New_York` or `Europe/Berlin`"


_EXAMPLE_CITY = {
    "America": "New_York",
    "Europe": "Berlin",
    "Asia": "Tokyo",
    "Australia": "Sydney",
    "Africa": "Lagos",
}
