"""The app manifest, the page and the vendored SDK agree with the code (so the README's setup is true)."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from facilitator.zoomapp.protocol import APIS

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "facilitator" / "web" / "static" / "zoomapp"


def test_the_manifest_ticks_every_api_the_page_configures() -> None:
    manifest = json.loads((ROOT / "docs" / "zoom-app-manifest.json").read_text())
    ticked = set(manifest["features"]["in_client_feature"]["zoom_app_api"]["zoom_app_apis"])
    page = (STATIC / "console.js").read_text()
    page_apis = set(re.findall(r'"(\w+)"', page.split("const APIS = [", 1)[1].split("];", 1)[0]))
    assert page_apis == set(APIS)  # the page relays exactly what the server may send
    assert ticked == set(APIS) | {"getUserContext"}
    assert "createBreakoutRooms" not in ticked  # it would delete the REST pre-assignment
    assert manifest["features"]["development_home_uri"].endswith("/zoomapp/home")


def test_the_vendored_sdk_is_the_pinned_release_with_its_licence() -> None:
    sdk = (STATIC / "appssdk" / "sdk.es.js").read_bytes()
    assert sdk.startswith(b"/* Zoom Apps SDK v0.16.41")
    assert "MIT" in (STATIC / "appssdk" / "LICENSE.md").read_text() or b"Permission is hereby granted" in sdk
    assert hashlib.sha256(sdk).hexdigest() in (STATIC / "appssdk" / "VERSION").read_text()
