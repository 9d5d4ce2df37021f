"""Scoring by the keys, against hand-worked examples: reverse items, missing items, labels, bands."""

from __future__ import annotations

from pathlib import Path

import pytest

from facilitator.report.config import ColumnMap
from facilitator.report.errors import ReportError
from facilitator.report.exports import parse_export
from facilitator.report.keys import load_key, load_keys
from facilitator.report.scoring import Instrument, band, compute_score, parse_answer, score_export
from tests.report.helpers import KEYS, PROMIS_ANXIETY_8A_T, instrument

OMS_FORM = KEYS["oms-hc"].forms["default"]


def oms_values(by_position: list[int | None]) -> dict[str, float | None]:
    return {item: (None if v is None else float(v)) for item, v in zip(OMS_FORM, by_position, strict=True)}


def test_oms_hc_reverse_items_and_subscales_hand_worked() -> None:
    # Positions 1..15 → o1 o3 o4 o6 o7 o8 o9 o10 o12 o13 o14 o17 o18 o19 o20; reverse: o3 o8 o9 o10.
    answers = [4, 2, 5, 3, 3, 1, 2, 4, 2, 1, 3, 4, 5, 2, 3]
    inst = instrument("oms-hc")
    values = oms_values(answers)
    # Reverse-keyed 6-x: o3 2→4, o8 1→5, o9 2→4, o10 4→2.
    # Attitudes o1 o12 o13 o14 o18 o20 = 4+2+1+3+5+3 = 18
    # Disclosure o4 o6 o7 o10 = 5+3+3+2 = 13
    # Social distance o3 o8 o9 o17 o19 = 4+5+4+4+2 = 19
    assert compute_score(inst, "attitudes", values) == 18
    assert compute_score(inst, "disclosure", values) == 13
    assert compute_score(inst, "social_distance", values) == 19
    assert compute_score(inst, "total", values) == 18 + 13 + 19


def test_oms_hc_mean_item_score_and_complete_case_rule() -> None:
    answers: list[int | None] = [4, 2, 5, 3, 3, 1, 2, 4, 2, 1, 3, 4, 5, 2, 3]
    mean_inst = instrument("oms-hc", method="mean")
    assert compute_score(mean_inst, "attitudes", oms_values(answers)) == pytest.approx(18 / 6)
    answers[0] = None  # o1 (Attitudes) skipped: the default rule needs every item
    inst = instrument("oms-hc")
    assert compute_score(inst, "attitudes", oms_values(answers)) is None
    assert compute_score(inst, "total", oms_values(answers)) is None
    assert compute_score(inst, "disclosure", oms_values(answers)) == 13  # other subscales unaffected
    # A study that allows one missing item prorates: Attitudes (2+1+3+5+3)/5*6 = 16.8
    lenient = instrument("oms-hc", max_missing=1)
    assert compute_score(lenient, "attitudes", oms_values(answers)) == pytest.approx(16.8)


def test_phq9_prorates_up_to_two_missing_items_and_bands() -> None:
    inst = instrument("phq-9")
    values: dict[str, float | None] = {
        f"p{i}": float(v) for i, v in enumerate([1, 2, 0, 3, 1, 1, 2, 0, 1], 1)
    }
    assert compute_score(inst, "total", values) == 11
    assert band(inst, "total", 11) == "moderate"
    assert [band(inst, "total", v) for v in (0, 4, 5, 9, 10, 14, 15, 19, 20, 27)] == [
        "none-minimal", "none-minimal", "mild", "mild", "moderate", "moderate",
        "moderately severe", "moderately severe", "severe", "severe",
    ]  # fmt: skip
    values["p2"] = None
    values["p4"] = None  # answered: 1+0+1+1+2+0+1 = 6 over 7 items → 6/7*9
    assert compute_score(inst, "total", values) == pytest.approx(6 / 7 * 9)
    values["p5"] = None
    assert compute_score(inst, "total", values) is None
    assert compute_score(inst, "item9", values) == 1


def test_promis_raw_sum_needs_every_item_and_t_scores_come_from_a_supplied_table(tmp_path: Path) -> None:
    inst = instrument("promis-anxiety-8a")
    values: dict[str, float | None] = {f"a{i}": float(v) for i, v in enumerate([2, 3, 1, 2, 4, 2, 3, 1], 1)}
    assert compute_score(inst, "raw", values) == 18
    values["a3"] = None
    assert compute_score(inst, "raw", values) is None
    table = "score: raw\ntable:\n" + "".join(
        f"  {raw}: {t}\n" for raw, t in enumerate(PROMIS_ANXIETY_8A_T, 8)
    )
    (tmp_path / "t.yaml").write_text(table)
    from facilitator.report.scoring import load_tscore_table

    score, loaded = load_tscore_table(tmp_path / "t.yaml", KEYS["promis-anxiety-8a"])
    with_t = Instrument(KEYS["promis-anxiety-8a"], inst.config, loaded, score)
    text = "code,a1,a2,a3,a4,a5,a6,a7,a8\nX,2,3,1,2,4,2,3,1\nY,1,1,1,1,1,1,1,1\n"
    rows = score_export(
        parse_export(text, "b.csv"), "code", None, [(with_t, ColumnMap(pattern="a{n}").resolve(with_t.key))]
    )
    assert [r.scores["promis-anxiety-8a.raw_t"] for r in rows] == [
        56.4,
        37.1,
    ]  # raw 18 → 56.4 (11th entry), raw 8 → 37.1


def test_mbi_items_are_separate_scores_with_configurable_cut_offs() -> None:
    inst = instrument("mbi-2", cutoffs={"ee": 5})
    values: dict[str, float | None] = {"ee": 4.0, "dp": 6.0}
    assert compute_score(inst, "ee", values) == 4
    assert compute_score(inst, "dp", values) == 6
    assert inst.cutoff("ee") == 5 and inst.cutoff("dp") == 4


def test_answers_as_numbers_or_labels_and_clear_errors() -> None:
    inst = instrument("oms-hc", labels={"Tout à fait d'accord": 5})
    labels = {k.lower(): v for k, v in {**inst.key.labels, **inst.config.labels}.items()}
    assert parse_answer(" Strongly  Agree ", inst, labels) == 5
    assert parse_answer("tout à fait d'accord", inst, labels) == 5
    assert parse_answer("3", inst, labels) == 3
    assert parse_answer("3.0", inst, labels) == 3
    assert parse_answer("", inst, labels) is None
    assert parse_answer("-99", inst, labels) is None  # Qualtrics: seen but not answered
    for bad in ("6", "0", "2.5", "nan", "inf", "Agreee", "1e400"):
        with pytest.raises(ValueError, match="oms-hc"):
            parse_answer(bad, inst, labels)


def test_a_bad_cell_is_reported_with_file_row_and_column() -> None:
    inst = instrument("mbi-2")
    text = "code,ee,dp\nA,3,4\nB,7,2\nC,x,\n"
    with pytest.raises(ReportError) as caught:
        score_export(parse_export(text, "pre.csv"), "code", None, [(inst, [("ee", "ee"), ("dp", "dp")])])
    lines = [str(p) for p in caught.value.problems]
    assert lines[0].startswith("pre.csv:3: column 'ee': '7' is outside the mbi-2 scale (0-6")
    assert lines[1].startswith("pre.csv:4: column 'ee': 'x' is not an answer on the mbi-2 scale")


def test_another_form_order_is_a_mapping_not_code() -> None:
    inst = instrument("mbi-2")
    text = "code,first,second\nA,1,5\n"
    mapping = ColumnMap(items={"first": "dp", "second": "ee"}).resolve(inst.key)
    rows = score_export(parse_export(text, "x.csv"), "code", None, [(inst, mapping)])
    assert rows[0].scores == {"mbi-2.ee": 5, "mbi-2.dp": 1}


def test_a_deployer_adds_an_instrument_with_a_key_file(tmp_path: Path) -> None:
    (tmp_path / "gad-2.yaml").write_text(
        "id: gad-2\ntitle: GAD-2\nscale: {min: 0, max: 3}\nitems: [g1, g2]\nforms: {default: [g1, g2]}\n"
        "scores:\n  total: {title: Total, items: all, cutoff: 3}\n"
    )
    keys = load_keys([tmp_path])
    assert {"gad-2", "oms-hc", "phq-9"} <= set(keys)
    inst = Instrument(keys["gad-2"], instrument("mbi-2").config)
    assert compute_score(inst, "total", {"g1": 2.0, "g2": 1.0}) == 3


def test_a_broken_key_file_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "id: bad\ntitle: Bad\nscale: {min: 1, max: 5}\nitems: [a, b]\nforms: {default: [a, c]}\nscores: {}\n"
    )
    with pytest.raises(ReportError, match="form 'default' names unknown items: c"):
        load_key(path)
    path.write_text(
        "id: bad\ntitle: Bad\nscale: {min: 1, max: five}\nitems: [a]\nforms: {default: [a]}\nscores: {}\n"
    )
    with pytest.raises(ReportError) as caught:
        load_key(path)
    assert str(caught.value.problems[0]).startswith(f"{path}:3: column 'scale.max'")
