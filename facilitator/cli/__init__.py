"""The command layer: one module per command (check, export, init, run, serve, status, zoom-sim,
doctor, hash-password), plus what they share (`common`) and how they print (`check_report`,
`progress`, `starter`).

May import every other package; nothing imports `cli`. Run-time wiring lives in `app`, not here.
"""

from facilitator.cli.main import main

__all__ = ["main"]
