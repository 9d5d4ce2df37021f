"""`facilitator serve` with a Zoom App configured serves the host console's Home URL, and `doctor` sees it."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.cli.test_serve import serve_env
from tests.cli.test_zoom_sim_command import free_port

HEADERS = (
    "Strict-Transport-Security",
    "X-Content-Type-Options",
    "Content-Security-Policy",
    "Referrer-Policy",
)


def test_serve_mounts_the_console_and_doctor_checks_its_headers(tmp_path: Path) -> None:
    port = free_port()
    env = serve_env(
        FACILITATOR_PUBLIC_URL=f"http://127.0.0.1:{port}",
        FACILITATOR_COOKIE_SECURE="false",
        ZOOM_APP_CLIENT_ID="serve-test-app",
        ZOOM_APP_CLIENT_SECRET="serve-test-app-secret-0123456789",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "facilitator", "serve", "--db", str(tmp_path / "s.db"), "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=tmp_path,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/zoomapp/home"
    try:
        refused = None
        deadline = time.monotonic() + 30
        while refused is None and time.monotonic() < deadline and proc.poll() is None:
            try:
                urllib.request.urlopen(url, timeout=5)
            except urllib.error.HTTPError as exc:
                refused = exc
            except OSError:
                time.sleep(0.1)
        assert refused is not None, proc.stdout.read() if proc.stdout else ""
        assert refused.code == 401 and all(refused.headers.get(h) for h in HEADERS)
        doctor = subprocess.run(
            [sys.executable, "-m", "facilitator", "doctor"],
            capture_output=True, text=True, env=env, timeout=60, cwd=tmp_path,
        )  # fmt: skip
        assert "Zoom App headers" in doctor.stdout and "four headers Zoom requires" in doctor.stdout
        assert "Zoom App Home URL" in doctor.stdout and "HTTPS" in doctor.stdout  # a local URL is flagged
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    assert "Host console (Zoom App Home URL)" in out and "Traceback" not in out
