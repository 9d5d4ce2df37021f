"""Seeded mutation fuzzing of everything a director hands the report: the two exports and the
report.yaml. Any outcome is fine except an exception that is not a ReportError (a traceback)."""

from __future__ import annotations

import contextlib
import random
import shutil
from pathlib import Path

import pytest

from facilitator.report.build import build_study
from facilitator.report.errors import ReportError
from facilitator.report.exports import parse_export
from facilitator.report.html import render_html
from tests.report.helpers import SAMPLE

JUNK = [
    "",
    ",",
    '"',
    "\n",
    "\r",
    "\x00",
    "\ufeff",
    "-99",
    "NaN",
    "1e309",
    "=1+1",
    "\u202e",
    "é",
    "9" * 40,
    "{",
    "Agree",
]


def mutate(text: str, rng: random.Random) -> str:
    """One to four edits: characters, cells or whole lines replaced, duplicated, dropped or swapped."""
    for _ in range(rng.randint(1, 4)):
        lines = text.split("\n")
        kind = rng.randrange(6)
        if kind == 0 and text:  # a character replaced
            i = rng.randrange(len(text))
            text = text[:i] + rng.choice(JUNK) + text[i + 1 :]
            continue
        i = rng.randrange(len(lines))
        if kind == 1:  # a cell replaced
            cells = lines[i].split(",")
            cells[rng.randrange(len(cells))] = rng.choice(JUNK)
            lines[i] = ",".join(cells)
        elif kind == 2:
            lines.insert(i, lines[rng.randrange(len(lines))])
        elif kind == 3 and len(lines) > 1:
            del lines[i]
        elif kind == 4:
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        else:  # truncated
            lines[i] = lines[i][: rng.randrange(len(lines[i]) + 1)]
        text = "\n".join(lines)
    return text


@pytest.mark.parametrize("seed", range(4))
def test_mutated_exports_and_configs_never_crash(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    originals = {
        name: (SAMPLE / name).read_text(encoding="utf-8") for name in ("pre.csv", "post.csv", "report.yaml")
    }
    outcomes = {"ok": 0, "error": 0}
    for case in range(25):
        work = tmp_path / str(case)
        work.mkdir()
        for name, text in originals.items():
            (work / name).write_text(text, encoding="utf-8")
        target = rng.choice(list(originals))
        (work / target).write_text(mutate(originals[target], rng), encoding="utf-8")
        try:
            study = build_study(work / "pre.csv", work / "post.csv", work / "report.yaml", 61, "Fuzz")
            render_html(study)
            outcomes["ok"] += 1
        except ReportError as exc:
            assert exc.problems and all(str(p) for p in exc.problems)
            outcomes["error"] += 1
        shutil.rmtree(work)
    assert outcomes["ok"] and outcomes["error"]  # the fuzzer reaches both paths


def test_random_bytes_parse_or_fail_cleanly() -> None:
    rng = random.Random(99)
    alphabet = 'ab,"\n\r\x00 -9é'
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(60)))
        with contextlib.suppress(ReportError):
            parse_export(text, "r.csv")


def test_mutated_key_files_and_t_score_tables_never_crash(tmp_path: Path) -> None:
    from facilitator.report.keys import BUILTIN_KEYS, load_key
    from facilitator.report.scoring import load_tscore_table
    from tests.report.helpers import KEYS, PROMIS_ANXIETY_8A_T

    rng = random.Random(2027)
    keys = [p.read_text(encoding="utf-8") for p in sorted(BUILTIN_KEYS.glob("*.yaml"))]
    table = "score: raw\ntable:\n" + "".join(
        f"  {raw}: {t}\n" for raw, t in enumerate(PROMIS_ANXIETY_8A_T, 8)
    )
    path = tmp_path / "k.yaml"
    outcomes = {"ok": 0, "error": 0}
    for _ in range(150):
        path.write_text(mutate(rng.choice(keys), rng), encoding="utf-8")
        try:
            load_key(path)
            outcomes["ok"] += 1
        except ReportError:
            outcomes["error"] += 1
        path.write_text(mutate(table, rng), encoding="utf-8")
        with contextlib.suppress(ReportError):
            load_tscore_table(path, KEYS["promis-anxiety-8a"])
    assert outcomes["ok"] and outcomes["error"]
