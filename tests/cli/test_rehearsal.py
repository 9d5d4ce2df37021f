"""A rehearsal (`run --simulate`) cannot touch the real run's database, by construction."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from facilitator.app.rehearsal import claim_database, rehearsal_db_path
from facilitator.store.sqlite import SqliteStore

ROOT = Path(__file__).resolve().parents[2]
PLANS = ROOT / "session_plans"
NOW = datetime(2027, 1, 13, 12, 0, tzinfo=UTC)
SECRETS = {"FACILITATOR_SECRET_KEY": "k" * 48, "FACILITATOR_SURVEY_SECRET": "s" * 48}


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FACILITATOR_", "ZOOM_", "SMTP_"))}
    return {**env, "PYTHONUNBUFFERED": "1", **extra}


def copy_seed(tmp: Path) -> Path:
    for name in ("shared-living-experiences.yaml", "shared-living-experiences-roster.csv"):
        shutil.copy(PLANS / name, tmp / name)
    return tmp / "shared-living-experiences.yaml"


async def test_a_real_run_refuses_a_rehearsal_database_and_the_other_way_round(tmp_path: Path) -> None:
    rehearsal, real = tmp_path / "r.db", tmp_path / "real.db"
    store = await SqliteStore.open(rehearsal)
    assert await claim_database(store, rehearsal, simulate=True, now=NOW) is None
    assert await claim_database(store, rehearsal, simulate=True, now=NOW) is None  # a resumed rehearsal
    refusal = await claim_database(store, rehearsal, simulate=False, now=NOW)
    assert refusal is not None and "belongs to a rehearsal" in refusal and str(rehearsal) in refusal
    await store.close()
    store = await SqliteStore.open(real)
    assert await claim_database(store, real, simulate=False, now=NOW) is None
    refusal = await claim_database(store, real, simulate=True, now=NOW)
    assert refusal is not None and "belongs to a real run" in refusal
    await store.close()


def test_simulate_without_db_uses_its_own_file_beside_the_plan(tmp_path: Path) -> None:
    plan = copy_seed(tmp_path)
    real_db = tmp_path / "facilitator.db"
    links = tmp_path / "links.json"
    env = clean_env(FACILITATOR_DB_PATH=str(real_db))
    cmd = [sys.executable, "-m", "facilitator", "run", str(plan), "--simulate", "--quiet", "--port", "0",
           "--speed", "2000", "--links-json", str(links)]  # fmt: skip
    pipe = subprocess.PIPE
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=pipe, stderr=pipe, text=True)
    try:
        deadline = time.monotonic() + 60
        while sent_in(rehearsal_db_path(plan)) < 100 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)  # the rehearsal has sent invitations and cues (simulated)
        assert links.exists() and sent_in(rehearsal_db_path(plan)) >= 100, proc.communicate(timeout=10)
    finally:
        proc.kill()
        out, _ = proc.communicate(timeout=30)
    assert rehearsal_db_path(plan) == tmp_path / "shared-living-experiences.rehearsal.db"
    assert rehearsal_db_path(plan).exists()
    assert not real_db.exists(), "the rehearsal wrote the real run's database"
    assert "rehearsal database" in out
    # `run` says what it queued (it used to say "0 new message(s) queued" every time)
    said = " ".join(out.split())  # the console wraps long lines
    assert (
        "Shared Living Experiences: 631 message(s) queued (631 planned): 631 to send, 0 already sent" in said
    )

    # The real run, pointed at the rehearsal's file by mistake, refuses it before doing anything.
    real = subprocess.run(
        [sys.executable, "-m", "facilitator", "run", str(plan), "--port", "0",
         "--db", str(rehearsal_db_path(plan))],
        cwd=tmp_path, env=clean_env(**SECRETS), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert real.returncode == 2, real.stdout + real.stderr
    assert "belongs to a rehearsal" in real.stdout and "Traceback" not in real.stdout + real.stderr

    # The real run of the same plan, on the real database, has everything still to send.
    real_env = clean_env(**SECRETS, FACILITATOR_DB_PATH=str(real_db))
    proc = subprocess.Popen([sys.executable, "-m", "facilitator", "run", str(plan), "--port", "0"],
                            cwd=tmp_path, env=real_env, stdout=pipe, stderr=pipe, text=True)  # fmt: skip
    try:
        assert proc.stdout is not None
        deadline, seen = time.monotonic() + 60, ""
        while "already sent" not in " ".join(seen.split()) and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            seen += line
    finally:
        proc.kill()
        proc.communicate(timeout=30)
    assert "631 to send, 0 already sent" in " ".join(seen.split()), seen
    assert "invitations will go out without join links" in " ".join(seen.split())


def sent_in(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db) as conn:
            return int(conn.execute("SELECT count(*) FROM outbox WHERE status = 'sent'").fetchone()[0])
    except sqlite3.Error:
        return 0


async def test_a_rehearsal_database_from_before_claims_is_recognised_by_its_secrets_file(
    tmp_path: Path,
) -> None:
    old = tmp_path / "facilitator.db"
    store = await SqliteStore.open(old)
    (tmp_path / "facilitator.db.simulation-secrets.json").write_text("{}")  # what every rehearsal leaves
    refusal = await claim_database(store, old, simulate=False, now=NOW)
    assert refusal is not None and "belongs to a rehearsal" in refusal
    assert await store.run_mode() == "simulated"
    await store.close()
