"""The engine: one process's sessions, wired together once.

For each session it queues the planned messages (the outbox), provisions Zoom, derives survey
codes, keeps the live room state the webhooks feed, and watches the rotation for missed moves.
One runner drains the outbox for every session; one web context serves every session's pages.
`facilitator run` and `facilitator serve` both build an Engine; tests do too.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from facilitator.app.escalation import EscalationWatcher
from facilitator.app.link_change import meeting_replaced, queue_new_links
from facilitator.clock import Clock
from facilitator.config import Settings
from facilitator.delivery.channels.base import Channel, Rendered
from facilitator.delivery.channels.console import ConsoleCallback, ConsoleChannel, print_message
from facilitator.delivery.channels.email import EmailChannel
from facilitator.delivery.channels.webhook import WebhookChannel
from facilitator.delivery.channels.zoom_chat import ZoomChatChannel
from facilitator.delivery.context import MessageContextBuilder, MessageRenderer
from facilitator.delivery.invites import InvitationCalendars
from facilitator.delivery.outbox import record_session
from facilitator.delivery.render import Renderer, SessionNotLoadedError
from facilitator.delivery.runner import DeliveryEvent, Runner
from facilitator.links import LinkSigner
from facilitator.plan.loader import LoadedPlan, load_plan_text
from facilitator.schedule.build import build_schedule
from facilitator.schedule.model import PlannedMessage, Schedule
from facilitator.store.base import MeetingRecord, OutboxMessage, Store
from facilitator.surveys.optout import OPT_OUT_KINDS
from facilitator.web.context import SessionEntry, WebContext
from facilitator.zoom.client import ZoomClient
from facilitator.zoom.errors import ZoomError
from facilitator.zoom.live import LiveRoomState
from facilitator.zoom.meeting_driver import MeetingDriver
from facilitator.zoom.provision import provision

# Builds a session's meeting driver (the host console's, say) from its schedule, live state,
# meeting uuid and the engine's enqueue; None: the default cue-only driver.
DriverFactory = Callable[
    [Schedule, LiveRoomState, str | None, Callable[[PlannedMessage], Awaitable[None]]], MeetingDriver
]

log = logging.getLogger(__name__)


@dataclass
class SessionHandle:
    """Everything the engine keeps for one running session."""

    schedule: Schedule
    builder: MessageContextBuilder
    renderer: MessageRenderer
    live: LiveRoomState
    watcher: EscalationWatcher
    meeting: MeetingRecord | None
    join_urls: Mapping[str, str]
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


def build_channels(
    settings: Settings, clock: Clock, zoom: ZoomClient | None, console: ConsoleCallback | None
) -> dict[str, Channel]:
    channels: dict[str, Channel] = {
        "email": EmailChannel(settings, clock=clock),
        "webhook": WebhookChannel(settings),
        "console": ConsoleChannel(console or print_message),
    }
    if zoom is not None and settings.zoom_chat_user:
        channels["zoom_chat"] = ZoomChatChannel(zoom, settings.zoom_chat_user)
    return channels


class Engine:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        clock: Clock,
        *,
        zoom: ZoomClient | None = None,
        console: ConsoleCallback | None = None,
        on_delivery: Callable[[DeliveryEvent], None] | None = None,
        note: Callable[[str], None] | None = None,
        channels: Mapping[str, Channel] | None = None,
        driver_factory: DriverFactory | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock
        self.zoom = zoom
        self.driver_factory = driver_factory
        self.note = note or (lambda text: log.info("%s", text))
        self.signer = LinkSigner(settings.secret_key.get_secret_value(), settings.public_url)
        self.channels = (
            dict(channels) if channels is not None else build_channels(settings, clock, zoom, console)
        )
        self.renderer = Renderer()
        self.runner = Runner(
            store, clock, self.channels, self._render, self._should_skip, on_delivery, note=self.note
        )
        self.handles: dict[str, SessionHandle] = {}
        self.web = WebContext(settings, store, clock, self.signer, on_session_added=self._on_session_added)

    async def start(self) -> None:
        await self.runner.start()

    async def close(self, *, grace: float = 30.0) -> None:
        """Stop: in-flight sends get `grace` seconds to finish (their rows stay `sending` otherwise,
        to be resent at the next start)."""
        for handle in self.handles.values():
            for task in handle.tasks:
                task.cancel()
            await asyncio.gather(*handle.tasks, return_exceptions=True)
            aclose = getattr(handle.watcher.driver, "aclose", None)
            if aclose is not None:
                await aclose()
        await self.runner.stop(timeout=grace)
        for channel in self.channels.values():
            close = getattr(channel, "close", None)
            if close is not None:
                await close()

    async def add_session(self, schedule: Schedule, plan_text: str, plan_file: str) -> SessionHandle:
        """Queue, provision and start watching one session. Safe to call again after a restart."""
        sid = schedule.session.id
        # The session row first (provisioning and survey codes refer to it); its messages are
        # queued last, once the session is registered here, so the runner never claims a message
        # it cannot render yet (join links come from provisioning).
        await record_session(self.store, schedule, plan_text, plan_file, now=self.clock.now())
        before = await self.store.load_meeting(sid)
        meeting, join_urls = await self._zoom(schedule)
        builder = MessageContextBuilder(
            schedule,
            self.signer,
            self.settings.survey_secret.get_secret_value(),
            join_urls,
            fallback_join_url=meeting.join_url if meeting else None,
        )
        codes = {s.email: builder.survey_code_for(s.email) for s in schedule.students}
        await self.store.save_survey_codes(sid, schedule.session.study, codes)
        live = LiveRoomState.from_schedule(schedule, str(meeting.meeting_id) if meeting else None)
        driver = (
            self.driver_factory(schedule, live, meeting.uuid if meeting else None, self._enqueue)
            if self.driver_factory is not None
            else None
        )
        watcher = EscalationWatcher(schedule, live, self.clock, self._enqueue, driver=driver)
        acting = getattr(driver, "acting", None)
        if acting is not None:
            builder.console_active = acting
        record = await self.store.get_session(sid)
        calendars = InvitationCalendars(schedule, self.clock, record.plan_revision if record else 0)
        handle = SessionHandle(
            schedule,
            builder,
            MessageRenderer(self.renderer, builder, calendars),
            live,
            watcher,
            meeting,
            join_urls,
        )
        handle.tasks.append(watcher.start())
        self.handles[sid] = handle
        self.runner.forget_prepared(sid)  # cues rendered ahead with the old links, if re-added
        self.web.sessions.add(
            SessionEntry(
                schedule=schedule,
                live=live,
                meeting_id=str(meeting.meeting_id) if meeting else None,
                survey_urls=_survey_urls(schedule),
                on_outbox_change=self.runner.poke,
                console_acting=acting,
            )
        )
        if meeting_replaced(before, meeting):
            await self._tell_new_links(schedule, before, meeting)
        added = await self.store.fill_outbox(sid, schedule.messages)
        self.note(await self._queue_report(schedule, added))
        self.runner.poke()
        return handle

    async def _queue_report(self, schedule: Schedule, added: int) -> str:
        """What the outbox holds for the session now, whoever queued it (`run` fills it first)."""
        counts = await self.store.message_counts(schedule.session.id)
        waiting = sum(n for (_, status), n in counts.items() if status in ("pending", "sending"))
        sent = sum(n for (_, status), n in counts.items() if status == "sent")
        total = sum(counts.values())
        return (
            f"{schedule.session.title}: {total} message(s) queued ({len(schedule.messages)} planned"
            f"{f', {added} added now' if added else ''}): {waiting} to send, {sent} already sent"
        )

    async def _tell_new_links(
        self, schedule: Schedule, before: MeetingRecord | None, meeting: MeetingRecord | None
    ) -> None:
        assert before is not None and meeting is not None
        sid, now = schedule.session.id, self.clock.now()
        told = await queue_new_links(self.store, schedule, meeting.meeting_id, now)
        what = (
            f"the Zoom meeting was recreated ({before.meeting_id} -> {meeting.meeting_id}): "
            f"{told} person(s) already invited are sent the new link"
        )
        self.note(what)
        await self.store.audit(sid, "system", "meeting.recreated", what, now)

    async def resume_sessions(self) -> list[str]:
        """Re-open every active session in the store (after a restart), before the runner claims:
        a session that cannot be re-opened is reported and its messages wait (never `failed`)."""
        resumed: list[str] = []
        for record in await self.store.list_sessions():
            if record.status != "active" or record.id in self.handles:
                continue
            try:
                loaded = load_plan_text(
                    record.plan_text, file=record.plan_file, base_dir=Path(record.plan_file).parent
                )
                schedule = build_schedule(loaded)
            except Exception as exc:  # a roster moved away, say: report it, keep serving the rest
                self.note(f"cannot resume {record.id}: {exc}")
                continue
            try:
                await self.add_session(schedule, record.plan_text, record.plan_file)
            except ZoomError as exc:  # Zoom refused for this one: the others still run
                self.note(f"cannot resume {record.id}: Zoom: {exc}")
                continue
            resumed.append(record.id)
        return resumed

    async def _zoom(self, schedule: Schedule) -> tuple[MeetingRecord | None, dict[str, str]]:
        sid = schedule.session.id
        if self.zoom is not None:
            result = await provision(schedule, self.zoom, self.store, progress=self.note)
            return result.meeting, dict(result.join_urls)
        meeting = await self.store.load_meeting(sid)
        registrants = await self.store.load_registrants(sid)
        if meeting is None:
            self.note(
                "Zoom is not configured (no ZOOM_ACCOUNT_ID): no meeting is created, and invitations "
                "will go out without join links; send the meeting link to the students yourself"
            )
        return meeting, {email: r.join_url for email, r in registrants.items()}

    async def _on_session_added(self, loaded: LoadedPlan, schedule: Schedule) -> SessionEntry | None:
        await self.add_session(schedule, loaded.text, loaded.file)
        return self.web.sessions.get(schedule.session.id)

    async def _enqueue(self, message: PlannedMessage) -> None:
        sid = str(message.context["session_id"])
        if await self.store.add_message(sid, message):
            self.note(f"queued {message.kind.value} for {message.recipient_id}")
        self.runner.poke()

    async def _render(self, row: OutboxMessage) -> Rendered:
        handle = self.handles.get(row.session_id)
        if handle is None:
            raise SessionNotLoadedError(f"session {row.session_id} is not loaded in this process yet")
        return await handle.renderer(row)

    async def _should_skip(self, row: OutboxMessage) -> str | None:
        handle = self.handles.get(row.session_id)
        if handle is not None and row.audience == "student" and row.kind in OPT_OUT_KINDS:
            code = handle.builder.survey_code_for(row.recipient)
            if await self.store.opted_out(row.session_id, code):
                return "the student opted out of reminders and follow-ups"
        held = getattr(handle.watcher.driver, "skip_reason", None) if handle is not None else None
        if held is not None and (reason := held(row)) is not None:
            return str(reason)  # the host console moves this physician: their move cue waits
        if row.unless_completed is None or handle is None:
            return None
        code = handle.builder.survey_code_for(row.recipient)
        if await self.store.survey_completed(row.session_id, code, row.unless_completed):
            return f"the {row.unless_completed}-survey is already completed"
        return None


def _survey_urls(schedule: Schedule) -> dict[str, str]:
    urls: dict[str, str] = {}
    for message in schedule.messages:
        survey = message.context.get("survey")
        template = message.context.get("url_template")
        if isinstance(survey, str) and isinstance(template, str):
            urls.setdefault(survey, template)
    return urls
