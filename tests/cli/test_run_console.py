"""`facilitator run --simulate --console`: the host console runs the seed rotation, as a real process."""

from __future__ import annotations

import mailbox
import re
import subprocess
import sys
from pathlib import Path

from tests.cli.test_run_simulate import SEED, command, env, statuses


def test_the_console_opens_moves_posts_closes_and_one_refused_move_is_cued_and_escalated(
    tmp_path: Path,
) -> None:
    # Speed 300: the 2-minute check is 0.4 s of real time, enough for the moves' real round trips.
    result = subprocess.run(
        [*command(tmp_path, 300), "--console"], capture_output=True, text=True, timeout=240, env=env()
    )
    out = re.sub(r"\s+", " ", result.stdout)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Traceback" not in out + result.stderr
    assert "Host console (Zoom App Home URL):" in out
    # The seed plan keeps the default `alternative_hosts: true`: Zoom may make them unmovable co-hosts.
    assert "Set `alternative_hosts: false` under `session.zoom` so the console can move them" in out
    assert "console open_rooms: rooms opened" in out
    assert out.count("console move ") == 6  # every visit of the seed rotation
    assert out.count("console confirm ") == 5 and "(webhook)" in out
    assert "console chat: Breakout rooms are open. Prompts" in out
    assert "console close_rooms: rooms closed" in out
    assert re.search(r"console fallback dr-\w+: move cue sent: SDK error 10103", out)
    assert "moves issued: 6, moves accepted: 5, moves refused: 1, moves confirmed: 5" in out
    counts = statuses(tmp_path / "run.db")
    # The planned move cues were held while the console moved people; one fallback cue went.
    assert counts[("move_now", "cancelled")] == 6 and counts[("move_now", "sent")] == 1, counts
    assert counts[("escalation", "sent")] == 1, counts
    assert not any(status in {"pending", "sending", "failed"} for _, status in counts)
    # The host's room cues say what the console does, instead of asking for clicks.
    subjects = [str(m["Subject"]) for m in mailbox.Maildir(str(tmp_path / "mail"), create=False)]
    assert any(s.startswith("Rooms opening now") for s in subjects), subjects
    assert not any(s.startswith("Now: open all") for s in subjects)


def test_console_needs_simulate() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "facilitator", "run", str(SEED), "--console"],
        capture_output=True, text=True, timeout=60, env=env(),
    )  # fmt: skip
    assert (
        result.returncode == 2
        and "need --simulate" in result.stderr
        and "ZOOM_APP_CLIENT_ID" in result.stderr
    )
