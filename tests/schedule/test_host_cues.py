"""The Zoom host (and co-directors) get the room cues: open all rooms, a time warning, close them."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from facilitator.plan.loader import load_plan_text
from facilitator.schedule.build import build_schedule
from facilitator.schedule.model import Audience, Lane, MessageKind

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "session_plans" / "shared-living-experiences.yaml"
HOST_KINDS = [MessageKind.HOST_OPEN_ROOMS, MessageKind.HOST_TIME_WARNING, MessageKind.HOST_CLOSE_ROOMS]


def seed_with(extra_session_yaml: str = "") -> str:
    """The seed plan, its `host:` block replaced by `extra_session_yaml` when one is given."""
    text = SEED.read_text(encoding="utf-8")
    if extra_session_yaml:
        text = text.replace("    name: Dr. Jane Director\n", "", 1)
        text = text.replace("  host:", "  # host:", 1)
    return text.replace("\nsession:\n", "\nsession:\n" + extra_session_yaml, 1)


def build(text: str):  # type: ignore[no-untyped-def]
    return build_schedule(load_plan_text(text, file=str(SEED), base_dir=SEED.parent))


def test_the_host_gets_open_warning_and_close_cues_at_the_breakout_edges() -> None:
    schedule = build(seed_with())
    (host,) = schedule.hosts
    assert host.email == "course.director@example.edu" and host.channel == "email"
    cues = [m for m in schedule.messages if m.audience == Audience.HOST]
    assert [m.kind for m in cues] == HOST_KINDS
    first, last = schedule.rotation.slots[0], schedule.rotation.slots[-1]
    opened, warned, closed = cues
    assert opened.due == first.start and opened.lane == Lane.CUE
    assert warned.due == last.end - timedelta(minutes=2) and closed.due == last.end
    assert opened.context["room_count"] == 6
    rooms = {r["name"]: r["facilitators"] for r in opened.context["rooms"]}
    assert rooms["Group 2"] == ["Dr. Amara Okafor"] and rooms["Group 1"] == []  # names, not ids
    assert all(m.key.startswith(f"{schedule.session.id}/host_") for m in cues)


def test_co_directors_get_the_same_cues_on_their_own_channel() -> None:
    extra = (
        "  host: {name: Dr. Jane Director, timezone: America/Los_Angeles}\n"
        "  co_directors:\n"
        "    - {name: Dr. Ravi Second, email: ravi.second@example.edu, channel: zoom_chat}\n"
    )
    schedule = build(seed_with(extra))
    assert [(h.id, h.name, h.channel) for h in schedule.hosts] == [
        ("@host", "Dr. Jane Director", "email"),
        ("@co-director-1", "Dr. Ravi Second", "zoom_chat"),
    ]
    assert schedule.hosts[0].timezone == "America/Los_Angeles"
    chat = [m for m in schedule.messages if m.recipient == "ravi.second@example.edu"]
    assert [m.kind for m in chat] == HOST_KINDS and {m.channel for m in chat} == {"zoom_chat"}


def test_a_bad_co_director_is_reported_with_file_line_and_field() -> None:
    import pytest

    from facilitator.plan.errors import PlanError

    extra = "  co_directors:\n    - {name: Dr. Ravi Second, email: not-an-email, timezone: Mars/Olympus}\n"
    with pytest.raises(PlanError) as caught:
        build(seed_with(extra))
    text = "\n".join(str(p) for p in caught.value.problems)
    assert "session.co_directors[0].email" in text and "is not an email address" in text
    assert "session.co_directors[0].timezone" in text and "unknown time zone" in text
    assert f"{SEED}:" in text
