"""A seeded mutation fuzz of the loader and schedule builder: only PlanError may ever come out.

The bundled plans (and their rosters) are mutated in a temporary folder and each result is run
through `load_and_build` under a per-case time limit (a hang is a failure too). Inputs that once
crashed are kept in `fuzz_corpus/` and replayed first. More cases: FACILITATOR_FUZZ_CASES=20000.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from facilitator.plan.errors import PlanError
from facilitator.plan.loader import load_plan
from facilitator.schedule.build import load_and_build
from tests.plan.fuzz import mutate, mutate_roster

REPO = Path(__file__).resolve().parents[2]
PLANS = sorted((REPO / "session_plans").glob("*.yaml"))
CORPUS = sorted((Path(__file__).parent / "fuzz_corpus").glob("*.yaml"))
CASES = int(os.environ.get("FACILITATOR_FUZZ_CASES", "900"))
SEED = int(os.environ.get("FACILITATOR_FUZZ_SEED", "20261128"))
PER_CASE_SECONDS = 5


class Hang(Exception):
    pass


@contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    def expire(signum: int, frame: object) -> None:
        raise Hang(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def check_only_plan_errors(plan: Path) -> None:
    with time_limit(PER_CASE_SECONDS):
        try:
            load_and_build(lambda: load_plan(plan))
        except PlanError as exc:
            assert exc.problems, "a PlanError must name at least one problem"
            for problem in exc.problems:
                assert "\n" not in str(problem), f"a problem spans lines: {problem!s:.200}"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for roster in (REPO / "session_plans").glob("*.csv"):
        shutil.copy(roster, tmp_path / roster.name)
    return tmp_path


@pytest.mark.parametrize("case", CORPUS, ids=[c.stem for c in CORPUS])
def test_corpus_of_former_crashers_gives_plan_errors(case: Path, folder: Path) -> None:
    target = folder / case.name
    shutil.copy(case, target)
    check_only_plan_errors(target)


def test_mutated_bundled_plans_give_only_plan_errors(folder: Path) -> None:
    rng = random.Random(SEED)
    texts = [p.read_text(encoding="utf-8") for p in PLANS]
    rosters = {p: p.read_bytes() for p in folder.glob("*.csv")}
    started = time.monotonic()
    for case in range(CASES):
        for path, original in rosters.items():
            path.write_bytes(mutate_roster(original, rng) if rng.random() < 0.1 else original)
        text = mutate(rng.choice(texts), rng)
        target = folder / f"case-{case}.yaml"
        target.write_text(text, encoding="utf-8", errors="surrogateescape")
        try:
            check_only_plan_errors(target)
        except BaseException as exc:
            kept = Path(__file__).parent / "fuzz_corpus" / f"found-{SEED}-{case}.yaml"
            if os.environ.get("FACILITATOR_FUZZ_KEEP"):
                kept.write_text(text, encoding="utf-8", errors="surrogateescape")
            raise AssertionError(f"case {case} (seed {SEED}) raised {exc!r}:\n{text[:3000]}") from exc
        target.unlink()
    assert time.monotonic() - started < 60, "the fuzz budget is a minute; lower FACILITATOR_FUZZ_CASES"


def test_mutated_uploaded_rosters_give_only_plan_errors() -> None:
    """The web path: the roster arrives as bytes beside a pasted plan and no file is opened."""
    from facilitator.plan.loader import load_plan_text
    from tests.plan.fuzz import mutate_roster

    rng = random.Random(SEED + 1)
    plan = (REPO / "session_plans" / "shared-living-experiences.yaml").read_text(encoding="utf-8")
    roster = (REPO / "session_plans" / "shared-living-experiences-roster.csv").read_bytes()
    for _ in range(300):
        data = mutate_roster(roster, rng)
        with time_limit(PER_CASE_SECONDS):
            try:
                load_and_build(lambda data=data: load_plan_text(plan, rosters={"upload.csv": data}))
            except PlanError as exc:
                assert exc.problems and all("\n" not in str(p) for p in exc.problems)
