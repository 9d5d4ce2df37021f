"""Checks that span fields: references, duplicates, and limits only visible across the whole plan."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterator, Sequence
from zoneinfo import ZoneInfo

from facilitator.plan.models import BreakoutPhase, Plan, PlenaryPhase, Student, Survey
from facilitator.plan.times import gap_message, skipped_by_dst
from facilitator.plan.yaml_source import Path

ZOOM_MAX_ROOMS = 100
ZOOM_MAX_PREASSIGNED = 1000


def ascii_slug(text: str) -> str:
    """Lower-case ASCII letters and digits joined by `-` (session and study ids): `Group 4` -> `group-4`."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug or "group"


def group_id(name: str) -> str:
    """A stable id for a group name: `Group 4` -> `group-4`, `Café` -> `cafe`, `Группа 1` -> `группа-1`.

    Latin names keep their ASCII slug (accents folded); names in other scripts keep their own
    letters, so `Группа` and `小组` stay different instead of both becoming `group`.
    """
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    letters = sum(c.isalnum() for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    if sum(c.isalnum() for c in folded) == letters:
        return ascii_slug(folded)
    slug = re.sub(r"[\W_]+", "-", unicodedata.normalize("NFKC", name).casefold()).strip("-")
    return slug or "group"


def breakout_of(plan: Plan) -> tuple[int, BreakoutPhase] | None:
    for index, phase in enumerate(plan.phases):
        if isinstance(phase, BreakoutPhase):
            return index, phase
    return None


def cross_checks(plan: Plan, students: Sequence[Student] | None) -> list[tuple[Path, str]]:
    """Problems spanning fields; `students` is None when the roster itself could not be read."""
    return [
        *_duplicates(plan, students),
        *_phases(plan),
        *_breakout(plan, students),
        *_surveys(plan),
        *_channels(plan),
        *_local_times(plan),
    ]


def _local_times(plan: Plan) -> Iterator[tuple[Path, str]]:
    """Wall-clock times the clocks skip (spring forward) are errors, for `start` and availability alike."""
    zone = ZoneInfo(plan.session.timezone)
    if skipped_by_dst(plan.session.start, zone):
        yield ("session", "start"), gap_message(plan.session.start, zone)
    for i, fac in enumerate(plan.facilitators):
        own = ZoneInfo(fac.timezone) if fac.timezone else zone
        for w, window in enumerate(fac.available):
            for key, local in (("from", window.start), ("until", window.until)):
                if skipped_by_dst(local, own):
                    yield ("facilitators", i, "available", w, key), gap_message(local, own)


def _duplicates(plan: Plan, students: Sequence[Student] | None) -> Iterator[tuple[Path, str]]:
    seen_ids: set[str] = set()
    seen_emails: set[str] = set()
    for i, fac in enumerate(plan.facilitators):
        if fac.id in seen_ids:
            yield ("facilitators", i, "id"), f"facilitator id `{fac.id}` is used twice; ids must be unique"
        if fac.email in seen_emails:
            yield ("facilitators", i, "email"), f"{fac.email} is given for two facilitators"
        seen_ids.add(fac.id)
        seen_emails.add(fac.email)
    if students is None:
        return
    counts = Counter(s.email for s in students)
    for email, count in sorted(counts.items()):
        if count > 1:
            yield ("students",), f"student {email} is listed {count} times; each student once"
    for email in sorted(set(counts) & seen_emails):
        yield ("students",), f"{email} is both a facilitator and a student"
    if not students:
        yield ("students",), "the session has no students"


def _phases(plan: Plan) -> Iterator[tuple[Path, str]]:
    fac_ids = {f.id for f in plan.facilitators}
    breakouts = [i for i, p in enumerate(plan.phases) if isinstance(p, BreakoutPhase)]
    for extra in breakouts[1:]:
        yield (
            ("phases", extra, "kind"),
            ("only one breakout phase per session: Zoom keeps one set of pre-assigned rooms per meeting"),
        )
    for i, phase in enumerate(plan.phases):
        if isinstance(phase, PlenaryPhase):
            for t, talk in enumerate(phase.talks):
                if talk.speaker not in fac_ids:
                    yield ("phases", i, "talks", t, "speaker"), _unknown_facilitator(talk.speaker, fac_ids)
            total = sum(t.minutes for t in phase.talks)
            if total * 60 > phase.duration.total_seconds():
                yield (
                    ("phases", i, "talks"),
                    (
                        f"the talks take {total} minutes but the phase lasts "
                        f"{int(phase.duration.total_seconds() // 60)}; shorten them or lengthen `duration`"
                    ),
                )


def _unknown_facilitator(ref: str, known: set[str]) -> str:
    from difflib import get_close_matches

    close = get_close_matches(ref, sorted(known), n=1)
    hint = f"; did you mean `{close[0]}`?" if close else f"; known: {', '.join(sorted(known))}"
    return f"no facilitator has id `{ref}`{hint}"


def _breakout(plan: Plan, students: Sequence[Student] | None) -> Iterator[tuple[Path, str]]:
    found = breakout_of(plan)
    if found is None:
        return
    index, phase = found
    base: Path = ("phases", index)
    fac_ids = {f.id for f in plan.facilitators}
    names = phase.group_names
    ids: dict[str, str] = {}
    for name in names:
        other = ids.setdefault(group_id(name), name)
        if other != name:
            yield (
                (*base, "groups"),
                f"the group names `{other}` and `{name}` give the same id `{group_id(name)}` "
                "(ids ignore case, spaces and punctuation); make them more different",
            )
    if len(names) > ZOOM_MAX_ROOMS:
        yield (*base, "groups"), f"{len(names)} groups: Zoom allows at most {ZOOM_MAX_ROOMS} breakout rooms"
    if students is not None and len(students) > ZOOM_MAX_PREASSIGNED:
        yield (
            ("students",),
            (
                f"{len(students)} students: Zoom pre-assigns at most "
                f"{ZOOM_MAX_PREASSIGNED} people to breakout rooms"
            ),
        )
    for kind in ("pairs", "exclude"):
        for p, pair in enumerate(getattr(phase, kind) or []):
            if pair.facilitator not in fac_ids:
                yield (*base, kind, p, "facilitator"), _unknown_facilitator(pair.facilitator, fac_ids)
            if pair.group not in names and pair.group not in ids:
                yield (
                    (*base, kind, p, "group"),
                    (f"no group is called `{pair.group}`; groups are {', '.join(names)}"),
                )
    n_fac = len(plan.facilitators)
    if phase.facilitators_per_room > n_fac:
        yield (
            (*base, "facilitators_per_room"),
            (f"{phase.facilitators_per_room} facilitators per room, but the plan has only {n_fac}"),
        )
    if phase.visits_per_group is not None:
        k = phase.visits_per_group
        excluded = Counter(ids.get(pair.group, pair.group) for pair in phase.exclude)
        for name in names:
            allowed = n_fac - excluded[name]
            if k > allowed:
                yield (
                    (*base, "visits_per_group"),
                    (
                        f"{k} visits per group, but only {allowed} facilitator(s) may visit {name}; "
                        f"use at most {allowed}"
                    ),
                )
                break
    if students is None:
        return
    if phase.assignment == "roster":
        for s in students:
            if s.group is None:
                yield ("students",), f"assignment is `roster` but {s.email} has no group in the roster"
                break
        unknown = sorted(
            {s.group for s in students if s.group and s.group not in names and s.group not in ids}
        )
        for g in unknown:
            yield ("students",), f"the roster names group `{g}`, which the breakout does not have"
    if len(students) < len(names):
        yield (*base, "groups"), f"{len(names)} groups but only {len(students)} students"


def _surveys(plan: Plan) -> Iterator[tuple[Path, str]]:
    for name in ("pre_survey", "post_survey"):
        survey: Survey | None = getattr(plan.messages, name)
        if survey is not None and "{code}" not in survey.url:
            yield (
                ("messages", name, "url"),
                (
                    "the survey URL must contain `{code}` where the student's pseudonymous code goes, "
                    "e.g. `https://survey.example.edu/s?code={code}`"
                ),
            )
    focus = plan.messages.focus_group
    if focus and focus.url and not focus.url.startswith(("http://", "https://")):
        yield ("messages", "focus_group", "url"), "must be an http(s) URL"
    for r, item in enumerate(plan.messages.resources.items if plan.messages.resources else []):
        if not item.url.startswith(("http://", "https://")):
            yield ("messages", "resources", "items", r, "url"), "must be an http(s) URL"


def _channels(plan: Plan) -> Iterator[tuple[Path, str]]:
    if plan.messages.channels.students == "zoom_chat":
        yield (
            ("messages", "channels", "students"),
            ("Zoom Team Chat reaches only users of your own Zoom account; students need `email`"),
        )
