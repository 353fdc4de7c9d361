"""The Dask engine scores a Parquet dataset like the streaming path does."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from matcher.batch.streaming import score_file
from matcher.model.scorer import Scorer
from matcher.reference import Reference

pytest.importorskip("distributed")

DATA = Path(__file__).resolve().parents[3] / "data_samples"


def test_dask_engine_matches_streaming_path(
    tmp_path: Path, reference: Reference, scorer: Scorer, trained_registry_path: Path
):
    from matcher.batch.dask_engine import score_parquet_with_dask

    cohort = pd.read_csv(DATA / "cohort_with_errors.csv", dtype=str, keep_default_na=False)
    cohort = cohort.drop(columns=["expected_error"])
    # a valid person no project type is open to (budget 0): listed, never lost
    broke = cohort.iloc[[0]].assign(beneficiary_id="NOELIG1", budget_mad="0")
    cohort = pd.concat([cohort, broke], ignore_index=True)
    source = tmp_path / "cohort.parquet"
    cohort.to_parquet(source)

    info = score_parquet_with_dask(
        source,
        tmp_path / "dask",
        reference_dir=DATA / "reference",
        registry_dir=trained_registry_path,
        version=scorer.version,
        top_k=3,
        n_workers=1,
    )
    dask_scores = pd.read_parquet(info["output"]).sort_values(["beneficiary_id", "rank"])
    rejects = pd.concat(pd.read_csv(p) for p in Path(info["rejects"]).glob("*.csv"))

    score_file(source, tmp_path / "plain.csv", reference=reference, scorer=scorer, top_k=3)
    plain = pd.read_csv(tmp_path / "plain.csv").sort_values(["beneficiary_id", "rank"])
    plain_rejects = pd.read_csv(tmp_path / "plain.csv.rejects.csv")

    assert list(dask_scores["project_type_id"]) == list(plain["project_type_id"])
    assert dask_scores["score"].round(6).tolist() == plain["score"].round(6).tolist()
    assert sorted(rejects["row_number"]) == sorted(plain_rejects["row_number"])
    assert len(rejects) >= 10
    by_id = rejects.set_index("beneficiary_id")["status"]
    assert by_id["NOELIG1"] == "no_eligible_type"
    assert sorted(rejects["status"]) == sorted(plain_rejects["status"])
