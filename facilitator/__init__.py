"""facilitator: runs small-group teaching sessions over Zoom, from a session plan to delivered cues."""

__version__ = "0.1.0"
