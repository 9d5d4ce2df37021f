"""The schedule as JSON-ready data: the stable format of `facilitator check --json` and `/api/`.

Times are ISO-8601 UTC with a `Z`. Key order is fixed, so the same plan gives the same bytes.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from facilitator.schedule.messages import iso
from facilitator.schedule.model import Schedule


def schedule_to_dict(schedule: Schedule) -> dict[str, Any]:
    s = schedule.session
    return {
        "session": {
            "id": s.id,
            "title": s.title,
            "start": iso(s.start),
            "end": iso(s.end),
            "timezone": s.timezone,
            "study": s.study,
            "host_email": s.host_email,
        },
        "phases": [
            {"kind": p.kind, "title": p.title, "start": iso(p.start), "end": iso(p.end)}
            for p in schedule.phases
        ],
        "timeline": [
            {
                "kind": t.kind,
                "title": t.title,
                "start": iso(t.start),
                "end": iso(t.end),
                "phase": t.phase,
                **({"speaker": t.speaker} if t.speaker else {}),
                **({"slot": t.slot} if t.slot is not None else {}),
            }
            for t in schedule.timeline
        ],
        "facilitators": [
            {"id": f.id, "name": f.name, "email": f.email, "timezone": f.timezone, "channel": f.channel}
            for f in schedule.facilitators
        ],
        "hosts": [
            {"id": h.id, "name": h.name, "email": h.email, "timezone": h.timezone, "channel": h.channel}
            for h in schedule.hosts
        ],
        "groups": [
            {"id": g.id, "name": g.name, "size": len(g.students), "students": list(g.students)}
            for g in schedule.groups
        ],
        "rotation": {
            "lower_bound": schedule.rotation.lower_bound,
            "optimal": schedule.rotation.optimal,
            "per_room": schedule.rotation.per_room,
            "slots": [
                {
                    "index": slot.index,
                    "start": iso(slot.start),
                    "end": iso(slot.end),
                    "visits": [{"facilitator": v.facilitator, "group": v.group} for v in slot.visits],
                    "self_guided": sorted({g.id for g in schedule.groups} - {v.group for v in slot.visits}),
                }
                for slot in schedule.rotation.slots
            ],
        },
        "messages": [
            {
                "key": m.key,
                "due": iso(m.due),
                "deadline": iso(m.deadline),
                "audience": m.audience.value,
                "recipient": m.recipient,
                "kind": m.kind.value,
                "channel": m.channel,
                "lane": m.lane.value,
                "template": m.template,
            }
            for m in schedule.messages
        ],
        "message_counts": dict(sorted(Counter(m.kind.value for m in schedule.messages).items())),
        "warnings": [w.message for w in schedule.warnings],
    }
