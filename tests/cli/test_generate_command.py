"""``matcher generate``: the four files of a synthetic world, deterministic for a seed."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from cli import app
from matcher.contract import columns as c
from matcher.reference import Reference
from training.history import load_history

ROOT = Path(__file__).resolve().parents[2]
REFERENCE_DIR = ROOT / "data_samples" / "reference"
FILES = ("history", "cohort", "cohort_truth", "cohort_with_errors")

runner = CliRunner()


def generate(out: Path, seed: int, n_history: int = 150, n_cohort: int = 20) -> object:
    return runner.invoke(
        app,
        [
            "generate",
            "--out",
            str(out),
            "--n-history",
            str(n_history),
            "--n-cohort",
            str(n_cohort),
            "--seed",
            str(seed),
            "--reference",
            str(REFERENCE_DIR),
        ],
    )


def read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype="str", keep_default_na=False)


def test_generate_writes_the_four_files(tmp_path: Path, reference: Reference) -> None:
    out = tmp_path / "world"
    result = generate(out, seed=3)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{name}.csv" for name in FILES)
    for name in FILES:
        assert f"{name}: {out / name}.csv" in result.output

    history = read_csv(out / "history.csv")
    assert list(history.columns) == list(c.HISTORY_COLUMNS)
    assert len(history) == 150
    valid, rejects = load_history(out / "history.csv", reference)
    assert len(valid) == 150
    assert rejects.empty
    assert set(valid[c.ACTIVE_12M]) == {0, 1}

    cohort = read_csv(out / "cohort.csv")
    assert list(cohort.columns) == list(c.PROFILE_COLUMNS)
    assert len(cohort) == 20
    assert not set(cohort[c.BENEFICIARY_ID]) & set(history[c.BENEFICIARY_ID])

    truth = read_csv(out / "cohort_truth.csv")
    assert list(truth.columns) == ["beneficiary_id", "project_type_id", "p_active_12m"]
    assert set(truth[c.BENEFICIARY_ID]) <= set(cohort[c.BENEFICIARY_ID])
    assert truth["p_active_12m"].astype(float).between(0, 1).all()

    errors = read_csv(out / "cohort_with_errors.csv")
    assert "expected_error" in errors.columns
    assert (errors["expected_error"] != "").any()

    described = json.loads(result.output[result.output.index("{") :])
    assert described["n_history"] == 150
    assert described["n_cohort"] == 20


def test_generate_is_deterministic_for_a_seed(tmp_path: Path) -> None:
    first, second, other = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for folder, seed in ((first, 5), (second, 5), (other, 6)):
        result = generate(folder, seed=seed)
        assert result.exit_code == 0, result.output
    for name in FILES:
        assert (first / f"{name}.csv").read_bytes() == (second / f"{name}.csv").read_bytes(), name
    assert (first / "history.csv").read_bytes() != (other / "history.csv").read_bytes()


def test_generate_rejects_a_negative_seed(tmp_path: Path) -> None:
    result = generate(tmp_path / "w", seed=-1)
    assert result.exit_code == 2, result.output
    assert not (tmp_path / "w").exists()
