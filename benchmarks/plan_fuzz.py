"""How fast the loader answers careless and hostile plans: the fuzz mix, and the worst single inputs.

    python benchmarks/plan_fuzz.py [--cases 3000] [--seed 1]

Prints cases per second and the p50/p99/max time per case of `load_and_build` over mutated
bundled plans (the same mutations as tests/plan/test_fuzz.py), the outcomes (valid plan, plan
error, anything else), then the time of each named hostile input (alias bomb, deep nesting,
a roster past the size cap, a day-long breakout of one-minute slots with availability windows).
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from facilitator.plan.errors import PlanError  # noqa: E402
from facilitator.plan.loader import load_plan  # noqa: E402
from facilitator.schedule.build import load_and_build  # noqa: E402
from tests.plan.fuzz import mutate, mutate_roster  # noqa: E402


def timed(path: Path) -> tuple[float, str]:
    started = time.perf_counter()
    try:
        load_and_build(lambda: load_plan(path))
        outcome = "valid"
    except PlanError:
        outcome = "plan error"
    except Exception as exc:  # a bug: counted and shown, never hidden
        outcome = f"CRASH {type(exc).__name__}"
    return time.perf_counter() - started, outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    plans = sorted((REPO / "session_plans").glob("*.yaml"))
    texts = [p.read_text(encoding="utf-8") for p in plans]
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        originals = {}
        for roster in (REPO / "session_plans").glob("*.csv"):
            shutil.copy(roster, folder / roster.name)
            originals[folder / roster.name] = roster.read_bytes()
        times: list[float] = []
        outcomes: Counter[str] = Counter()
        started = time.perf_counter()
        for case in range(args.cases):
            for path, data in originals.items():
                path.write_bytes(mutate_roster(data, rng) if rng.random() < 0.1 else data)
            target = folder / f"case-{case}.yaml"
            target.write_text(mutate(rng.choice(texts), rng), encoding="utf-8", errors="surrogateescape")
            took, outcome = timed(target)
            times.append(took)
            outcomes[outcome] += 1
            target.unlink()
        wall = time.perf_counter() - started
        times.sort()
        print(f"mutated plans: {args.cases} cases in {wall:.1f} s ({args.cases / wall:.0f}/s)")
        print(
            f"  per case: p50 {statistics.median(times) * 1000:.1f} ms, "
            f"p99 {times[int(len(times) * 0.99)] * 1000:.1f} ms, max {times[-1] * 1000:.1f} ms"
        )
        print("  outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))
        for path, data in originals.items():
            path.write_bytes(data)
        corpus = REPO / "tests" / "plan" / "fuzz_corpus"
        named = [
            "alias-bomb",
            "deep-nesting",
            "self-referencing-alias",
            "huge-duration-with-window",
            "day-long-breakout-tiny-slots-with-window",
            "int-of-5000-digits",
            "roster-dev-zero",
        ]
        for name in named:
            shutil.copy(corpus / f"{name}.yaml", folder / f"{name}.yaml")
            took, outcome = timed(folder / f"{name}.yaml")
            print(f"  {name:<42} {took * 1000:7.1f} ms  {outcome}")
        big = folder / "big-roster.yaml"
        seed = (REPO / "session_plans" / "shared-living-experiences.yaml").read_text(encoding="utf-8")
        big.write_text(seed.replace("shared-living-experiences-roster.csv", "big.csv"), encoding="utf-8")
        (folder / "big.csv").write_bytes(b"email,name\n" + b"x" * (64 * 1024 * 1024))
        took, outcome = timed(big)
        print(f"  {'roster of 64 MiB (cap 2 MiB)':<42} {took * 1000:7.1f} ms  {outcome}")


if __name__ == "__main__":
    main()
