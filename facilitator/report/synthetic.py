"""Realistic synthetic survey exports for trying the report: `python -m facilitator.report.synthetic DIR`.

Writes `pre.csv` (Qualtrics export, three header rows, answers as choice text; also carries the
baseline PHQ-9, PROMIS Anxiety 8a and two MBI items) and `post.csv` (Qualtrics, numeric values),
plus the `report.yaml` that maps them. Question-text rows name items by number only: no item
wordings. The class is invented: codes come from `survey_code` with a sample secret over
`studentNNNN@students.example.edu`.

The stated truth, so a reader can check the report finds it: OMS-HC answers fall by 0.35 points per
item on the Attitudes and Disclosure items and 0.10 on Social distance items (expected total change
-4.0 before rounding and clipping to the 1-5 scale); baseline distress is unrelated to change. Of
61 students: 58 answer the pre-survey, 55 the post-survey, 53 both, one neither; three post codes are mistyped
(one character), one typed in lower case without hyphens, and one student answered the pre-survey
twice (first time with an item skipped). Larger classes scale the missing and mistyped counts.
"""

from __future__ import annotations

import argparse
import csv
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from facilitator.report.keys import InstrumentKey, load_keys
from facilitator.surveys.codes import ALPHABET, survey_code

SAMPLE_SECRET = "sample-survey-secret-not-for-real-studies"
SAMPLE_STUDY = "sle-sample"
OMS_SHIFT = {"attitudes": -0.35, "disclosure": -0.35, "social_distance": -0.10}
TRUE_EFFECT = "OMS-HC total change -4.0 (Attitudes -2.1, Disclosure -1.4, Social distance -0.5)"
QUALTRICS_META = [
    *("StartDate", "EndDate", "Status", "Progress", "Duration (in seconds)", "Finished", "RecordedDate"),
    *("ResponseId", "DistributionChannel", "UserLanguage", "code"),
]
BLOCKS = {"oms-hc": "Q1", "phq-9": "Q2", "promis-anxiety-8a": "Q3", "mbi-2": "Q4"}

REPORT_YAML = """\
# Column mapping and analysis choices for the synthetic sample (see README, "The study report").
code_column: code            # the survey link fills this field with the student's code
duplicates: first-complete   # or: latest (with date_column)
date_column: EndDate
min_cell: 5                  # summaries of fewer people are withheld
holm: true                   # Holm adjustment across the OMS-HC total and subscales
instruments:
  oms-hc:
    method: sum
    max_missing: 0           # complete cases: no published prorating rule for the OMS-HC
    pre: {pattern: "Q1_{n}"}
    post: {pattern: "Q1_{n}"}
  phq-9:
    baseline: {pattern: "Q2_{n}"}
  promis-anxiety-8a:
    baseline: {pattern: "Q3_{n}"}
  mbi-2:
    cutoffs: {ee: 4, dp: 4}  # once a week or more on 0-6
    baseline: {pattern: "Q4_{n}"}
regression:
  outcome: oms-hc.total
  predictors: [phq-9.total, promis-anxiety-8a.raw, mbi-2.ee, mbi-2.dp]
"""


@dataclass
class Student:
    code: str
    stigma: float
    distress: float


Answers = dict[str, dict[str, int]]  # instrument → item id → value
Response = tuple[Answers, str, int | None]  # answers, the code as typed, an OMS-HC position left blank


def _clip(value: float, lo: int, hi: int) -> int:
    return max(lo, min(hi, round(value)))


def _mistype(code: str, rng: random.Random) -> str:
    """One character of the payload changed: the check character then always fails."""
    raw = code.replace("-", "")
    i = rng.randrange(8)
    other = rng.choice([c for c in ALPHABET if c != raw[i] and c not in "01"])
    raw = raw[:i] + other + raw[i + 1 :]
    return f"{raw[:4]}-{raw[4:8]}-{raw[8]}"


class _Sampler:
    """Answers drawn from each student's latent stigma and distress."""

    def __init__(self, rng: random.Random, keys: dict[str, InstrumentKey]) -> None:
        self.rng, self.keys = rng, keys
        oms = keys["oms-hc"]
        self.subscale_of = {i: s for s in OMS_SHIFT for i in oms.score_items(s)}

    def oms(self, p: Student, post: bool) -> dict[str, int]:
        key, answers = self.keys["oms-hc"], {}
        for item in key.forms["default"]:
            level = 2.7 + 0.75 * p.stigma + self.rng.gauss(0, 0.8)
            if post:
                level += OMS_SHIFT[self.subscale_of[item]] + self.rng.gauss(0, 0.25)
            value = _clip(level, 1, 5)
            answers[item] = key.scale.min + key.scale.max - value if item in key.reverse else value
        return answers

    def _noisy(self, base: float, slope: float, sd: float, d: float, lo: int, hi: int) -> int:
        return _clip(base + slope * d + self.rng.gauss(0, sd), lo, hi)

    def baseline(self, p: Student) -> Answers:
        d = p.distress
        phq = {f"p{i}": self._noisy(0.6 if i < 9 else -0.6, 0.5, 0.6, d, 0, 3) for i in range(1, 10)}
        promis = {f"a{i}": self._noisy(2.3, 0.7, 0.7, d, 1, 5) for i in range(1, 9)}
        mbi = {"ee": self._noisy(3, 1.2, 1.2, d, 0, 6), "dp": self._noisy(1.8, 0.9, 1.3, d, 0, 6)}
        return {"phq-9": phq, "promis-anxiety-8a": promis, "mbi-2": mbi}


def _stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M:%S")


def _write_qualtrics(
    path: Path,
    keys: dict[str, InstrumentKey],
    rows: list[Response],
    text: bool,
    start: datetime,
    rng: random.Random,
) -> None:
    """A Qualtrics-style export: column names, question-text row (item numbers only), ImportId row."""
    instruments = list(rows[0][0]) if rows else []
    blocks = {
        inst: [f"{BLOCKS[inst]}_{n}" for n in range(1, len(keys[inst].forms["default"]) + 1)]
        for inst in instruments
    }
    header = QUALTRICS_META + [c for cols in blocks.values() for c in cols]
    questions = [*QUALTRICS_META[:-1], "Your survey code"]
    questions += [
        f"{keys[inst].title} - item {n}" for inst, cols in blocks.items() for n in range(1, len(cols) + 1)
    ]
    labels = {
        inst: {v: k.capitalize() for k, v in reversed(list(keys[inst].labels.items()))}
        for inst in instruments
    }
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerow(questions)
        writer.writerow([f'{{"ImportId":"{h}"}}' for h in header])
        for n, (answers, typed, skip) in enumerate(rows):
            begun = start + timedelta(minutes=7 * n + rng.randrange(5))
            ended = _stamp(begun + timedelta(minutes=6))
            meta = [_stamp(begun), ended, "IP Address", "100", "360", "True", ended]
            meta += [f"R_{rng.getrandbits(60):015x}", "anonymous", "EN", typed]
            cells = []
            for inst in blocks:
                for i, item in enumerate(keys[inst].forms["default"]):
                    value = answers[inst][item]
                    cell = labels[inst].get(value, str(value)) if text else str(value)
                    cells.append("" if skip is not None and inst == "oms-hc" and i == skip else cell)
            writer.writerow(meta + cells)


def make_sample(out: Path, students: int = 61, seed: int = 2027) -> dict[str, int]:
    """Write the sample exports and report.yaml into `out`; returns the planted counts."""
    rng = random.Random(seed)
    keys = load_keys()
    sampler = _Sampler(rng, keys)
    people = [
        Student(
            survey_code(SAMPLE_SECRET, SAMPLE_STUDY, f"student{i:04d}@students.example.edu"),
            rng.gauss(0, 1),
            rng.gauss(0, 1),
        )
        for i in range(1, students + 1)
    ]
    scale = students / 61
    n_pre_only, n_post_only, n_none = round(5 * scale), round(2 * scale), round(1 * scale)
    order = people[:]
    rng.shuffle(order)
    pre_only = order[:n_pre_only]
    post_only = order[n_pre_only : n_pre_only + n_post_only]
    both = order[n_pre_only + n_post_only + n_none :]
    mistyped = {p.code for p in both[: max(1, round(3 * scale))]}
    lowercase, duplicated = {both[-1].code}, {both[-2].code}
    pre_rows: list[Response] = []
    for p in both + pre_only:
        answers = {"oms-hc": sampler.oms(p, post=False), **sampler.baseline(p)}
        if p.code in duplicated:
            pre_rows.append((answers, p.code, 4))  # a first attempt with one item skipped
        pre_rows.append((answers, p.code, None))
    post_rows: list[Response] = []
    for p in both + post_only:
        typed = p.code
        if p.code in mistyped:
            typed = _mistype(p.code, rng)
        elif p.code in lowercase:
            typed = p.code.replace("-", "").lower()
        post_rows.append(({"oms-hc": sampler.oms(p, post=True)}, typed, None))
    rng.shuffle(pre_rows)
    rng.shuffle(post_rows)
    out.mkdir(parents=True, exist_ok=True)
    _write_qualtrics(out / "pre.csv", keys, pre_rows, True, datetime(2027, 1, 7, 14, 0, tzinfo=UTC), rng)
    _write_qualtrics(out / "post.csv", keys, post_rows, False, datetime(2027, 1, 14, 20, 10, tzinfo=UTC), rng)
    (out / "report.yaml").write_text(REPORT_YAML, encoding="utf-8")
    return {
        "students": students,
        "pre": len(both) + len(pre_only),
        "post": len(both) + len(post_only),
        "both": len(both),
        "mistyped": len(mistyped),
        "duplicates": len(duplicated),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m facilitator.report.synthetic", description=__doc__.split("\n")[0]
    )
    parser.add_argument("out", type=Path, help="directory to write pre.csv, post.csv and report.yaml into")
    parser.add_argument("--students", type=int, default=61, help="class size (default 61, the seed study)")
    parser.add_argument("--seed", type=int, default=2027)
    args = parser.parse_args(argv)
    if args.students < 20:
        parser.error("--students must be at least 20")
    counts = make_sample(args.out, args.students, args.seed)
    print(
        f"wrote {args.out}/pre.csv, post.csv, report.yaml: "
        + ", ".join(f"{k} {v}" for k, v in counts.items())
    )
    print(f"true effect: {TRUE_EFFECT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
