"""`facilitator serve` resumes the sessions in the database and serves their pages."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from facilitator.delivery.outbox import start_session
from facilitator.plan.loader import load_plan
from facilitator.schedule.build import build_schedule
from facilitator.store.sqlite import SqliteStore
from tests.cli.test_zoom_sim_command import free_port

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "session_plans" / "shared-living-experiences.yaml"


def serve_env(**extra: str) -> dict[str, str]:
    """The environment of a `serve` under test: none of this machine's settings, test secrets."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FACILITATOR_", "ZOOM_", "SMTP_"))}
    return env | {"FACILITATOR_SECRET_KEY": "k" * 48, "FACILITATOR_SURVEY_SECRET": "s" * 48, **extra}


async def test_serve_resumes_sessions_and_serves_their_links(tmp_path: Path) -> None:
    loaded = load_plan(SEED)
    schedule = build_schedule(loaded)
    store = await SqliteStore.open(tmp_path / "serve.db")
    await start_session(store, schedule, loaded.text, str(SEED))
    await store.close()

    port = free_port()
    env = serve_env(FACILITATOR_PUBLIC_URL=f"http://127.0.0.1:{port}", FACILITATOR_COOKIE_SECURE="false")
    links_file = tmp_path / "links.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "facilitator", "serve", "--db", str(tmp_path / "serve.db"),
         "--port", str(port), "--links-json", str(links_file)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=tmp_path,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while not links_file.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
        assert links_file.exists(), proc.stdout.read() if proc.stdout else ""
        time.sleep(0.2)
        links = json.loads(links_file.read_text())
        assert set(links["boards"]) == {g.id for g in schedule.groups}
        with urllib.request.urlopen(links["facilitators"]["dr-okafor"], timeout=10) as page:
            html = page.read().decode()
        assert "Dr. Amara Okafor" in html and "Group" in html
        with urllib.request.urlopen(links["boards"]["group-1"], timeout=10) as board:
            assert board.status == 200
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    assert "serving 1 session(s)" in out
    assert "Traceback" not in out


def test_serve_on_another_port_prints_links_that_work_there(tmp_path: Path) -> None:
    """Without FACILITATOR_PUBLIC_URL, `serve --port P` prints links to port P, not the default 8080."""
    port = free_port()
    env = serve_env()
    proc = subprocess.Popen(
        [sys.executable, "-m", "facilitator", "serve", "--db", str(tmp_path / "p.db"), "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert proc.stdout is not None
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any("serving" in line for line in lines):
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    text = "".join(lines)
    assert f"Director: http://127.0.0.1:{port}/login/" in text, text
    assert f"on http://127.0.0.1:{port};" in text and ":8080" not in text


async def test_serve_refuses_a_rehearsal_database(tmp_path: Path) -> None:
    """`serve` sends for real: on a rehearsal's file it would send what the rehearsal left pending."""
    from datetime import UTC, datetime

    store = await SqliteStore.open(tmp_path / "r.db")
    await store.claim_run_mode("simulated", datetime.now(UTC))
    await store.close()
    env = serve_env()
    result = subprocess.run(
        [sys.executable, "-m", "facilitator", "serve", "--db", str(tmp_path / "r.db"), "--port", "0"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2 and "belongs to a rehearsal" in " ".join(result.stdout.split())
    assert "Traceback" not in result.stdout + result.stderr


async def test_serve_prints_a_plans_text_as_written_when_it_cannot_resume(tmp_path: Path) -> None:
    """A note quoting the plan ("[/i]" in a roster name) is text, not markup: no crash at start."""
    loaded = load_plan(SEED)
    schedule = build_schedule(loaded)
    text = loaded.text.replace("shared-living-experiences-roster.csv", "'[/i] roster.csv'")
    plan = tmp_path / "moved.yaml"
    plan.write_text(text, encoding="utf-8")
    store = await SqliteStore.open(tmp_path / "serve.db")
    await start_session(store, schedule, text, str(plan))
    await store.close()

    port = free_port()
    env = serve_env()
    links_file = tmp_path / "links.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "facilitator", "serve", "--db", str(tmp_path / "serve.db"),
         "--port", str(port), "--links-json", str(links_file)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=tmp_path,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while not links_file.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
        assert links_file.exists(), proc.stdout.read() if proc.stdout else ""
        assert links_file.stat().st_mode & 0o077 == 0  # it holds the director's sign-in link
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    assert "Traceback" not in out and "cannot resume" in out and "[/i] roster.csv" in out
