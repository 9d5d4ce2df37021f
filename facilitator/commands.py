"""Sub-commands that run services (run · serve · status · zoom-sim · doctor), registered lazily.

They import aiohttp and friends only when invoked, so `facilitator check` stays fast.
"""

from __future__ import annotations

from typing import Any


def register(sub: Any) -> None:
    """Add the service commands to the `facilitator` parser."""
    del sub  # filled in as the service commands land
