"""Send-time context: names, times in the recipient's zone, personal links; rendered end to end."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from facilitator.delivery.context import ContextError, MessageContextBuilder, date_text, time_fields
from facilitator.delivery.render import Renderer, RenderError
from facilitator.links import Audience as LinkAudience
from facilitator.links import LinkSigner
from facilitator.schedule.model import (
    Audience,
    FacilitatorInfo,
    Group,
    Lane,
    MessageKind,
    PlannedMessage,
    Rotation,
    Schedule,
    SessionSummary,
    Slot,
    StudentInfo,
    TimelineItem,
    Visit,
)
from facilitator.surveys.codes import parse_code, survey_code

START = datetime(2027, 1, 14, 18, 0, tzinfo=UTC)  # 13:00 in New York, 03:00 next day in Tokyo
SID = "shared-living-experiences-20270114-1300"
PROMPT = "Which part of today's stories stayed with you, and why?"
SECRET = "survey-secret-for-tests"
SIGNER = LinkSigner("link-secret-for-tests-0123456789abcdef", "https://facilitator.example.edu")
NOW = START


def iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


SLOTS = (
    Slot(0, START + timedelta(minutes=60), START + timedelta(minutes=85),
         (Visit("dr-okafor", "group-2"), Visit("dr-sato", "group-4"))),
    Slot(1, START + timedelta(minutes=90), START + timedelta(minutes=115),
         (Visit("dr-okafor", "group-4"), Visit("dr-sato", "group-1"))),
)  # fmt: skip


def make_schedule() -> Schedule:
    names = ["<script>alert(1)</script>", *(f"Student {n:02d}" for n in range(1, 40))]
    students = tuple(
        StudentInfo(
            email=f"student{n:02d}@example.edu",
            name=name,
            timezone="Europe/Berlin" if n == 1 else "America/New_York",
            group=f"group-{n // 10 + 1}",
        )
        for n, name in enumerate(names)
    )
    groups = tuple(
        Group(f"group-{g}", f"Group {g}", tuple(s.email for s in students if s.group == f"group-{g}"), PROMPT)
        for g in range(1, 5)
    )
    end = START + timedelta(minutes=130)
    timeline = (
        TimelineItem("plenary", "Sharing plenary", START, START + timedelta(minutes=60), 0),
        TimelineItem("talk", "Arriving twice", START, START + timedelta(minutes=20), 0, speaker="dr-sato"),
        TimelineItem("breakout", "Small groups", SLOTS[0].start, SLOTS[1].end, 1),
        TimelineItem("slot", "Small groups: slot 1", SLOTS[0].start, SLOTS[0].end, 1, slot=0),
        TimelineItem("transition", "Move rooms", SLOTS[0].end, SLOTS[1].start, 1, slot=0),
        TimelineItem("slot", "Small groups: slot 2", SLOTS[1].start, SLOTS[1].end, 1, slot=1),
        TimelineItem("plenary", "Wrap-up", SLOTS[1].end, end, 2),
    )
    return Schedule(
        session=SessionSummary(SID, "Shared Living Experiences", START, end, "America/New_York", "sle-2027",
                               "course.director@example.edu", {}),
        timeline=timeline,
        facilitators=(
            FacilitatorInfo("dr-okafor", "Dr. Amara Okafor", "amara.okafor@example.edu", "America/New_York",
                            "email"),
            FacilitatorInfo("dr-sato", "Dr. Kenji Sato", "kenji.sato@example.edu", "Asia/Tokyo", "zoom_chat"),
        ),
        students=students,
        groups=groups,
        rotation=Rotation(lower_bound=2, optimal=True, slots=SLOTS),
        messages=(),
        hosts=(FacilitatorInfo("@host", "Dr. Jane Director", "course.director@example.edu", "America/Chicago",
                               "email"),),
    )  # fmt: skip


SCHEDULE = make_schedule()
JOIN = {s.email: f"https://zoom.example.edu/w/555?tk=tk-{i}" for i, s in enumerate(SCHEDULE.students)}


def message(kind: MessageKind, recipient_id: str, context: dict[str, Any]) -> PlannedMessage:
    fac = any(f.id == recipient_id for f in SCHEDULE.facilitators)
    host = recipient_id.startswith("@")
    email = SCHEDULE.facilitator(recipient_id).email if fac else recipient_id
    if host:
        email = SCHEDULE.host(recipient_id).email
    audience = Audience.HOST if host else Audience.FACILITATOR if fac else Audience.STUDENT
    return PlannedMessage(
        key=f"{SID}/{kind.value}/{recipient_id}", kind=kind,
        audience=audience, recipient=email,
        recipient_id=recipient_id,
        channel="email", template=kind.value, due=START, deadline=START + timedelta(hours=1), lane=Lane.BULK,
        context={"session_id": SID, "session_title": "Shared Living Experiences", **context},
    )  # fmt: skip


def cue(kind: MessageKind, fid: str, slot: Slot, gid: str) -> PlannedMessage:
    group = SCHEDULE.group(gid)
    return message(kind, fid, {
        "facilitator_id": fid, "group_id": gid, "group_name": group.name, "slot": slot.index,
        "slot_start": iso(slot.start), "slot_end": iso(slot.end), "students": len(group.students),
        "prompt": group.prompt, "lead_minutes": 2,
    })  # fmt: skip


def survey(kind: MessageKind, email: str, which: str) -> PlannedMessage:
    return message(kind, email, {"group_id": "group-1", "group_name": "Group 1", "survey": which,
                                 "url_template": "https://survey.example.edu/sle/pre?code={code}",
                                 "close": iso(START + timedelta(days=14))})  # fmt: skip


STUDENT = "student05@example.edu"
HOST_CONTEXT = {
    "breakout_start": iso(SLOTS[0].start), "breakout_end": iso(SLOTS[1].end), "room_count": 4,
    "lead_minutes": 2, "next_phase": "Wrap-up",
    "rooms": [{"name": "Group 1", "students": 10, "facilitators": []},
              {"name": "Group 2", "students": 10, "facilitators": ["Dr. Amara Okafor"]}],
}  # fmt: skip
ALL_MESSAGES = [
    message(MessageKind.INVITATION, STUDENT, {"group_id": "group-1", "group_name": "Group 1"}),
    message(MessageKind.FACILITATOR_WELCOME, "dr-sato", {"facilitator_id": "dr-sato", "visits": []}),
    survey(MessageKind.PRE_SURVEY, STUDENT, "pre"),
    survey(MessageKind.PRE_SURVEY_REMINDER, STUDENT, "pre"),
    message(MessageKind.BOARD_LINK, STUDENT, {"group_id": "group-1", "group_name": "Group 1"}),
    cue(MessageKind.HEADS_UP, "dr-okafor", SLOTS[1], "group-4"),
    cue(MessageKind.MOVE_NOW, "dr-okafor", SLOTS[1], "group-4"),
    message(MessageKind.SELF_GUIDED_PROMPT, STUDENT, {
        "group_id": "group-1", "group_name": "Group 1", "slot": 0, "slot_start": iso(SLOTS[0].start),
        "slot_end": iso(SLOTS[0].end), "prompt": PROMPT}),
    message(MessageKind.BREAKOUT_END, "dr-sato", {
        "facilitator_id": "dr-sato", "breakout_end": iso(SLOTS[1].end), "next_phase": "Wrap-up",
        "lead_minutes": 2}),
    survey(MessageKind.POST_SURVEY, STUDENT, "post"),
    survey(MessageKind.POST_SURVEY_REMINDER, STUDENT, "post"),
    message(MessageKind.RESOURCES, STUDENT, {"items": [
        {"title": "Student counselling service", "url": "https://wellbeing.example.edu/counselling"},
        {"title": "24/7 crisis line", "url": "https://wellbeing.example.edu/crisis"}]}),
    message(MessageKind.FOCUS_GROUP, STUDENT, {"url": "https://survey.example.edu/sle/focus-group"}),
    message(MessageKind.LINK_CHANGED, STUDENT, {}),
    message(MessageKind.CORRECTION, STUDENT, {
        "group_id": "group-1", "changes": ["your group changed: you are now in Group 1"]}),
    message(MessageKind.REMOVED, "no.longer.here@students.example.edu", {}),  # not in the schedule
    message(MessageKind.ESCALATION, "dr-okafor", {
        "facilitator_id": "dr-okafor", "group_id": "group-4", "slot": 1, "slot_start": iso(SLOTS[1].start),
        "slot_end": iso(SLOTS[1].end), "current_group_id": "group-2"}),
    *(message(kind, "@host", HOST_CONTEXT) for kind in (
        MessageKind.HOST_OPEN_ROOMS, MessageKind.HOST_TIME_WARNING, MessageKind.HOST_CLOSE_ROOMS)),
    message(MessageKind.HOST_ESCALATION, "@host", {
        "facilitator_id": "dr-okafor", "group_id": "group-4", "slot": 1, "slot_start": iso(SLOTS[1].start),
        "slot_end": iso(SLOTS[1].end), "facilitator_name": "Dr. Amara Okafor",
        "escalation_text": "Dr. Amara Okafor is not in Group 4, 2 minutes into slot 2 (Zoom shows them in "
                           "Group 2); they have been told."}),
]  # fmt: skip


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


@pytest.fixture
def builder() -> MessageContextBuilder:
    return MessageContextBuilder(SCHEDULE, SIGNER, SECRET, JOIN)


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.links += [v for k, v in attrs if k == "href" and v]


def test_every_message_kind_is_covered_here() -> None:
    assert {m.kind for m in ALL_MESSAGES} == set(MessageKind)


@pytest.mark.parametrize("msg", ALL_MESSAGES, ids=lambda m: m.kind.value)
def test_every_template_renders_text_and_html(
    msg: PlannedMessage, builder: MessageContextBuilder, renderer: Renderer
) -> None:
    ctx = builder.build(msg)
    out = renderer.render(msg.template, ctx)
    assert out.subject and "\n" not in out.subject and len(out.subject) < 120
    assert out.text.strip() and "{{" not in out.text and "None" not in out.text
    assert out.html is not None
    parsed = _Html()
    parsed.feed(out.html)
    assert "script" not in parsed.tags and "html" in parsed.tags
    assert out.text.count("!") <= 1  # warm, not shouty
    for key in ("join_url", "survey_url", "board_url", "live_url"):
        if (
            key in ctx
            and f"{{{{ {key} }}}}" in (Path(renderer.templates_dir) / f"{msg.template}.txt").read_text()
        ):
            assert ctx[key] in out.text and ctx[key] in parsed.links


def test_heads_up_and_move_now_wording(builder: MessageContextBuilder, renderer: Renderer) -> None:
    heads_up = renderer.render("heads_up", builder.build(ALL_MESSAGES[5]))
    assert heads_up.subject == "In 2 minutes: Group 4, 10 students"
    assert "In 2 minutes: Group 4, 10 students. Prompt: " + PROMPT in heads_up.text
    assert "14:30 (America/New_York)" in heads_up.text
    move = renderer.render("move_now", builder.build(ALL_MESSAGES[6]))
    assert move.subject == "Now: move to Group 4 until 14:55"
    assert move.text.startswith("Now: move to Group 4 until 14:55 (America/New_York).")


def test_facilitator_in_tokyo_sees_tokyo_time(builder: MessageContextBuilder, renderer: Renderer) -> None:
    msg = cue(MessageKind.MOVE_NOW, "dr-sato", SLOTS[0], "group-4")  # 19:00-19:25 UTC
    ctx = builder.build(msg)
    assert ctx["timezone"] == "Asia/Tokyo" and ctx["slot_start_at"] == "04:00 (Asia/Tokyo)"
    out = renderer.render("move_now", ctx)
    assert out.subject == "Now: move to Group 4 until 04:25"
    assert "(Asia/Tokyo)" in out.text and "14:" not in out.text and "19:" not in out.text
    heads_up = renderer.render(
        "heads_up", builder.build(cue(MessageKind.HEADS_UP, "dr-sato", SLOTS[0], "group-4"))
    )
    assert "You move at 04:00 (Asia/Tokyo)" in heads_up.text


def test_tokyo_itinerary_is_in_tokyo_time_with_its_own_date(builder: MessageContextBuilder) -> None:
    ctx = builder.build(ALL_MESSAGES[1])
    assert ctx["session_start_date"] == "Friday 15 January 2027"  # already the next day in Tokyo
    assert [(i["start"], i["end"], i["what"]) for i in ctx["itinerary"]] == [
        ("03:00", "04:00", "Sharing plenary (main room)"),
        ("03:00", "03:20", "Your talk: Arriving twice"),
        ("04:00", "04:25", "Group 4 (10 students)"),
        ("04:30", "04:55", "Group 1 (10 students)"),
        ("04:55", "05:10", "Wrap-up (main room)"),
    ]
    assert all(i["day"] is None for i in ctx["itinerary"])


def test_student_times_are_in_their_own_zone(builder: MessageContextBuilder, renderer: Renderer) -> None:
    msg = message(
        MessageKind.INVITATION, "student01@example.edu", {"group_id": "group-1", "group_name": "Group 1"}
    )
    out = renderer.render("invitation", builder.build(msg))
    assert "19:00–21:10 (Europe/Berlin)" in out.text


def test_escalation_wording(builder: MessageContextBuilder, renderer: Renderer) -> None:
    base = next(m for m in ALL_MESSAGES if m.kind == MessageKind.ESCALATION)
    out = renderer.render("escalation", builder.build(base))
    assert out.text.startswith("You are in Group 2 but due in Group 4 since 14:30.")
    main = replace(base, context={**base.context, "current_group_id": None})
    assert (
        "You are in the main room but due in Group 4"
        in renderer.render("escalation", builder.build(main)).text
    )
    gone = replace(base, context={**base.context, "in_meeting": False})
    assert "don't seem to be in the meeting" in renderer.render("escalation", builder.build(gone)).text


def test_escalation_fills_room_facts_from_the_schedule(builder: MessageContextBuilder) -> None:
    ctx = builder.build(ALL_MESSAGES[-1])
    assert (ctx["group_name"], ctx["students"], ctx["prompt"]) == ("Group 4", 10, PROMPT)


def test_survey_link_carries_the_students_code(builder: MessageContextBuilder) -> None:
    pre, post = builder.build(ALL_MESSAGES[2]), builder.build(ALL_MESSAGES[9])
    code = survey_code(SECRET, "sle-2027", STUDENT)
    assert pre["survey_code"] == post["survey_code"] == parse_code(code)
    token = pre["survey_url"].rsplit("/s/", 1)[1]
    claims = SIGNER.verify(token, LinkAudience.SURVEY, NOW)
    assert claims["code"] == code and claims["kind"] == "pre" and claims["sid"] == SID
    post_claims = SIGNER.verify(post["survey_url"].rsplit("/s/", 1)[1], LinkAudience.SURVEY, NOW)
    assert post_claims["kind"] == "post"


def test_board_live_and_calendar_links(builder: MessageContextBuilder) -> None:
    student = builder.build(ALL_MESSAGES[4])
    board = SIGNER.verify(student["board_url"].rsplit("/b/", 1)[1], LinkAudience.BOARD, NOW)
    assert board == {**board, "sid": SID, "gid": "group-1"} and "email" not in str(board)
    fac = builder.build(ALL_MESSAGES[5])
    token = fac["live_url"].rsplit("/f/", 1)[1]
    assert SIGNER.verify(token, LinkAudience.FACILITATOR, NOW)["fid"] == "dr-okafor"
    assert fac["calendar_url"] == f"https://facilitator.example.edu/f/{token}/calendar.ics"
    assert "board_url" not in fac and "survey_url" not in fac


def test_join_link_is_personal(builder: MessageContextBuilder) -> None:
    assert builder.build(ALL_MESSAGES[0])["join_url"] == JOIN[STUDENT]


def test_without_zoom_the_invitation_goes_out_and_says_the_link_will_follow(renderer: Renderer) -> None:
    builder = MessageContextBuilder(SCHEDULE, SIGNER, SECRET, {})  # no meeting: Zoom not configured
    out = renderer.render("invitation", builder.build(ALL_MESSAGES[0]))
    assert out.subject.startswith("Invitation: Shared Living Experiences")
    assert "the course director will send it before the session" in out.text
    assert out.html is not None and "Join on Zoom" not in out.html and "Group 1" in out.text
    fallback = MessageContextBuilder(
        SCHEDULE, SIGNER, SECRET, {}, fallback_join_url="https://zoom.example.edu/j/555"
    )
    assert fallback.build(ALL_MESSAGES[0])["join_url"] == "https://zoom.example.edu/j/555"


def test_unknown_recipient_is_a_context_error(builder: MessageContextBuilder) -> None:
    stranger = replace(ALL_MESSAGES[0], recipient="nobody@example.edu", recipient_id="nobody@example.edu")
    with pytest.raises(ContextError, match=r"nobody@example\.edu"):
        builder.build(stranger)
    with pytest.raises(ContextError, match="dr-nobody"):
        builder.build(replace(ALL_MESSAGES[5], recipient_id="dr-nobody"))


def test_name_is_escaped_in_html(builder: MessageContextBuilder, renderer: Renderer) -> None:
    msg = message(
        MessageKind.INVITATION, "student00@example.edu", {"group_id": "group-1", "group_name": "Group 1"}
    )
    out = renderer.render("invitation", builder.build(msg))
    assert out.html is not None and "<script>" not in out.html
    assert "Dear &lt;script&gt;alert(1)&lt;/script&gt;," in out.html
    assert "Dear <script>alert(1)</script>," in out.text


def test_extra_context_keys_are_kept_and_planned_ones_win(builder: MessageContextBuilder) -> None:
    msg = replace(ALL_MESSAGES[0], context={**ALL_MESSAGES[0].context, "note": "x", "group_name": "Room A"})
    ctx = builder.build(msg)
    assert ctx["note"] == "x" and ctx["group_name"] == "Room A"


def test_time_helpers_cross_midnight_and_dst() -> None:
    from zoneinfo import ZoneInfo

    fields = time_fields("x", datetime(2027, 3, 14, 7, 30, tzinfo=UTC), ZoneInfo("America/New_York"))
    assert fields["x_at"] == "03:30 (America/New_York)"  # EDT began that morning
    assert fields["x_when"] == "Sunday 14 March 2027, 03:30 (America/New_York)"
    assert (
        date_text(datetime(2027, 1, 14, 18, tzinfo=UTC), ZoneInfo("Pacific/Kiritimati"))
        == "Friday 15 January 2027"
    )


def test_seed_study_renders_every_planned_message(renderer: Renderer) -> None:
    """The real plan through the real schedule builder: every message renders, links are personal."""
    from facilitator.plan.loader import load_plan
    from facilitator.schedule.build import build_schedule

    plan = Path(__file__).resolve().parents[2] / "session_plans" / "shared-living-experiences.yaml"
    schedule = build_schedule(load_plan(plan))
    joins = {s.email: f"https://zoom.example.edu/w/1?tk={i}" for i, s in enumerate(schedule.students)}
    builder = MessageContextBuilder(schedule, SIGNER, SECRET, joins)
    subjects: dict[str, set[str]] = {}
    codes: dict[str, str] = {}
    for msg in schedule.messages:
        ctx = builder.build(msg)
        out = renderer.render(msg.template, ctx)
        subjects.setdefault(msg.kind.value, set()).add(out.subject)
        if "survey_code" in ctx:
            assert codes.setdefault(msg.recipient, ctx["survey_code"]) == ctx["survey_code"]
    assert len(schedule.messages) > 61 * 5
    assert len(codes) == len(set(codes.values())) == 61  # one distinct code per student, pre = post
    assert any(s.startswith("In 2 minutes: Group ") for s in subjects["heads_up"])


async def test_message_renderer_is_the_runners_render_function(
    builder: MessageContextBuilder, renderer: Renderer
) -> None:
    from facilitator.delivery.context import MessageRenderer

    render = MessageRenderer(renderer, builder)
    out = await render(ALL_MESSAGES[5])
    assert out.subject == "In 2 minutes: Group 4, 10 students"
    planned = ALL_MESSAGES[5].context
    broken = replace(
        ALL_MESSAGES[5], context={k: v for k, v in planned.items() if k not in {"group_id", "group_name"}}
    )
    with pytest.raises(RenderError, match="group_name"):
        await render(broken)


def test_invalid_time_in_context_is_a_context_error(builder: MessageContextBuilder) -> None:
    bad = replace(ALL_MESSAGES[5], context={**ALL_MESSAGES[5].context, "slot_end": "2027-13-45T19:25:00Z"})
    with pytest.raises(ContextError, match="slot_end"):
        builder.build(bad)


def test_host_cues_say_what_to_click_in_the_hosts_zone(
    builder: MessageContextBuilder, renderer: Renderer
) -> None:
    by_kind = {m.kind: m for m in ALL_MESSAGES}
    ctx = builder.build(by_kind[MessageKind.HOST_OPEN_ROOMS])
    assert ctx["console_active"] is False and ctx["recipient_name"] == "Dr. Jane Director"
    opened = renderer.render("host_open_rooms", ctx)
    assert opened.subject == "Now: open all 4 breakout rooms"
    assert "Breakout Rooms > Open All Rooms" in opened.text
    assert "13:00, America/Chicago" in opened.text  # 14:00 in New York, in the host's own zone
    assert (
        "Group 2: 10 students, Dr. Amara Okafor" in opened.text
        and "Group 1: 10 students, self-guided" in opened.text
    )
    warning = renderer.render("host_time_warning", builder.build(by_kind[MessageKind.HOST_TIME_WARNING]))
    assert warning.subject == "Breakout rooms close in 2 minutes, at 13:55"
    closing = renderer.render("host_close_rooms", builder.build(by_kind[MessageKind.HOST_CLOSE_ROOMS]))
    assert "Breakout Rooms > Close All Rooms" in closing.text and "for Wrap-up" in closing.text
    escalation = renderer.render("host_escalation", builder.build(by_kind[MessageKind.HOST_ESCALATION]))
    assert escalation.subject == "Dr. Amara Okafor is not in Group 4"
    assert "2 minutes into slot 2 (Zoom shows them in Group 2); they have been told." in escalation.text


def test_host_cues_say_what_the_console_does_when_it_runs(
    builder: MessageContextBuilder, renderer: Renderer
) -> None:
    msg = next(m for m in ALL_MESSAGES if m.kind == MessageKind.HOST_OPEN_ROOMS)
    console = replace(msg, context={**msg.context, "console_active": True})
    out = renderer.render("host_open_rooms", builder.build(console))
    assert "host console is opening all 4 breakout rooms" in out.text and "Now: open" not in out.subject
