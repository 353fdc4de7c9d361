"""Score a Parquet dataset on a Dask cluster (``matcher score --engine dask``).

The scoring function works on one pandas chunk, so it maps directly onto
``dask.dataframe.map_partitions``. Each worker loads the reference and the
model once (checked by the registry like everywhere else) and scores its
partitions; rejected rows of each partition are written beside the output.
On two cores this is slower than the plain streaming path; it pays on a
cluster or for data larger than one machine's disk (see docs/scaling.md).
Workers must see the registry and reference folders at the same paths.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from matcher.batch.streaming import INVALID, REJECT_FILE_COLUMNS, STATUS, no_eligible_rows
from matcher.contract import columns as c
from matcher.contract.profile_table import validate_profiles
from matcher.contract.tables import as_text_frame
from matcher.model.livelihood import DEFAULT_LIVELIHOOD_MAD
from matcher.model.scorer import Scorer
from matcher.reference import Reference, load_reference
from matcher.service import rank_cohort

OUTPUT_META = {
    c.BENEFICIARY_ID: "str",
    c.RANK: "int64",
    c.PROJECT_TYPE_ID: "str",
    c.SCORE: "float64",
    "sector_id": "str",
    c.COST_MAD: "float64",
    c.BUDGET_MAD: "float64",
    "n_eligible": "int64",
    "model_version": "str",
    "livelihood": "float64",
    "expected_income_mad": "float64",
    "score_low": "float64",
    "score_high": "float64",
}


@lru_cache(maxsize=4)
def _worker_state(reference_dir: str, registry_dir: str, version: str) -> tuple[Reference, Scorer]:
    reference = load_reference(reference_dir)
    return reference, Scorer.load(registry_dir, version, reference=reference)


def score_partition(
    part: pd.DataFrame,
    *,
    reference_dir: str,
    registry_dir: str,
    version: str,
    top_k: int,
    rejects_dir: str,
    partition_info: dict[str, Any] | None = None,
    objective: str | None = None,
    livelihood_mad: float = DEFAULT_LIVELIHOOD_MAD,
) -> pd.DataFrame:
    """Validate and rank one partition; write its rejects to ``rejects_dir``."""
    reference, scorer = _worker_state(reference_dir, registry_dir, version)
    number = int((partition_info or {}).get("number", 0))
    text = as_text_frame(part.reset_index(drop=True))
    valid, rejects = validate_profiles(text, reference)
    empty = pd.DataFrame({k: pd.Series(dtype=v) for k, v in OUTPUT_META.items()})
    ranked = (
        empty
        if valid.empty
        else rank_cohort(
            valid,
            reference=reference,
            scorer=scorer,
            top_k=top_k,
            objective=objective,
            livelihood_mad=livelihood_mad,
        ).assign(model_version=scorer.version)[list(OUTPUT_META)]
    )
    # every row is accounted for, as on the streaming path: the invalid ones and the
    # valid people no project type is open to
    missing = ~valid[c.BENEFICIARY_ID].isin(ranked[c.BENEFICIARY_ID])
    refused = [rejects.assign(**{STATUS: INVALID})[REJECT_FILE_COLUMNS]]
    if missing.any():
        refused.append(no_eligible_rows(valid.loc[missing].reset_index(drop=True), reference))
    refused_rows = pd.concat(refused, ignore_index=True)
    if len(refused_rows):
        out = Path(rejects_dir) / f"part-{number:05d}.csv"
        refused_rows.assign(partition=number).to_csv(out, index=False)
    return ranked


def score_parquet_with_dask(
    input_path: Path,
    output_dir: Path,
    *,
    reference_dir: Path,
    registry_dir: Path,
    version: str,
    top_k: int = 5,
    scheduler: str | None = None,
    n_workers: int = 2,
    objective: str | None = None,
    livelihood_mad: float = DEFAULT_LIVELIHOOD_MAD,
) -> dict[str, Any]:
    """Score a Parquet file or folder into a Parquet folder with Dask.

    Parameters
    ----------
    scheduler : str, optional
        Address of an existing Dask scheduler; a local cluster of
        ``n_workers`` processes is started (and stopped) when omitted.
    """
    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    output_dir.mkdir(parents=True, exist_ok=True)
    rejects_dir = output_dir / "rejects"
    rejects_dir.mkdir(exist_ok=True)
    kwargs = {
        "reference_dir": str(reference_dir.resolve()),
        "registry_dir": str(registry_dir.resolve()),
        "version": version,
        "top_k": top_k,
        "rejects_dir": str(rejects_dir.resolve()),
        "objective": objective,
        "livelihood_mad": livelihood_mad,
    }
    meta = pd.DataFrame({k: pd.Series(dtype=v) for k, v in OUTPUT_META.items()})

    def run() -> int:
        frame = dd.read_parquet(str(input_path))
        scored = frame.map_partitions(score_partition, meta=meta, **kwargs)
        scored.to_parquet(str(output_dir / "scores"), write_index=False)
        return int(frame.npartitions)

    if scheduler:
        with Client(scheduler):
            n_parts = run()
    else:
        with (
            LocalCluster(
                n_workers=n_workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                host="127.0.0.1",
            ) as cluster,
            Client(cluster),
        ):
            n_parts = run()
    return {
        "partitions": n_parts,
        "output": str(output_dir / "scores"),
        "rejects": str(rejects_dir),
    }
