"""`facilitator report` on a class of 1,000: wall time of the command as a subprocess, interpreter
start included (the target is under 3 s).

The class is made by the sample generator (`facilitator.report.synthetic`) scaled to 1,000 students:
the OMS-HC before and after, and PHQ-9, PROMIS Anxiety 8a and the two MBI items at baseline (three
baseline instruments plus the outcome), with the sample's proportions of missing surveys,
mistyped codes and duplicates. The plan is the seed plan with a 1,000-student roster.

    python benchmarks/report.py [--students 1000] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from facilitator.report.synthetic import make_sample

ROOT = Path(__file__).resolve().parent.parent
SEED_PLAN = ROOT / "session_plans" / "shared-living-experiences.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        counts = make_sample(work, args.students)
        roster = "email,name\n" + "".join(
            f"student{i:04d}@students.example.edu,Student {i}\n" for i in range(1, args.students + 1)
        )
        (work / "roster.csv").write_text(roster)
        seed_roster = "roster: shared-living-experiences-roster.csv"
        plan = SEED_PLAN.read_text().replace(seed_roster, "roster: roster.csv")
        (work / "plan.yaml").write_text(plan)
        command = [sys.executable, "-m", "facilitator", "report", str(work / "plan.yaml")]
        command += [
            "--pre",
            str(work / "pre.csv"),
            "--post",
            str(work / "post.csv"),
            "--out",
            str(work / "out"),
        ]
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            times.append(time.perf_counter() - start)
            if done.returncode != 0:
                sys.exit(f"facilitator report failed:\n{done.stderr}")
        both = next(line for line in done.stdout.splitlines() if "both" in line or "Response rates" in line)
        print(f"class of {args.students}: {counts}")
        print(f"first output line: {both.strip()}")
        print(f"facilitator report, {args.runs} runs: median {statistics.median(times):.2f} s, "
              f"min {min(times):.2f} s, max {max(times):.2f} s (target < 3 s)")  # fmt: skip


if __name__ == "__main__":
    main()
