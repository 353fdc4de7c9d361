"""Every input row is accounted for: ranked, with no eligible type, or rejected alone.

Real CSV files as people send them: a trailing comma on every data row, one row with
a field too many or too few, a person no project type suits. The summary line a
programme manager reads must add up to the file's rows.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from matcher.batch.streaming import NO_ELIGIBLE_TYPE, rejects_path, score_file
from matcher.contract.tables import read_table

DATA = Path(__file__).resolve().parents[3] / "data_samples"
HEADER = (
    "beneficiary_id,sex,age,region_id,milieu,education_level,trainings,experience,"
    "budget_mad,preferred_sectors,health_constraint,commune_code"
)


def person(bid: str, budget: str = "40000", tail: str = "") -> str:
    return f'{bid},F,30,MA-06,urban,primary,"cutting_sewing",,{budget},,none,{tail}'


def score(tmp_path: Path, lines: list[str], reference, scorer, chunk_rows: int = 20_000):
    source = tmp_path / "cohort.csv"
    source.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    output = tmp_path / "out.csv"
    summary = score_file(
        source, output, reference=reference, scorer=scorer, top_k=2, chunk_rows=chunk_rows
    )
    out = pd.read_csv(output, dtype=str, keep_default_na=False)
    rejects = pd.read_csv(rejects_path(output), dtype=str, keep_default_na=False)
    return summary, out, rejects


def test_a_trailing_comma_on_every_data_row_shifts_nothing(tmp_path, reference, scorer):
    lines = [person(f"T{i}") + "," for i in range(5)]
    summary, out, rejects = score(tmp_path, lines, reference, scorer)
    assert rejects.empty
    assert sorted(set(out["beneficiary_id"])) == [f"T{i}" for i in range(5)]
    assert summary.n_rows == 5


def test_a_malformed_row_is_rejected_alone_with_its_row_number(tmp_path, reference, scorer):
    lines = [
        person("G1"),
        person("LONG", tail="extra,more"),  # one field too many (not empty)
        person("G2"),
        "SHORT,F,30,MA-06,urban",  # seven fields too few
        person("G3"),
    ]
    summary, out, rejects = score(tmp_path, lines, reference, scorer, chunk_rows=2)
    assert sorted(set(out["beneficiary_id"])) == ["G1", "G2", "G3"]
    assert rejects["row_number"].tolist() == ["2", "4"]
    assert rejects["beneficiary_id"].tolist() == ["LONG", "SHORT"]
    assert rejects["error"].tolist() == [
        "row: 13 fields where the header has 12 (a value with an unquoted separator?)",
        "row: 5 fields where the header has 12 (a missing separator?)",
    ]
    assert set(rejects["status"]) == {"invalid"}
    assert summary.n_rows == 5


def test_no_eligible_type_is_written_with_a_status_and_the_counts_add_up(
    tmp_path, reference, scorer
):
    lines = [
        person("OK1"),
        person("POOR", budget="0"),
        "BAD ID,F,30,MA-06,urban,primary,,,1,,none,",
    ]
    summary, out, rejects = score(tmp_path, lines, reference, scorer)
    poor = rejects.set_index("beneficiary_id").loc["POOR"]
    assert poor["status"] == NO_ELIGIBLE_TYPE
    assert poor["row_number"] == "2"
    assert poor["error"].startswith("project_type_id: no eligible project type (")
    assert "cost more than the budget" in poor["error"]
    assert set(out["beneficiary_id"]) == {"OK1"}
    line = summary.line()
    match = re.match(
        r"(\d+) rows = (\d+) ranked \+ (\d+) with no eligible type \+ (\d+) rejected", line
    )
    assert match, line
    total, ranked, none, rejected = map(int, match.groups())
    assert (total, ranked, none, rejected) == (3, 1, 1, 1)
    assert ranked + none + rejected == total
    # every input id is somewhere
    assert set(out["beneficiary_id"]) | set(rejects["beneficiary_id"]) == {"OK1", "POOR", "BAD ID"}


def test_the_sample_cohort_with_errors_is_fully_accounted_for(tmp_path, reference, scorer):
    source = DATA / "cohort_with_errors.csv"
    output = tmp_path / "out.csv"
    summary = score_file(source, output, reference=reference, scorer=scorer)
    out = pd.read_csv(output, dtype=str, keep_default_na=False)
    rejects = pd.read_csv(rejects_path(output), dtype=str, keep_default_na=False)
    rows = len(read_table(source))
    people = out["beneficiary_id"].nunique()
    assert summary.n_rows == rows
    assert people + len(rejects) == rows
    assert len(rejects) == summary.n_rejected + summary.n_no_eligible
    assert people == summary.n_scored - summary.n_no_eligible
    assert len(set(rejects["row_number"])) == len(rejects)  # each row once
