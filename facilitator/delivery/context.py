"""Send-time message context: the planned facts plus what only the running system knows.

A planned message carries facts the schedule knows (group, slot times in UTC, prompt). At send
time this adds the person's name, every time rendered in the RECIPIENT's own zone (DESIGN
invariant 3), and the personal links that need secrets: Zoom join URL, survey link with the
student's pseudonymous code, room board, facilitator live page and calendar. Planned keys are
kept as they are (extra keys are welcome); added keys are listed in templates/messages/README.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from facilitator.delivery.channels.base import Rendered
from facilitator.delivery.email_extras import with_session_extras
from facilitator.delivery.invites import InvitationCalendars
from facilitator.delivery.render import Renderer, RenderError
from facilitator.links import LinkSigner, link_expiry
from facilitator.schedule.model import FacilitatorInfo, Schedule, StudentInfo
from facilitator.surveys.codes import normalise_email, survey_code
from facilitator.surveys.optout import opt_out_url

_ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?(\.\d+)?(Z|\+00:00)$")
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")  # fmt: skip
_SURVEY_KINDS = {"pre_survey": "pre", "pre_survey_reminder": "pre", "post_survey": "post",
                 "post_survey_reminder": "post"}  # fmt: skip


class MessageLike(Protocol):
    """What the builder reads from a PlannedMessage or an outbox row."""

    @property
    def kind(self) -> str: ...
    @property
    def audience(self) -> str: ...
    @property
    def recipient(self) -> str: ...
    @property
    def recipient_id(self) -> str: ...
    @property
    def template(self) -> str: ...
    @property
    def context(self) -> Mapping[str, Any]: ...


class ContextError(RenderError):
    """The message cannot be given a context (e.g. its recipient is not in the schedule)."""


def parse_utc(value: str | datetime) -> datetime:
    """An ISO instant from a context (`2027-01-14T18:00:00Z`) as an aware UTC datetime."""
    dt = value if isinstance(value, datetime) else datetime.fromisoformat(value.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone; contexts hold UTC instants")
    return dt.astimezone(UTC)


def time_text(dt: datetime, tz: ZoneInfo) -> str:
    """`14:30`: the wall-clock time in `tz`."""
    return dt.astimezone(tz).strftime("%H:%M")


def date_text(dt: datetime, tz: ZoneInfo) -> str:
    """`Thursday 14 January 2027` in `tz`, in English whatever the machine's locale."""
    local = dt.astimezone(tz)
    return f"{_DAYS[local.weekday()]} {local.day} {_MONTHS[local.month - 1]} {local.year}"


def time_fields(prefix: str, dt: datetime, tz: ZoneInfo) -> dict[str, str]:
    """`X_time` 14:30, `X_at` 14:30 (Asia/Tokyo), `X_date` Thursday 14 January 2027, `X_when` both."""
    zone = tz.key
    t, d = time_text(dt, tz), date_text(dt, tz)
    return {
        f"{prefix}_time": t,
        f"{prefix}_at": f"{t} ({zone})",
        f"{prefix}_date": d,
        f"{prefix}_when": f"{d}, {t} ({zone})",
    }


def minutes_text(minutes: int) -> str:
    return f"{minutes} minute" if minutes == 1 else f"{minutes} minutes"


class MessageContextBuilder:
    """Turns a planned or outbox message into the full context its template needs.

    Built once per session (it indexes the schedule); `build` is cheap and pure apart from
    signing links, so the runner can call it for each message as it falls due.
    """

    def __init__(
        self,
        schedule: Schedule,
        signer: LinkSigner,
        survey_secret: str,
        join_urls: Mapping[str, str] | None = None,
        *,
        fallback_join_url: str | None = None,
        link_expires: datetime | None = None,
    ) -> None:
        self.schedule = schedule
        self.signer = signer
        self._secret = survey_secret
        self._join_urls = {normalise_email(k): v for k, v in (join_urls or {}).items()}
        self._fallback_join_url = fallback_join_url
        self._expires = link_expires or link_expiry(schedule.session.end)
        self._students = {normalise_email(s.email): s for s in schedule.students}
        self._facilitators = {f.id: f for f in schedule.facilitators}
        self._hosts = {h.id: h for h in schedule.hosts}
        # Whether a host console acts for the host now; the engine points it at the console driver.
        self.console_active: Callable[[], bool] = lambda: False
        self._groups = {g.id: g for g in schedule.groups}
        self._codes: dict[str, str] = {}
        # Signed links are deterministic (same claims, same expiry, same bytes) and signing one
        # costs more than rendering the rest of a message: sign each distinct link once.
        self._links: dict[tuple[str, str, str, str], str] = {}

    def survey_code_for(self, email: str) -> str:
        address = normalise_email(email)
        if address not in self._codes:
            self._codes[address] = survey_code(self._secret, self.schedule.session.study, address)
        return self._codes[address]

    def build(self, message: MessageLike) -> dict[str, Any]:
        """The planned context plus names, local times and links. Raises ContextError."""
        ctx: dict[str, Any] = dict(message.context)
        session = self.schedule.session
        ctx.setdefault("session_id", session.id)
        ctx.setdefault("session_title", session.title)
        ctx["kind"] = str(message.kind)
        if ctx["kind"] == "removed":
            return self._removed(ctx, message)
        person = self._person(message)
        tz = ZoneInfo(person.timezone)
        ctx.update(recipient_name=person.name, recipient_email=person.email, timezone=tz.key)
        ctx.update(time_fields("session_start", session.start, tz))
        ctx.update(time_fields("session_end", session.end, tz))
        ctx["board_moderated"] = session.board_moderation
        ctx["support"] = [
            {"name": c.name, "phone": c.phone, "url": c.url, "hours": c.hours} for c in session.support
        ]
        for key, value in list(ctx.items()):
            if isinstance(value, str) and _ISO_UTC.match(value):
                try:
                    ctx.update(time_fields(key, parse_utc(value), tz))
                except ValueError as exc:
                    raise ContextError(f"`{key}` is not a valid time ({value!r}): {exc}") from None
        self._group_facts(ctx)
        if isinstance(person, FacilitatorInfo) and str(message.audience) == "host":
            self._host(ctx, person)
        elif isinstance(person, FacilitatorInfo):
            self._facilitator(ctx, person, tz)
        else:
            self._student(ctx, person, str(message.kind))
        return ctx

    def _removed(self, ctx: dict[str, Any], message: MessageLike) -> dict[str, Any]:
        """A person the edited plan no longer has: nothing of theirs is in the schedule, so the
        notice speaks in the session's own zone and names nobody."""
        session = self.schedule.session
        tz = ZoneInfo(session.timezone)
        ctx.update(recipient_name="", recipient_email=message.recipient, timezone=tz.key)
        ctx.update(time_fields("session_start", session.start, tz))
        ctx.update(time_fields("session_end", session.end, tz))
        ctx["support"] = [
            {"name": c.name, "phone": c.phone, "url": c.url, "hours": c.hours} for c in session.support
        ]
        return ctx

    def _person(self, message: MessageLike) -> FacilitatorInfo | StudentInfo:
        if str(message.audience) == "host":
            host = self._hosts.get(message.recipient_id)
            if host is None:
                raise ContextError(f"host {message.recipient_id!r} is not in this session's schedule")
            return host
        if str(message.audience) == "facilitator":
            fac = self._facilitators.get(message.recipient_id)
            if fac is None:
                raise ContextError(f"facilitator {message.recipient_id!r} is not in this session's schedule")
            return fac
        student = self._students.get(normalise_email(message.recipient_id or message.recipient))
        if student is None:
            raise ContextError(f"student {message.recipient!r} is not in this session's schedule")
        return student

    def _group_facts(self, ctx: dict[str, Any]) -> None:
        """Fill the room's name, size and prompt from the schedule when a context names only its id."""
        group = self._groups.get(str(ctx.get("group_id", "")))
        if group is not None:
            ctx.setdefault("group_name", group.name)
            ctx.setdefault("students", len(group.students))
            ctx.setdefault("prompt", group.prompt)

    def _student(self, ctx: dict[str, Any], student: StudentInfo, kind: str) -> None:
        sid = str(ctx["session_id"])
        group = self._groups.get(str(ctx.get("group_id") or student.group))
        if group is not None:
            ctx.setdefault("group_id", group.id)
            ctx.setdefault("group_name", group.name)
            ctx["board_url"] = self._link("board", sid, group.id)
            ctx["calendar_url"] = f"{ctx['board_url']}/calendar.ics"
        join_url = self._join_urls.get(normalise_email(student.email), self._fallback_join_url)
        if join_url is not None:
            ctx["join_url"] = join_url
        ctx["opt_out_url"] = opt_out_url(
            self.signer.public_url, sid, self.survey_code_for(student.email), self._secret
        )
        survey = ctx.get("survey") or _SURVEY_KINDS.get(kind)
        if survey in ("pre", "post"):
            code = self.survey_code_for(student.email)
            ctx.update(survey=survey, survey_code=code)
            ctx["survey_url"] = self._link("survey", sid, code, survey)

    def _host(self, ctx: dict[str, Any], host: FacilitatorInfo) -> None:
        """Host cues: their join link when known, and whether a host console acts for them.

        `console_active` is true while the host console (a Zoom App in the host's client) runs the
        rotation; templates then say what the console does instead of asking for clicks.
        """
        ctx.setdefault("console_active", self.console_active())
        join_url = self._join_urls.get(normalise_email(host.email), self._fallback_join_url)
        if join_url is not None:
            ctx.setdefault("join_url", join_url)
        minutes = ctx.get("lead_minutes")
        ctx["lead"] = minutes_text(
            int(minutes if minutes is not None else self.schedule.cue_lead / timedelta(minutes=1))
        )

    def _facilitator(self, ctx: dict[str, Any], fac: FacilitatorInfo, tz: ZoneInfo) -> None:
        sid = str(ctx["session_id"])
        live_url = self._link("facilitator", sid, fac.id)
        ctx.update(live_url=live_url, calendar_url=f"{live_url}/calendar.ics")
        join_url = self._join_urls.get(normalise_email(fac.email))
        if join_url is not None:
            ctx["join_url"] = join_url
        minutes = ctx.get("lead_minutes")
        if minutes is None:
            minutes = int(self.schedule.cue_lead / timedelta(minutes=1))
        ctx["lead"] = minutes_text(int(minutes))
        ctx["itinerary"] = self.itinerary(fac, tz)
        if "current_group_id" in ctx or "in_meeting" in ctx:
            ctx["current_room"] = self._current_room(ctx)

    def _link(self, kind: str, sid: str, subject: str, survey: str = "") -> str:
        """A board, survey or facilitator-page URL, signed on first use and remembered."""
        key = (kind, sid, subject, survey)
        url = self._links.get(key)
        if url is None:
            if kind == "board":
                url = self.signer.board_url(sid, subject, self._expires)
            elif kind == "survey":
                url = self.signer.survey_url(sid, subject, survey, self._expires)
            else:
                url = self.signer.facilitator_url(sid, subject, self._expires)
            self._links[key] = url
        return url

    def _current_room(self, ctx: Mapping[str, Any]) -> str | None:
        """Escalations: the room the facilitator is actually in, "the main room", or None if absent."""
        if ctx.get("in_meeting") is False:
            return None
        if ctx.get("current_group_name"):
            return str(ctx["current_group_name"])
        group = self._groups.get(str(ctx.get("current_group_id") or ""))
        return group.name if group is not None else "the main room"

    def itinerary(self, fac: FacilitatorInfo, tz: ZoneInfo) -> list[dict[str, Any]]:
        """The facilitator's day in their own zone: phases, their talks, and each slot's room."""
        first_day = date_text(self.schedule.session.start, tz)
        entries: list[dict[str, Any]] = []
        for item in self.schedule.timeline:
            room = None
            if item.kind in ("plenary", "break"):
                what = f"{item.title} (main room)" if item.kind == "plenary" else item.title
            elif item.kind == "talk" and item.speaker == fac.id:
                what = f"Your talk: {item.title}"
            elif item.kind == "slot" and item.slot is not None:
                gid = self.schedule.rotation.room_of(fac.id, item.slot)
                if gid is None:
                    what = "No room this slot: you are free"
                else:
                    group = self._groups[gid]
                    room = group.name
                    size = len(group.students)
                    what = f"{group.name} ({size} student{'' if size == 1 else 's'})"
            else:
                continue
            day = date_text(item.start, tz)
            entries.append(
                {
                    "start": time_text(item.start, tz),
                    "end": time_text(item.end, tz),
                    "day": None if day == first_day else day,
                    "what": what,
                    "room": room,
                }
            )
        return entries


class MessageRenderer:
    """The runner's render function for one session: build the context, render the template.

    Raises RenderError (ContextError included) with the reason in words; the runner fails that
    one message with it and carries on.
    """

    def __init__(
        self, renderer: Renderer, builder: MessageContextBuilder, calendars: InvitationCalendars | None = None
    ) -> None:
        self.renderer = renderer
        self.builder = builder
        self.calendars = calendars

    def render(self, message: MessageLike) -> Rendered:
        ctx = self.builder.build(message)
        rendered = self.renderer.render(message.template, ctx)
        rendered = with_session_extras(rendered, ctx, self.builder.schedule.session, str(message.audience))
        if self.calendars is None:
            return rendered
        invite = self.calendars.for_message(
            str(message.kind), str(message.audience), message.recipient_id or message.recipient, ctx
        )
        return rendered if invite is None else replace(rendered, calendar=invite)

    async def __call__(self, message: MessageLike) -> Rendered:
        return self.render(message)
