"""`facilitator run --simulate` end to end, as real processes: a whole session, and a kill -9 mid-run."""

from __future__ import annotations

import json
import mailbox
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "session_plans" / "shared-living-experiences.yaml"


def command(tmp: Path, speed: int) -> list[str]:
    return [
        sys.executable, "-m", "facilitator", "run", str(SEED), "--simulate", "--quiet",
        "--speed", str(speed), "--port", "0", "--db", str(tmp / "run.db"), "--maildir", str(tmp / "mail"),
        "--links-json", str(tmp / "links.json"),
    ]  # fmt: skip


def env() -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("FACILITATOR_", "ZOOM_", "SMTP_"))}
    return {**clean, "PYTHONUNBUFFERED": "1"}


def keys_in(maildir: Path) -> Counter[str]:
    box = mailbox.Maildir(str(maildir), create=False)
    return Counter(str(m["X-Facilitator-Key"]) for m in box)


def statuses(db: Path) -> Counter[tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        return Counter({(k, s): n for k, s, n in conn.execute(
            "SELECT kind, status, count(*) FROM outbox GROUP BY kind, status")})  # fmt: skip


def test_seed_study_runs_end_to_end(tmp_path: Path) -> None:
    # Zoom answers 429s, 500s and a dropped connection during provisioning: the run still completes.
    cmd = [*command(tmp_path, 1000), "--zoom-faults", "429:4,500:2,drop:1"]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=240, env=env())
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert "Traceback" not in out + result.stderr
    counts = statuses(tmp_path / "run.db")
    assert counts[("invitation", "sent")] == 61
    assert counts[("pre_survey", "sent")] == 61 and counts[("post_survey", "sent")] == 61
    assert counts[("heads_up", "sent")] == 6 and counts[("move_now", "sent")] == 6
    assert counts[("escalation", "sent")] == 1, counts
    # the host gets the room cues, and the escalation in words
    for kind in ("host_open_rooms", "host_time_warning", "host_close_rooms", "host_escalation"):
        assert counts[(kind, "sent")] == 1, (kind, counts)
    assert not any(status in {"pending", "sending", "failed"} for _, status in counts)
    assert "Rotation adherence: 5 of 6 visits in place 2 minutes in" in out
    # the missed move, in the escalation's words: names, not ids
    said = " ".join(out.split())
    assert re.search(
        r"Dr\. \w+ \w+ is not in Group \d, 2 minutes into slot \d \(Zoom shows them in ", said
    ), said
    keys = keys_in(tmp_path / "mail")
    assert sum(keys.values()) == sum(n for (_, s), n in counts.items() if s == "sent")
    assert max(keys.values()) == 1, "no email twice"
    status = subprocess.run(
        [sys.executable, "-m", "facilitator", "status", "--db", str(tmp_path / "run.db"), "--json"],
        capture_output=True, text=True, timeout=60, env=env(),
    )  # fmt: skip
    assert status.returncode == 0, status.stderr
    (session,) = json.loads(status.stdout)
    assert "shared-living-experiences" in json.dumps(session) and '"failed"' not in status.stdout.replace(
        '"failed": 0', ""
    )
    links = json.loads((tmp_path / "links.json").read_text())
    assert set(links) == {"director", "facilitators", "boards"} and len(links["boards"]) == 6
    # every email carries the student's pseudonymous code or a signed link, never a raw secret
    box = mailbox.Maildir(str(tmp_path / "mail"), create=False)
    invitation = next(m for m in box if "/invitation/" in str(m["X-Facilitator-Key"]))
    text = next(p for p in invitation.walk() if p.get_content_type() == "text/plain")
    body = text.get_payload(decode=True).decode()
    assert "zoom.us" in body and "Group" in body
    # and it carries the session as a calendar invitation with the same personal join link
    invite = next(p for p in invitation.walk() if p.get_content_type() == "text/calendar")
    assert invite.get_param("method") == "REQUEST"
    ics = invite.get_payload(decode=True).decode()
    assert "METHOD:REQUEST" in ics and "zoom.us" in ics.replace("\r\n ", "")


def test_kill_minus_9_then_resume_delivers_everything_once(tmp_path: Path) -> None:
    cmd = command(tmp_path, 300)
    first = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env())
    delay = random.Random().uniform(3.0, 14.0)
    time.sleep(delay)
    if first.poll() is None:
        first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    before = keys_in(tmp_path / "mail") if (tmp_path / "mail").exists() else Counter()

    second = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env())
    assert second.returncode == 0, (
        f"killed after {delay:.1f}s\n" + second.stdout[-3000:] + second.stderr[-3000:]
    )
    counts = statuses(tmp_path / "run.db")
    assert not any(status in {"pending", "sending", "failed"} for _, status in counts), counts
    for kind in ("invitation", "pre_survey", "post_survey", "resources", "focus_group"):
        assert counts[(kind, "sent")] == 61, (kind, counts)

    keys = keys_in(tmp_path / "mail")
    planned = {k for k in keys if "/escalation/" not in k}
    assert len(planned) >= 61 * 9, "every planned student email arrived"
    duplicates = {k for k, n in keys.items() if n > 1}
    # Only a message whose send completed but whose confirmation was not written may repeat:
    # its row was found in `sending` at restart and sent again (recorded as an interrupted attempt).
    with sqlite3.connect(tmp_path / "run.db") as conn:
        interrupted = {row[0] for row in conn.execute(
            "SELECT o.key FROM delivery_attempts a JOIN outbox o ON o.id = a.message_id "
            "WHERE a.outcome = 'interrupted'")}  # fmt: skip
    assert duplicates <= interrupted, (f"killed after {delay:.1f}s", duplicates - interrupted)
    assert sum(before.values()) <= sum(keys.values())


@pytest.mark.parametrize("args", [["--maildir", "x"], ["--zoom-faults", "500:2"]])
def test_simulation_options_need_simulate(args: list[str]) -> None:
    result = subprocess.run([sys.executable, "-m", "facilitator", "run", str(SEED), *args],
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode == 2 and "need --simulate" in result.stderr


def test_bad_fault_spec_is_a_user_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "facilitator", "run", str(SEED), "--simulate", "--zoom-faults", "404:1"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2 and "unknown fault `404`" in result.stderr


def test_real_run_refuses_placeholder_secrets(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "facilitator", "run", str(SEED), "--port", "0",
         "--db", str(tmp_path / "x.db")],
        capture_output=True, text=True, timeout=60, env=env(),
    )  # fmt: skip
    assert result.returncode == 2
    assert "FACILITATOR_SECRET_KEY is a placeholder" in result.stdout
    assert not (tmp_path / "x.db").exists()
