"""`facilitator zoom-sim` runs alone; a script creates a meeting on it the way it would on Zoom."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from facilitator.config import load_settings
from facilitator.zoom.client import ZoomClient
from facilitator.zoom.models import BreakoutRoom, BreakoutRoomSettings, MeetingRequest, MeetingSettings

NAMES = (
    "ZOOM_API_BASE_URL",
    "ZOOM_OAUTH_BASE_URL",
    "ZOOM_ACCOUNT_ID",
    "ZOOM_CLIENT_ID",
    "ZOOM_CLIENT_SECRET",
    "ZOOM_WEBHOOK_SECRET_TOKEN",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def simulator() -> Iterator[dict[str, str]]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "facilitator", "zoom-sim", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    printed: dict[str, str] = {}
    deadline = time.monotonic() + 30
    assert proc.stdout is not None
    while not set(NAMES) <= set(printed) and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        name, sep, value = line.strip().partition("=")
        if sep:
            printed[name] = value
    try:
        assert set(NAMES) <= set(printed), printed
        yield printed
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def test_a_script_creates_a_meeting_with_rooms(simulator: dict[str, str]) -> None:
    assert simulator["ZOOM_API_BASE_URL"].endswith("/v2")
    settings = load_settings(**{name.lower(): value for name, value in simulator.items()})
    body = MeetingRequest(
        topic="Shared Living Experiences",
        type=2,
        start_time="2027-01-14T18:00:00Z",
        duration=130,
        timezone="America/New_York",
        settings=MeetingSettings(
            approval_type=0,
            waiting_room=True,
            breakout_room=BreakoutRoomSettings(
                enable=True,
                rooms=[BreakoutRoom(name="Group 1", participants=["ada@students.example.edu"])],
            ),
        ),
    )
    async with ZoomClient(settings) as zoom:
        meeting = await zoom.create_meeting("course.director@example.edu", body)
        again = await zoom.get_meeting(meeting.id)
    assert again.id == meeting.id and str(meeting.id).isdigit() and len(str(meeting.id)) == 11
    assert again.settings is not None and again.settings.breakout_room is not None
    rooms = again.settings.breakout_room.rooms or []
    assert [r.name for r in rooms] == ["Group 1"]


def test_doctor_against_the_simulator(simulator: dict[str, str], tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZOOM_", "FACILITATOR_"))}
    result = subprocess.run(
        [sys.executable, "-m", "facilitator", "doctor", "--host-email", "course.director@example.edu"],
        capture_output=True, text=True, timeout=60, env={**env, **simulator}, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "fail" not in result.stdout
    wrong = {**simulator, "ZOOM_CLIENT_SECRET": "not-the-secret"}
    bad = subprocess.run(
        [sys.executable, "-m", "facilitator", "doctor", "--host-email", "course.director@example.edu"],
        capture_output=True, text=True, timeout=60, env={**env, **wrong}, cwd=tmp_path,
    )  # fmt: skip
    assert bad.returncode == 1 and "fail" in bad.stdout
