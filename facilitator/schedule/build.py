"""Plan -> Schedule. Pure and deterministic: the same plan (and seed) gives the same schedule.

`now` is a parameter, never read from a clock here: it only feeds the "start is in the past"
warning, so the schedule itself does not depend on it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from facilitator.plan.checks import ascii_slug, breakout_of, group_id
from facilitator.plan.errors import PlanError, PlanProblem
from facilitator.plan.loader import LoadedPlan
from facilitator.plan.models import BreakoutPhase, Plan
from facilitator.plan.times import format_duration
from facilitator.schedule import warnings as plan_warnings
from facilitator.schedule.groups import assign_groups
from facilitator.schedule.host_cues import host_messages, host_recipients
from facilitator.schedule.messages import MessageInputs, message_order, plan_messages
from facilitator.schedule.model import (
    FacilitatorInfo,
    Group,
    Rotation,
    Schedule,
    SessionSummary,
    Slot,
    StudentInfo,
    SupportContact,
    Visit,
)
from facilitator.schedule.rotation import (
    Demand,
    ExplicitPairs,
    FullRotation,
    RotationInfeasible,
    RotationProblem,
    VisitsPerGroup,
    solve_rotation,
)
from facilitator.schedule.timeline import BreakoutFrame, LocalTimeProblem, phase_items, slot_items


def session_id_for(plan: Plan) -> str:
    """The plan's `session.id` when it names one (it survives every edit); otherwise the title
    and local start, which a moved start changes (`run` then says so rather than start anew)."""
    if plan.session.id is not None:
        return plan.session.id
    return f"{ascii_slug(plan.session.title)}-{plan.session.start:%Y%m%d-%H%M}"


def load_and_build(
    load: Callable[[], LoadedPlan], *, now: datetime | None = None
) -> tuple[LoadedPlan, Schedule]:
    """Load a plan and build its schedule, reporting the problems of both stages in one PlanError.

    When the loader's problems leave the session, people and phases intact (a roster row, a survey
    URL), the rotation is still solved, so its problems arrive in the same pass.
    """
    try:
        loaded = load()
    except PlanError as exc:
        later: list[PlanProblem] = []
        if exc.loaded is not None and not any(p.path.startswith(_SHAPE) for p in exc.problems):
            try:
                build_schedule(exc.loaded, now=now)
            except PlanError as more:
                later = [p for p in more.problems if p not in exc.problems]
        raise PlanError(exc.problems + later) from None
    return loaded, build_schedule(loaded, now=now)


_SHAPE = ("session", "facilitators", "phases")


def build_schedule(loaded: LoadedPlan, *, now: datetime | None = None) -> Schedule:
    """Build the whole schedule, or raise PlanError located in the plan's YAML."""
    plan = loaded.plan
    try:
        items, frame = phase_items(plan)
    except LocalTimeProblem as exc:
        raise PlanError([loaded.problem(("session", "start"), str(exc))]) from None
    start, end = items[0].start, max(i.end for i in items)
    tz = plan.session.timezone
    session = SessionSummary(
        id=session_id_for(plan),
        title=plan.session.title,
        start=start,
        end=end,
        timezone=tz,
        study=plan.session.study or ascii_slug(plan.session.title),
        host_email=plan.session.zoom.host_email,
        zoom=plan.session.zoom.model_dump(),
        board_enabled=plan.messages.board.enabled,
        board_moderation=plan.messages.board.moderation,
        board_chat_prefix=plan.messages.board.zoom_chat_prefix,
        board_posts_per_minute=plan.messages.board.posts_per_minute,
        support=tuple(SupportContact(c.name, c.phone, c.url, c.hours) for c in plan.support),
        sender_name=plan.session.course or plan.session.title,
        reply_to=plan.session.reply_to or plan.session.zoom.host_email,
    )
    facilitators = tuple(
        FacilitatorInfo(
            id=f.id,
            name=f.name,
            email=f.email,
            timezone=f.timezone or tz,
            channel=(f.channel or plan.messages.channels.facilitators).value,
            webhook_url=f.webhook_url,
        )
        for f in plan.facilitators
    )
    breakout = breakout_of(plan)
    groups: tuple[Group, ...] = ()
    rotation = Rotation(lower_bound=0, optimal=True, slots=())
    membership: dict[str, str] = {}
    if breakout is not None and frame is not None:
        index, phase = breakout
        members = assign_groups(loaded.students, phase.group_names, phase.assignment, plan.session.seed)
        groups = tuple(
            Group(id=group_id(name), name=name, students=tuple(members[group_id(name)]), prompt=phase.prompt)
            for name in phase.group_names
        )
        membership = {email: g.id for g in groups for email in g.students}
        rotation = _rotation(loaded, index, phase, frame, groups)
        items += slot_items(frame, len(rotation.slots), phase.title)
    students = tuple(
        StudentInfo(email=s.email, name=s.name, timezone=s.timezone or tz, group=membership.get(s.email, ""))
        for s in sorted(loaded.students, key=lambda s: s.email)
    )
    items.sort(key=lambda i: (i.start, _ORDER[i.kind], i.end))
    next_title = None
    if breakout is not None and breakout[0] + 1 < len(plan.phases):
        next_title = plan.phases[breakout[0] + 1].title
    hosts = host_recipients(plan)
    inputs = MessageInputs(
        plan=plan,
        session=session,
        facilitators=facilitators,
        students=students,
        groups=groups,
        rotation=rotation,
        breakout_start=rotation.slots[0].start if rotation.slots else None,
        breakout_end=rotation.slots[-1].end if rotation.slots else None,
        next_phase_title=next_title,
        hosts=hosts,
    )
    messages = tuple(sorted((*plan_messages(inputs), *host_messages(inputs)), key=message_order))
    schedule = Schedule(
        session=session,
        timeline=tuple(items),
        facilitators=facilitators,
        students=students,
        groups=groups,
        rotation=rotation,
        messages=messages,
        cue_lead=plan.messages.cue_lead,
        hosts=hosts,
    )
    extra = plan_warnings.collect(schedule, frame, now)
    return Schedule(**{**schedule.__dict__, "warnings": extra})


_ORDER = {"plenary": 0, "breakout": 0, "break": 0, "talk": 1, "slot": 1, "transition": 2}


def _demand(phase: BreakoutPhase) -> Demand:
    if phase.visits_per_group is not None:
        return VisitsPerGroup(phase.visits_per_group)
    if phase.rotation == "full":
        return FullRotation()
    ids = {n: group_id(n) for n in phase.group_names}
    return ExplicitPairs(tuple((p.facilitator, ids.get(p.group, p.group)) for p in phase.pairs or []))


def _availability(plan: Plan, frame: BreakoutFrame) -> dict[str, frozenset[int]] | None:
    out: dict[str, frozenset[int]] = {}
    for fac in plan.facilitators:
        if not fac.available:
            continue
        tz = ZoneInfo(fac.timezone or plan.session.timezone)
        windows = [(w.start.replace(tzinfo=tz), w.until.replace(tzinfo=tz)) for w in fac.available]
        out[fac.id] = frozenset(
            i
            for i in range(frame.capacity)
            if any(a <= frame.slot_start(i) and frame.slot_end(i) <= b for a, b in windows)
        )
    return out or None


def _rotation(
    loaded: LoadedPlan, index: int, phase: BreakoutPhase, frame: BreakoutFrame, groups: tuple[Group, ...]
) -> Rotation:
    plan = loaded.plan
    ids = {n: group_id(n) for n in phase.group_names}
    where = ("phases", index)
    if frame.capacity < 1:
        raise PlanError(
            [
                loaded.problem(
                    (*where, "slot"),
                    (
                        f"a slot of {format_duration(phase.slot)} does not fit in the "
                        f"{format_duration(phase.duration)} phase; shorten `slot` or lengthen `duration`"
                    ),
                )
            ]
        )
    problem = RotationProblem(
        facilitators=tuple(f.id for f in plan.facilitators),
        groups=tuple(g.id for g in groups),
        demand=_demand(phase),
        max_slots=frame.capacity,
        per_room=phase.facilitators_per_room,
        exclusions=frozenset((p.facilitator, ids.get(p.group, p.group)) for p in phase.exclude),
        available=_availability(plan, frame),
        seed=plan.session.seed,
    )
    try:
        solution = solve_rotation(problem)
    except RotationInfeasible as exc:
        if exc.needed_slots:
            need = exc.needed_slots * phase.slot + (exc.needed_slots - 1) * phase.transition
            message = (
                f"the visits need {exc.needed_slots} slots of {format_duration(phase.slot)} "
                f"with {format_duration(phase.transition)} between them ({format_duration(need)}), but the "
                f"phase lasts {format_duration(phase.duration)} and fits {frame.capacity}; lengthen "
                f"`duration` to at least {format_duration(need)} or ask for fewer visits"
            )
            raise PlanError([loaded.problem((*where, "duration"), message)]) from None
        raise PlanError([loaded.problem(where, f"no rotation is possible: {exc.reason}")]) from None
    slots = tuple(
        Slot(
            index=i,
            start=frame.slot_start(i),
            end=frame.slot_end(i),
            visits=tuple(Visit(facilitator=f, group=g) for f, g in visits),
        )
        for i, visits in enumerate(solution.slots)
    )
    return Rotation(
        lower_bound=solution.lower_bound,
        optimal=solution.optimal,
        slots=slots,
        per_room=phase.facilitators_per_room,
    )


def breakout_unused(frame: BreakoutFrame, used_slots: int) -> timedelta:
    if used_slots == 0:
        return frame.end - frame.start
    return frame.end - frame.slot_end(used_slots - 1)
