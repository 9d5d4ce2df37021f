"""Crash and resume: kill -9 a simulated seed run at random points, resume it, count the damage.

Each trial starts `facilitator run --simulate` on a fresh database, kills it with SIGKILL after
a random delay (uniform over the length of an uninterrupted run), then runs the same command
again to the end. It then counts, over every email the local mail server kept:

* lost: rows marked sent with no email, or rows not sent at all (pending/sending/failed);
* duplicated: emails that arrived more than once; each is checked to be a row found `sending`
  at the restart (an `interrupted` attempt: the at-least-once window) and to carry the same
  Message-ID every time.

    python benchmarks/crash_resume.py                 # 20 trials at speed 300
    python benchmarks/crash_resume.py --trials 5 --seed 1
"""

from __future__ import annotations

import argparse
import mailbox
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "session_plans" / "shared-living-experiences.yaml"


@dataclass
class Trial:
    killed_after: float
    sent_before_kill: int
    emails: int
    lost: int
    expired: int  # cues whose deadline passed while the run was down (not sent late: by design)
    duplicated: int
    unexplained: int  # duplicates that were not `sending` at the crash
    mixed_ids: int  # duplicates whose copies carry different Message-IDs


def command(tmp: Path, speed: int) -> list[str]:
    return [
        sys.executable, "-m", "facilitator", "run", str(SEED), "--simulate", "--quiet",
        "--speed", str(speed), "--port", "0", "--db", str(tmp / "run.db"), "--maildir", str(tmp / "mail"),
    ]  # fmt: skip


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FACILITATOR_", "ZOOM_", "SMTP_"))}
    return {**env, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT)}


def emails(maildir: Path) -> dict[str, list[str]]:
    """Idempotency key -> the Message-ID of every copy that arrived."""
    if not maildir.exists():
        return {}
    copies: dict[str, list[str]] = defaultdict(list)
    for message in mailbox.Maildir(str(maildir), create=False):
        copies[str(message["X-Facilitator-Key"])].append(str(message["Message-ID"]))
    return copies


def trial(speed: int, kill_at: float) -> Trial:
    with tempfile.TemporaryDirectory(prefix="crash-resume-") as name:
        tmp = Path(name)
        first = subprocess.Popen(command(tmp, speed), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                 env=clean_env(), cwd=ROOT)  # fmt: skip
        time.sleep(kill_at)
        if first.poll() is None:
            first.send_signal(signal.SIGKILL)
        first.wait(timeout=60)
        before = sum(len(v) for v in emails(tmp / "mail").values())
        second = subprocess.run(command(tmp, speed), capture_output=True, text=True, timeout=600,
                                env=clean_env(), cwd=ROOT)  # fmt: skip
        if second.returncode not in (0, 1):
            raise SystemExit(
                f"resume failed ({second.returncode}):\n{second.stdout[-2000:]}{second.stderr[-2000:]}"
            )
        copies = emails(tmp / "mail")
        with sqlite3.connect(tmp / "run.db") as conn:
            rows = dict(conn.execute("SELECT key, status FROM outbox WHERE channel = 'email'").fetchall())
            interrupted = {k for (k,) in conn.execute(
                "SELECT o.key FROM delivery_attempts a JOIN outbox o ON o.id = a.message_id "
                "WHERE a.outcome = 'interrupted'")}  # fmt: skip
        lost = sum(
            1 for key, status in rows.items() if status != "sent" and status not in ("expired", "cancelled")
        )
        lost += sum(1 for key, status in rows.items() if status == "sent" and key not in copies)
        duplicated = {k for k, ids in copies.items() if len(ids) > 1}
        return Trial(
            killed_after=kill_at,
            sent_before_kill=before,
            emails=sum(len(v) for v in copies.values()),
            lost=lost,
            expired=sum(1 for status in rows.values() if status == "expired"),
            duplicated=len(duplicated),
            unexplained=len(duplicated - interrupted),
            mixed_ids=sum(1 for k in duplicated if len(set(copies[k])) > 1),
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--speed", type=int, default=300)
    parser.add_argument("--seed", type=int, default=None, help="for repeatable kill points")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="crash-resume-") as name:  # how long a whole run takes
        subprocess.run(command(Path(name), args.speed), capture_output=True, env=clean_env(), cwd=ROOT,
                       timeout=600, check=False)  # fmt: skip
    whole = time.monotonic() - started
    print(f"an uninterrupted run takes {whole:.1f} s at speed {args.speed}; killing at random points in it")
    print(f"{'trial':>5} {'killed at':>9} {'mailed before':>13} {'emails':>6} {'lost':>4} {'expired':>7} "
          f"{'dup':>3} {'dup not in flight':>17} {'dup with new id':>15}")  # fmt: skip
    totals: Counter[str] = Counter()
    for n in range(1, args.trials + 1):
        t = trial(args.speed, rng.uniform(0.5, whole))
        totals.update(
            lost=t.lost,
            expired=t.expired,
            duplicated=t.duplicated,
            unexplained=t.unexplained,
            mixed=t.mixed_ids,
        )
        row = f"{n:>5} {t.killed_after:>8.1f}s {t.sent_before_kill:>13} {t.emails:>6} {t.lost:>4} "
        print(row + f"{t.expired:>7} {t.duplicated:>3} {t.unexplained:>17} {t.mixed_ids:>15}", flush=True)
    print(
        f"{args.trials} trials: {totals['lost']} lost, {totals['expired']} cue(s) expired while down, "
        f"{totals['duplicated']} duplicated "
        f"({totals['unexplained']} not in flight at the crash, {totals['mixed']} with a different Message-ID)"
    )


if __name__ == "__main__":
    main()
