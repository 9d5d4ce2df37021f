"""`check` warns when survey reminders cannot know who has completed the survey.

Reminders skip students whose completion came back through the end-of-survey redirect
(`/survey/done`, surveys/completion.py). That redirect needs the signed values the survey URL
hands to the survey tool: `{done}` (the whole completion URL) or `{sig}`. A URL with only
`{code}` reaches the survey, but nothing ever comes back: every reminder goes to everyone and
the response rates read "pre 0 of 61".
"""

from __future__ import annotations

from facilitator.schedule.model import MessageKind, Schedule

_REMINDERS = {MessageKind.PRE_SURVEY_REMINDER: "pre", MessageKind.POST_SURVEY_REMINDER: "post"}
CALLBACK_PLACEHOLDERS = ("{done}", "{sig}")


def completion_warnings(schedule: Schedule) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    for msg in schedule.messages:
        survey = _REMINDERS.get(msg.kind)
        if survey is None or survey in seen:
            continue
        seen.add(survey)
        url = str(msg.context.get("url_template", ""))
        if not any(p in url for p in CALLBACK_PLACEHOLDERS):
            out.append(
                f"the {survey}-survey sends reminders, but its URL has no `{{done}}` (or `{{sig}}`), so the "
                "survey tool cannot report completions: every reminder goes to everyone and response "
                f"rates stay at 0; add `&done={{done}}` to messages.{survey}_survey.url and set the "
                "survey's end-of-survey redirect to it (README: Survey completion)"
            )
    return out
