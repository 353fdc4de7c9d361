"""``matcher evaluate``: a registered model on a history file (and a cohort with ground truth)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from cli import app
from matcher.model.registry import Registry

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data_samples"
REFERENCE_DIR = DATA / "reference"

runner = CliRunner()


def read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype="str", keep_default_na=False)


@pytest.fixture(scope="module")
def small_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("evaluate")
    history, cohort = folder / "history.csv", folder / "cohort.csv"
    read_csv(DATA / "history.csv").tail(600).to_csv(history, index=False)
    read_csv(DATA / "cohort.csv").head(60).to_csv(cohort, index=False)
    return history, cohort


def evaluate(registry: Path, *args: str) -> object:
    return runner.invoke(
        app,
        ["evaluate", "--registry", str(registry), "--reference", str(REFERENCE_DIR), *args],
    )


def test_evaluate_prints_roc_auc_and_writes_json(
    tmp_path: Path, trained_registry_path: Path, small_files: tuple[Path, Path]
) -> None:
    history, _ = small_files
    output = tmp_path / "report.json"
    result = evaluate(trained_registry_path, "--history", str(history), "--output", str(output))
    assert result.exit_code == 0, result.output
    active = Registry(trained_registry_path).active_version()
    assert f"model {active} on 600 rows: ROC AUC" in result.output
    report = json.loads(output.read_text(encoding="utf-8"))
    assert report["model_version"] == active
    assert report["n_rejected"] == 0
    overall = report["holdout"]["overall"]
    assert overall["n"] == 600
    assert 0.5 < overall["roc_auc"] <= 1
    assert f"ROC AUC {overall['roc_auc']:.3f}" in result.output
    for key in ("log_loss", "brier", "ece"):
        assert math.isfinite(overall[key])
    assert "world" not in report


def test_evaluate_against_ground_truth(
    tmp_path: Path, trained_registry_path: Path, small_files: tuple[Path, Path]
) -> None:
    history, cohort = small_files
    output = tmp_path / "report.json"
    result = evaluate(
        trained_registry_path,
        "--history",
        str(history),
        "--cohort",
        str(cohort),
        "--truth",
        str(DATA / "cohort_truth.csv"),
        "--output",
        str(output),
    )
    assert result.exit_code == 0, result.output
    assert "ground truth: NDCG@5" in result.output
    world = json.loads(output.read_text(encoding="utf-8"))["world"]
    truth = read_csv(DATA / "cohort_truth.csv")
    people = set(read_csv(cohort)["beneficiary_id"])
    assert (
        world["n_beneficiaries"]
        == truth.loc[truth["beneficiary_id"].isin(people)]["beneficiary_id"].nunique()
    )
    assert 0 < world["model"]["ndcg_at_5"] <= 1


def test_evaluate_unknown_version_exits_2(
    trained_registry_path: Path, small_files: tuple[Path, Path]
) -> None:
    history, _ = small_files
    result = evaluate(
        trained_registry_path, "--history", str(history), "--model", "20990101T000000Z-abcdef"
    )
    assert result.exit_code == 2, result.output
    assert "unknown model version" in result.output


def test_evaluate_without_a_model_exits_2(tmp_path: Path, small_files: tuple[Path, Path]) -> None:
    history, _ = small_files
    result = evaluate(tmp_path / "empty", "--history", str(history))
    assert result.exit_code == 2, result.output
    assert "matcher train" in result.output
