"""`check` warns when survey reminders cannot know who completed (no completion callback in the URL)."""

from __future__ import annotations

from tests.schedule.test_host_cues import SEED, build


def test_a_survey_url_without_the_completion_callback_is_warned_about() -> None:
    text = SEED.read_text(encoding="utf-8").replace("&done={done}", "")
    warnings = [w.message for w in build(text).warnings]
    assert any(w.startswith("the pre-survey sends reminders, but its URL has no `{done}`") for w in warnings)
    assert any(w.startswith("the post-survey sends reminders") for w in warnings)


def test_the_bundled_plans_carry_the_callback_and_get_no_such_warning() -> None:
    warnings = [w.message for w in build(SEED.read_text(encoding="utf-8")).warnings]
    assert not any("cannot report completions" in w for w in warnings)


def test_sig_alone_is_enough_and_a_survey_without_reminders_is_not_warned_about() -> None:
    text = SEED.read_text(encoding="utf-8").replace("&done={done}", "&sig={sig}")
    assert not any("cannot report" in w.message for w in build(text).warnings)
    text = SEED.read_text(encoding="utf-8").replace("&done={done}", "")
    text = text.replace("reminders: [start-2h]", "reminders: []").replace(
        "reminders: [end+1d, end+3d]", "reminders: []"
    )
    assert not any("cannot report" in w.message for w in build(text).warnings)
