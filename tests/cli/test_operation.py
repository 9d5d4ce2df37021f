"""Operating `run` and `serve` as people do: a second writer, signals, broken databases, restarts.

Real processes, a real SQLite file, real signals; the simulated run uses the built-in Zoom
simulator and a local mail server that keeps every email in a Maildir.
"""

from __future__ import annotations

import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.cli.test_run_simulate import SEED, command, env, keys_in, statuses
from tests.cli.test_zoom_sim_command import free_port, simulator
from tests.delivery.support import LoopbackSmtp, SmtpSink

__all__ = ["simulator"]  # a fixture, used by name

SERVE_SECRETS = {
    "FACILITATOR_SECRET_KEY": "k" * 48,
    "FACILITATOR_SURVEY_SECRET": "s" * 48,
    "FACILITATOR_COOKIE_SECURE": "false",
}


def facilitator(
    *args: str, extra_env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "facilitator", *args],
        capture_output=True, text=True, timeout=timeout, env={**env(), **(extra_env or {})},
    )  # fmt: skip


def serve_env(port: int) -> dict[str, str]:
    return {**SERVE_SECRETS, "FACILITATOR_PUBLIC_URL": f"http://127.0.0.1:{port}"}


def wait_for(predicate: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def mail_count(maildir: Path) -> int:
    new = maildir / "new"
    return len(list(new.iterdir())) if new.exists() else 0


def rows_in(db: Path, status: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM outbox WHERE status = ?", (status,)).fetchone()[0])


def leases(db: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        return list(conn.execute("SELECT holder, command FROM leases"))


def test_a_second_writer_is_refused_naming_the_first_and_status_still_reads(tmp_path: Path) -> None:
    db = tmp_path / "run.db"
    first = subprocess.Popen(command(tmp_path, 40), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True, env=env())  # fmt: skip
    try:
        wait_for(lambda: (tmp_path / "links.json").exists() or first.poll() is not None, 60, "the first run")
        assert first.poll() is None
        port = free_port()
        second_run = facilitator("run", str(SEED), "--simulate", "--port", "0", "--db", str(db))
        serve = facilitator("serve", "--db", str(db), "--port", str(port), extra_env=serve_env(port))
        for refused in (second_run, serve):
            out = refused.stdout + refused.stderr
            assert refused.returncode == 2, out
            assert f"database {db} is in use by `facilitator run` (pid {first.pid}" in out, out
            assert "since" in out and "Traceback" not in out
            assert len(out.strip().splitlines()) == 1, out
        status = facilitator("status", "--db", str(db), "--json")
        assert status.returncode == 0, status.stderr  # read-only commands never need the lease
    finally:
        first.send_signal(signal.SIGINT)
        out, _ = first.communicate(timeout=30)
    assert first.returncode == 0, out[-3000:]
    assert "SIGINT received" in out and "stopped; run the same command to resume" in out
    assert "Traceback" not in out
    assert leases(db) == []  # released: the next start needs no wait


def test_sigterm_stops_gracefully_and_the_same_command_finishes_sending_each_once(tmp_path: Path) -> None:
    cmd = command(tmp_path, 300)
    first = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env())
    wait_for(lambda: mail_count(tmp_path / "mail") >= random.Random().randint(5, 120), 90, "some mail")
    first.send_signal(signal.SIGTERM)
    out, _ = first.communicate(timeout=30)
    assert first.returncode == 0, out[-3000:]
    assert "SIGTERM received" in out and "stopped; run the same command to resume" in out
    assert "Traceback" not in out
    db = tmp_path / "run.db"
    assert rows_in(db, "sending") == 0, "in-flight sends finished before the exit"
    assert rows_in(db, "pending") > 0, "stopped before the end (else the test proves nothing)"
    assert leases(db) == []

    second = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env())
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    counts = statuses(db)
    assert not any(status in {"pending", "sending", "failed"} for _, status in counts), counts
    keys = keys_in(tmp_path / "mail")
    assert max(keys.values()) == 1, "a graceful stop sends nothing twice"
    # The resumed simulation kept its Zoom meeting: nobody is told of a new link.
    created = re.search(r"Created Zoom meeting (\d+)", out)
    assert created is not None, out[-3000:]
    assert f"Zoom meeting {created.group(1)} is up to date" in second.stdout, second.stdout[-3000:]
    assert not any(kind == "link_changed" for kind, _ in counts)
    assert sum(keys.values()) == sum(n for (_, s), n in counts.items() if s == "sent")


@pytest.fixture
def immutable_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder nobody may create files in, root included (the tests run as root here)."""
    folder = tmp_path / "locked"
    folder.mkdir()
    subprocess.run(["chattr", "+i", str(folder)], check=True)
    yield folder
    subprocess.run(["chattr", "-i", str(folder)], check=True)


def damaged_copy_of_a_real_database(tmp_path: Path) -> Path:
    db = tmp_path / "damaged.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE filler (x TEXT)")
    conn.executemany("INSERT INTO filler VALUES (?)", [("x" * 500,) for _ in range(200)])
    conn.commit()
    conn.close()
    with db.open("r+b") as f:  # keep the header, garble pages 3-6
        f.seek(4096 * 2)
        f.write(random.Random(7).randbytes(4096 * 4))
    return db


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("not_a_database", "is not a database"),
        ("damaged", "is damaged"),
        ("a_folder", "cannot open database"),
        ("folder_not_writable_new", "cannot open database"),
        ("folder_not_writable_existing", "cannot open database"),
    ],
)
def test_a_broken_database_gets_one_clear_line_and_exit_2(
    tmp_path: Path, case: str, expected: str, immutable_folder: Path
) -> None:
    if case == "not_a_database":
        db = tmp_path / "junk[bold].db"  # markup-like: printed as it is
        db.write_bytes(random.Random(3).randbytes(20000))
    elif case == "damaged":
        db = damaged_copy_of_a_real_database(tmp_path)
    elif case == "a_folder":
        db = tmp_path / "folder.db"
        db.mkdir()
    elif case == "folder_not_writable_new":
        db = immutable_folder / "new.db"
    else:  # a database made earlier, whose folder then became read-only
        subprocess.run(["chattr", "-i", str(immutable_folder)], check=True)
        db = immutable_folder / "old.db"
        made = facilitator("status", "--db", str(db))  # no file yet: nothing to show
        assert made.returncode == 2
        sqlite3.connect(db).close()
        subprocess.run(["chattr", "+i", str(immutable_folder)], check=True)
    port = free_port()
    for result in (
        facilitator("serve", "--db", str(db), "--port", str(port), extra_env=serve_env(port)),
        facilitator("run", str(SEED), "--simulate", "--port", "0", "--db", str(db)),
    ):
        out = (result.stdout + result.stderr).strip()
        assert result.returncode == 2, out
        assert "Traceback" not in out and len(out.splitlines()) == 1, out
        assert expected in out and str(db) in out, out
    if case == "not_a_database":  # `status` reads only: a damaged page it never reads goes unnoticed
        status = facilitator("status", "--db", str(db))
        out = (status.stdout + status.stderr).strip()
        assert status.returncode == 2 and "Traceback" not in out and len(out.splitlines()) == 1, out


def plan_starting_soon(tmp_path: Path, minutes: int = 20) -> Path:
    """The seed plan, moved to start `minutes` from now: its invitations and pre-survey mail are
    due at once, its cues later (a real clock)."""
    start = datetime.now(ZoneInfo("America/New_York")) + timedelta(minutes=minutes)
    text = SEED.read_text(encoding="utf-8").replace(
        "start: 2027-01-14 13:00", f"start: {start:%Y-%m-%d %H:%M}"
    )
    (tmp_path / "plan.yaml").write_text(text, encoding="utf-8")
    roster = SEED.parent / "shared-living-experiences-roster.csv"
    (tmp_path / roster.name).write_text(roster.read_text(encoding="utf-8"), encoding="utf-8")
    return tmp_path / "plan.yaml"


def due_open_rows(db: Path) -> int:
    now = datetime.now(UTC).isoformat(timespec="microseconds")
    with sqlite3.connect(db) as conn:
        return int(conn.execute(
            "SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending') AND due <= ?", (now,)
        ).fetchone()[0])  # fmt: skip


def test_kill_minus_9_of_run_then_serve_delivers_everything_due_once(
    tmp_path: Path, simulator: dict[str, str]
) -> None:
    sink = SmtpSink()
    smtp = LoopbackSmtp(sink)
    smtp.start()
    port = free_port()
    extra = {**serve_env(port), **simulator, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port),
             "SMTP_SECURITY": "plain"}  # fmt: skip
    db = tmp_path / "live.db"
    plan = plan_starting_soon(tmp_path)
    try:
        run = subprocess.Popen(
            [sys.executable, "-m", "facilitator", "run", str(plan), "--quiet", "--port", "0",
             "--db", str(db)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**env(), **extra},
        )  # fmt: skip
        wait_for(lambda: len(sink.keys()) >= 40 or run.poll() is not None, 90, "the first emails")
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=30)
        assert due_open_rows(db) > 0, "killed after everything due was sent: the test proves nothing"

        serve = subprocess.Popen(
            [sys.executable, "-m", "facilitator", "serve", "--db", str(db), "--port", str(port)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**env(), **extra},
        )  # fmt: skip
        try:
            wait_for(lambda: due_open_rows(db) == 0 or serve.poll() is not None, 90, "serve to deliver")
        finally:
            serve.send_signal(signal.SIGTERM)
            out, _ = serve.communicate(timeout=30)
        assert serve.returncode == 0 and "Traceback" not in out, out[-3000:]
    finally:
        smtp.stop()
    with sqlite3.connect(db) as conn:
        failed = conn.execute("SELECT kind, last_error FROM outbox WHERE status = 'failed'").fetchall()
        interrupted = {row[0] for row in conn.execute(
            "SELECT o.key FROM delivery_attempts a JOIN outbox o ON o.id = a.message_id "
            "WHERE a.outcome = 'interrupted'")}  # fmt: skip
        sent = {row[0] for row in conn.execute("SELECT key FROM outbox WHERE status = 'sent'")}
    assert failed == [], failed
    keys = Counter(sink.keys())
    assert set(keys) == sent, "every row marked sent arrived, and nothing else"
    duplicates = {k for k, n in keys.items() if n > 1}
    assert duplicates <= interrupted, duplicates - interrupted  # only what was in flight at the kill


STOP_SCRIPT = """
import asyncio
from rich.console import Console
from facilitator.cli.lifecycle import StopSignals

async def main() -> None:
    stop = StopSignals(Console())
    stop.install()
    print("ready", flush=True)
    await stop.requested.wait()
    print("asked to stop by", stop.reason, flush=True)
    await asyncio.sleep(30)  # a stop that takes long: a second signal must not wait for it

asyncio.run(main())
"""


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_second_signal_forces_the_exit(sig: signal.Signals, code: int) -> None:
    proc = subprocess.Popen([sys.executable, "-c", STOP_SCRIPT], stdout=subprocess.PIPE, text=True, env=env())
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    proc.send_signal(sig)
    assert "send it again to stop at once" in proc.stdout.readline()
    assert proc.stdout.readline().strip() == f"asked to stop by {sig.name}"
    started = time.monotonic()
    proc.send_signal(sig)
    out, _ = proc.communicate(timeout=10)
    assert proc.returncode == code and time.monotonic() - started < 5
    assert "stopping now" in out


async def test_run_with_an_edited_roster_shows_the_changes_and_changes_nothing_unconfirmed(
    tmp_path: Path,
) -> None:
    from facilitator.delivery.outbox import start_session
    from facilitator.plan.loader import load_plan
    from facilitator.schedule.build import build_schedule
    from facilitator.store.sqlite import SqliteStore

    roster = SEED.parent / "shared-living-experiences-roster.csv"
    (tmp_path / roster.name).write_text(roster.read_text())
    (tmp_path / "plan.yaml").write_text(SEED.read_text())
    loaded = load_plan(tmp_path / "plan.yaml")
    db = tmp_path / "run.db"
    store = await SqliteStore.open(db)
    await start_session(store, build_schedule(loaded), loaded.text, loaded.file)
    await store.close()
    leaving = "eamon.thorsby@students.example.edu"
    kept = [line for line in roster.read_text().splitlines() if not line.startswith(leaving)]
    (tmp_path / roster.name).write_text("\n".join(kept) + "\n")

    result = facilitator("run", str(tmp_path / "plan.yaml"), "--simulate", "--port", "0", "--db", str(db))
    out = result.stdout + result.stderr
    assert result.returncode == 2, out
    assert "changed since it was started" in out and f"people removed: {leaving}" in out
    assert "nothing was changed; run the same command with --apply-changes" in out
    assert "Traceback" not in out
    assert rows_in(db, "cancelled") == 0 and rows_in(db, "sent") == 0 and leases(db) == []
