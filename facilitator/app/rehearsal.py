"""Rehearsals (`run --simulate`) keep to their own database, by construction.

Without `--db`, a rehearsal writes `<plan>.rehearsal.db` beside the plan instead of the real
run's `FACILITATOR_DB_PATH`; and whatever file is used, the first run claims it for its kind
(store/run_mode.py), so a real run refuses a rehearsal's file (its simulated sends are recorded
as sent and would never go out for real) and a rehearsal refuses the real run's file (it would
mark real messages as sent).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from facilitator.store.run_mode import REAL, SIMULATED
from facilitator.store.sqlite import SqliteStore

REHEARSAL_SUFFIX = ".rehearsal.db"


def rehearsal_db_path(plan_file: str | Path) -> Path:
    """`session_plans/seed.yaml` -> `session_plans/seed.rehearsal.db`."""
    plan = Path(plan_file)
    return plan.with_name(plan.stem + REHEARSAL_SUFFIX)


def simulation_secrets_file(db_path: Path) -> Path:
    """Where `run --simulate` keeps its link secrets (config.simulation_secrets): beside its database."""
    return Path(f"{db_path}.simulation-secrets.json")


async def claim_database(store: SqliteStore, db_path: Path, *, simulate: bool, now: datetime) -> str | None:
    """Claim the database for this kind of run; a sentence saying why not, or None when it is ours."""
    wanted = SIMULATED if simulate else REAL
    if await store.run_mode() is None and simulation_secrets_file(db_path).exists():
        # A rehearsal from before runs claimed their files left its secrets beside the database.
        await store.claim_run_mode(SIMULATED, now)
    mode = await store.claim_run_mode(wanted, now)
    if mode == wanted:
        return None
    if mode == SIMULATED:
        return (
            f"{db_path} belongs to a rehearsal (`run --simulate`): its simulated sends are recorded as "
            "sent, so a real run on it would send nothing. Use another database for the real run "
            "(--db or FACILITATOR_DB_PATH), e.g. a new file."
        )
    return (
        f"{db_path} belongs to a real run: a rehearsal on it would mark real messages as sent. "
        f"Leave out --db (the rehearsal then uses its own file) or give another one."
    )
