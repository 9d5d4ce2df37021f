"""One wording for a missed move, shared by the escalation cues and the director's dashboard.

The host's escalation email and the dashboard's alarm say the same sentence, with names, so a
director who reads one recognises the other: "Dr. Amara Okafor is not in Group 2, 2 minutes into
slot 1 (Zoom shows them in the main room)".
"""

from __future__ import annotations

from datetime import timedelta

# How long into a slot a physician may still be moving before the escalation (and the alarm).
ESCALATION_AFTER = timedelta(minutes=2)
CHANNEL_WORDS = {"email": "email", "zoom_chat": "Zoom chat", "webhook": "webhook", "console": "console"}


def minutes_phrase(minutes: int) -> str:
    return f"{minutes} minute" if minutes == 1 else f"{minutes} minutes"


def missed_move(name: str, due_room: str, slot_number: int, minutes_in: int, whereabouts: str) -> str:
    """`whereabouts`: "in the main room", "in Group 4", "not in the meeting", ..."""
    shown = "not in the meeting" if whereabouts == "not in the meeting" else f"Zoom shows them {whereabouts}"
    return f"{name} is not in {due_room}, {minutes_phrase(minutes_in)} into slot {slot_number} ({shown})"


def moving(name: str, due_room: str, whereabouts: str) -> str:
    """The grace state, before the check: neutral, nobody is late yet."""
    shown = (
        "not in the meeting yet" if whereabouts == "not in the meeting" else f"Zoom shows them {whereabouts}"
    )
    return f"{name} is moving to {due_room} ({shown})"


def escalation_sent(at_hhmm: str, channel: str) -> str:
    """ "escalation sent 13:47 by email" """
    return f"escalation sent {at_hhmm} by {CHANNEL_WORDS.get(channel, channel)}"
