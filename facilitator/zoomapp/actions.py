"""The console's action log: every step the driver took, its answer, and evidence for open questions.

It is what the host sees scroll by in the console, what the run summary counts, and the record
that answers, after a first real session, what ZOOM-APPS.md §6.4 leaves unverified: for each move,
whether the SDK accepted it, whether the webhooks then showed the physician in the room without a
cue (no click was needed, or they clicked at once) and how long that took.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Action:
    at: datetime
    what: str  # open_rooms | move | confirm | fallback | close_rooms | chat | control | identify | warn
    ok: bool
    detail: str
    facilitator_id: str | None = None
    slot: int | None = None
    evidence: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["at"] = self.at.isoformat()
        return data


class ActionLog:
    def __init__(self, on_add: Callable[[Action], None] | None = None) -> None:
        self.entries: list[Action] = []
        self.on_add = on_add

    def add(self, action: Action) -> Action:
        self.entries.append(action)
        if self.on_add is not None:
            self.on_add(action)
        return action

    def counts(self) -> dict[str, int]:
        """How the rotation went: moves issued/confirmed, fallback cues, refusals."""
        c: Counter[str] = Counter()
        for a in self.entries:
            c[f"{a.what}:{'ok' if a.ok else 'failed'}"] += 1
        return {
            "moves_issued": c["move:ok"] + c["move:failed"],
            "moves_accepted": c["move:ok"],
            "moves_refused": c["move:failed"],
            "moves_confirmed": c["confirm:ok"],
            "moves_unconfirmed": c["confirm:failed"],
            "fallback_cues": c["fallback:ok"],
            "rooms_opened": c["open_rooms:ok"],
            "rooms_closed": c["close_rooms:ok"],
            "chat_posts": c["chat:ok"],
        }

    def tail(self, n: int = 50) -> list[dict[str, Any]]:
        return [a.as_json() for a in self.entries[-n:]]
