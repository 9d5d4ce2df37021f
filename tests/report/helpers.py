"""Shared builders for the report tests: instruments from the shipped keys, exports from text."""

from __future__ import annotations

from pathlib import Path

from facilitator.report.config import InstrumentConfig
from facilitator.report.keys import load_keys
from facilitator.report.scoring import Instrument

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "session_plans" / "sample-surveys"
SEED_PLAN = ROOT / "session_plans" / "shared-living-experiences.yaml"
KEYS = load_keys()

# PROMIS Anxiety 8a raw 8..40 → T, as published in scoring code (see INSTRUMENTS.md §3): test data only,
# the package never ships it.
PROMIS_ANXIETY_8A_T = [
    37.1, 43.2, 45.9, 47.8, 49.4, 50.8, 52.1, 53.2, 54.3, 55.4, 56.4, 57.4, 58.4, 59.4, 60.4, 61.4, 62.5,
    63.5, 64.5, 65.6, 66.6, 67.7, 68.7, 69.8, 70.8, 71.9, 73.0, 74.1, 75.4, 76.7, 78.2, 80.0, 83.1,
]  # fmt: skip


def instrument(name: str, **overrides: object) -> Instrument:
    return Instrument(KEYS[name], InstrumentConfig.model_validate(overrides))
