"""Tests of matcher.batch.streaming.score_file: nothing lost, chunking invisible, atomic outputs."""

from __future__ import annotations

import gc
import warnings
from pathlib import Path

import pandas as pd
import pytest

import matcher.batch.streaming as batch
from matcher.batch.streaming import OUTPUT_COLUMNS, rejects_path, score_file
from matcher.contract import columns as c
from matcher.contract.tables import read_table
from matcher.errors import DataSchemaError

DATA = Path(__file__).resolve().parents[3] / "data_samples"
ERRORS = DATA / "cohort_with_errors.csv"


def read(path: Path) -> pd.DataFrame:
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def run(tmp_path, reference, scorer, name="recs.csv", source=ERRORS, **kwargs):
    output = tmp_path / name
    summary = score_file(source, output, reference=reference, scorer=scorer, **kwargs)
    return output, summary


def test_every_row_is_scored_or_rejected(tmp_path, reference, scorer):
    output, summary = run(tmp_path, reference, scorer, top_k=3)
    raw = read_table(ERRORS)
    planted = {i + 1 for i, e in enumerate(raw["expected_error"]) if e}
    out = read(output)
    every = read(rejects_path(output))
    rejects = every[every["status"] == "invalid"]

    assert rejects_path(output) == tmp_path / "recs.csv.rejects.csv"
    assert list(every.columns) == [c.ROW_NUMBER, c.BENEFICIARY_ID, c.ERROR, "status"]
    assert len(every) == len(rejects) + summary.n_no_eligible
    assert {int(n) for n in rejects[c.ROW_NUMBER]} == planted
    scored_ids = set(out[c.BENEFICIARY_ID])
    rejected_rows = {int(n) for n in rejects[c.ROW_NUMBER]}
    for i, bid in enumerate(raw["beneficiary_id"]):
        in_output = bid in scored_ids and (i + 1) not in rejected_rows
        no_eligible = bid in summary.no_eligible_ids
        assert in_output or (i + 1) in rejected_rows or no_eligible, (i + 1, bid)
    assert summary.n_rows == len(raw) == 30
    assert summary.n_rejected == len(planted) == len(rejects)
    assert summary.n_scored == len(raw) - len(planted)
    assert summary.n_scored == len(scored_ids) + summary.n_no_eligible
    assert summary.n_output_rows == len(out)
    assert summary.model_version == scorer.version
    assert summary.output == str(output)
    assert summary.rejects == str(rejects_path(output))
    assert "rejected" in summary.line()


def test_output_shape(tmp_path, reference, scorer):
    output, _ = run(tmp_path, reference, scorer, top_k=3)
    out = read(output)
    assert list(out.columns) == OUTPUT_COLUMNS
    out[c.RANK] = out[c.RANK].astype(int)
    out[c.SCORE] = out[c.SCORE].astype(float)
    out["livelihood"] = out["livelihood"].astype(float)
    assert (out["objective"] == "livelihood").all()  # the session model has an income part
    for _, group in out.groupby(c.BENEFICIARY_ID):
        assert len(group) <= 3
        assert group[c.RANK].tolist() == list(range(1, len(group) + 1))
        assert group["livelihood"].is_monotonic_decreasing
        assert group[c.PROJECT_TYPE_ID].is_unique
    assert out[c.SCORE].between(0, 1).all()
    assert (out["model_version"] == scorer.version).all()
    cost = out[c.COST_MAD].astype(float)
    assert (cost <= out[c.BUDGET_MAD].astype(float)).all()


def test_parquet_output_matches_csv(tmp_path, reference, scorer):
    csv_out, _ = run(tmp_path, reference, scorer, name="recs.csv")
    pq_out, _ = run(tmp_path, reference, scorer, name="recs.parquet", chunk_rows=7)
    from_csv = read(csv_out)
    from_parquet = read(pq_out)
    assert list(from_parquet.columns) == OUTPUT_COLUMNS
    assert from_parquet[c.RANK].dtype.kind == "i"
    assert from_parquet[c.SCORE].dtype.kind == "f"
    pd.testing.assert_frame_equal(
        from_parquet.astype(str).reset_index(drop=True),
        from_csv.assign(
            **{
                col: from_csv[col].astype(float).astype(str)
                for col in (
                    c.SCORE,
                    c.COST_MAD,
                    c.BUDGET_MAD,
                    "livelihood",
                    "expected_income_mad",
                    "score_low",
                    "score_high",
                )
            }
        ).reset_index(drop=True),
        check_dtype=False,
    )
    assert rejects_path(pq_out).name == "recs.parquet.rejects.csv"
    pd.testing.assert_frame_equal(read(rejects_path(pq_out)), read(rejects_path(csv_out)))


def test_parquet_input(tmp_path, reference, scorer):
    source = tmp_path / "cohort.parquet"
    read_table(ERRORS).to_parquet(source, index=False)
    from_parquet, _ = run(tmp_path, reference, scorer, name="a.csv", source=source, chunk_rows=7)
    from_csv, _ = run(tmp_path, reference, scorer, name="b.csv")
    assert from_parquet.read_bytes() == from_csv.read_bytes()
    assert rejects_path(from_parquet).read_bytes() == rejects_path(from_csv).read_bytes()


def test_small_chunks_give_the_same_output(tmp_path, reference, scorer):
    big, _ = run(tmp_path, reference, scorer, name="big.csv", chunk_rows=10_000)
    small, summary = run(tmp_path, reference, scorer, name="small.csv", chunk_rows=7)
    assert small.read_bytes() == big.read_bytes()
    assert rejects_path(small).read_bytes() == rejects_path(big).read_bytes()
    assert summary.n_rows == 30


def test_duplicates_across_chunks_are_rejected(tmp_path, reference, scorer):
    # Be37d66 is row 1 and row 29: chunks of 7 put them in different chunks
    output, _ = run(tmp_path, reference, scorer, chunk_rows=7)
    rejects = read(rejects_path(output)).set_index(c.ROW_NUMBER)
    assert rejects.loc["29", c.BENEFICIARY_ID] == "Be37d66"
    assert rejects.loc["29", c.ERROR] == "beneficiary_id: duplicate of an earlier row"
    assert "1" not in rejects.index
    out = read(output)
    assert out.loc[out[c.BENEFICIARY_ID] == "Be37d66", c.RANK].is_unique


def write_cohort(path: Path, rows: list[dict[str, str]]) -> Path:
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def cohort_row(bid: str, **overrides: str) -> dict[str, str]:
    base = {
        "beneficiary_id": bid,
        "sex": "F",
        "age": "30",
        "region_id": "MA-01",
        "milieu": "urban",
        "education_level": "primary",
        "trainings": "",
        "experience": "",
        "budget_mad": "30000",
        "preferred_sectors": "",
        "health_constraint": "none",
        "commune_code": "",
    }
    return base | overrides


def test_duplicate_of_an_invalid_row_does_not_depend_on_chunking(tmp_path, reference, scorer):
    rows = [cohort_row("X", age="17")] + [cohort_row(f"F{i}") for i in range(7)] + [cohort_row("X")]
    source = write_cohort(tmp_path / "dups.csv", rows)
    big, _ = run(tmp_path, reference, scorer, name="big.csv", source=source, chunk_rows=100)
    small, _ = run(tmp_path, reference, scorer, name="small.csv", source=source, chunk_rows=7)
    assert rejects_path(small).read_text() == rejects_path(big).read_text()
    assert small.read_bytes() == big.read_bytes()


def fail_on_call(monkeypatch, n: int) -> list[int]:
    calls: list[int] = []
    real = batch.rank_cohort

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == n:
            raise RuntimeError("worker lost")
        return real(*args, **kwargs)

    monkeypatch.setattr(batch, "rank_cohort", flaky)
    return calls


def failing_run(output: Path, reference, scorer) -> list[warnings.WarningMessage]:
    """Run score_file into a failure; return the ResourceWarnings it caused."""
    with warnings.catch_warnings(record=True) as log:
        warnings.simplefilter("always", ResourceWarning)
        with pytest.raises(RuntimeError, match="worker lost"):
            score_file(ERRORS, output, reference=reference, scorer=scorer, chunk_rows=7)
        gc.collect()
    return [w for w in log if issubclass(w.category, ResourceWarning)]


def test_failure_mid_run_leaves_no_output(tmp_path, reference, scorer, monkeypatch):
    calls = fail_on_call(monkeypatch, 2)
    output = tmp_path / "out" / "recs.csv"
    failing_run(output, reference, scorer)
    assert len(calls) == 2
    assert not output.exists()
    assert not rejects_path(output).exists()
    assert list(output.parent.iterdir()) == []


def test_failure_keeps_a_previous_output(tmp_path, reference, scorer, monkeypatch):
    output, _ = run(tmp_path, reference, scorer)
    before = output.read_bytes()
    rejects_before = rejects_path(output).read_bytes()
    fail_on_call(monkeypatch, 1)
    failing_run(output, reference, scorer)
    assert output.read_bytes() == before
    assert rejects_path(output).read_bytes() == rejects_before
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_failure_mid_run_closes_the_input(tmp_path, reference, scorer, monkeypatch):
    fail_on_call(monkeypatch, 2)
    leaked = failing_run(tmp_path / "recs.csv", reference, scorer)
    assert leaked == []


@pytest.mark.parametrize("name", ["recs.csv", "recs.parquet"])
def test_header_only_input(tmp_path, reference, scorer, name):
    source = tmp_path / "empty_cohort.csv"
    source.write_text(",".join(cohort_row("x")) + "\n", encoding="utf-8")
    output, summary = run(tmp_path, reference, scorer, name=name, source=source)
    out = read(output)
    assert list(out.columns) == OUTPUT_COLUMNS
    assert len(out) == 0
    rejects = read(rejects_path(output))
    assert list(rejects.columns) == [c.ROW_NUMBER, c.BENEFICIARY_ID, c.ERROR, "status"]
    assert len(rejects) == 0
    assert (summary.n_rows, summary.n_scored, summary.n_rejected) == (0, 0, 0)


def test_missing_column_writes_nothing(tmp_path, reference, scorer):
    source = tmp_path / "bad.csv"
    read_table(ERRORS).drop(columns=["budget_mad"]).to_csv(source, index=False)
    output = tmp_path / "recs.csv"
    with pytest.raises(DataSchemaError, match="budget_mad"):
        score_file(source, output, reference=reference, scorer=scorer)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv"]


def test_person_with_no_eligible_type_is_counted(tmp_path, reference, scorer):
    source = write_cohort(
        tmp_path / "c.csv", [cohort_row("RICH"), cohort_row("POOR", budget_mad="0")]
    )
    output, summary = run(tmp_path, reference, scorer, source=source)
    out = read(output)
    assert set(out[c.BENEFICIARY_ID]) == {"RICH"}
    assert summary.n_no_eligible == 1
    assert summary.no_eligible_ids == ["POOR"]
    assert summary.n_scored == 2


def test_progress_reports_rows_done(tmp_path, reference, scorer):
    seen: list[int] = []
    run(tmp_path, reference, scorer, chunk_rows=7, progress=seen.append)
    assert seen == [7, 14, 21, 28, 30]


def test_explain_adds_reasons(tmp_path, reference, scorer):
    output, _ = run(tmp_path, reference, scorer, explain=True, top_k=2)
    out = read(output)
    assert list(out.columns) == [*OUTPUT_COLUMNS, "reasons"]
    assert (out["reasons"] != "").all()
