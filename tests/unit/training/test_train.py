"""``training.train``: candidate choice, evidence, and one full training run."""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier

import training.train
from matcher.model.registry import Registry
from matcher.model.scorer import Scorer
from matcher.reference import Reference
from training.generator import generate_world, write_world
from training.history import load_history
from training.train import TRAINED_IDS, TrainResult, evidence_table, select_candidate, train_model

DATA = Path(__file__).resolve().parents[3] / "data_samples"


@dataclass(frozen=True)
class Trained:
    result: TrainResult
    root: Path
    active_before: str
    history: Path


@pytest.fixture(scope="module")
def trained(
    tmp_path_factory: pytest.TempPathFactory, trained_registry_path: Path, reference: Reference
) -> Trained:
    """A small new world trained (not activated) next to the session's active version."""
    base = tmp_path_factory.mktemp("train_unit")
    root = base / "models"
    shutil.copytree(trained_registry_path, root)
    paths = write_world(generate_world(reference, n_history=600, n_cohort=30, seed=21), base)
    active = Registry(root).active_version()
    assert active is not None
    result = train_model(
        paths["history"],
        reference=reference,
        registry=Registry(root),
        activate=False,
        candidates=("logit",),
        actor="unit",
        eval_cohort=paths["cohort"],
        eval_truth=paths["cohort_truth"],
    )
    return Trained(result=result, root=root, active_before=active, history=paths["history"])


def test_result_and_registry(trained: Trained) -> None:
    registry = Registry(trained.root)
    assert trained.result.version in registry.versions()
    assert trained.result.activated is False
    assert trained.result.refusal is None
    assert trained.result.n_rejected == 0
    assert registry.active_version() == trained.active_before


def test_manifest_describes_the_run(trained: Trained, reference: Reference) -> None:
    manifest = Registry(trained.root).manifest(trained.result.version)
    metrics = trained.result.metrics
    assert manifest["reference_fingerprint"] == reference.fingerprint
    digest = hashlib.sha256(trained.history.read_bytes()).hexdigest()
    assert manifest["history_fingerprint"] == digest
    assert manifest["n_rows"] == 600
    assert manifest["n_train"] + manifest["n_test"] == 600
    assert manifest["n_test"] == metrics["holdout"]["overall"]["n"]
    assert (
        pd.Timestamp(manifest["split_cut_date"]).strftime("%Y-%m-%d")
        == (manifest["split_cut_date"])
    )
    assert manifest["candidate"] == metrics["candidate"] == "logit"
    assert manifest["target"] == "active_12m"
    assert manifest["feature_columns"]
    assert manifest["headline"] == {
        k: metrics["holdout"]["overall"][k] for k in ("roc_auc", "log_loss", "brier")
    }
    assert set(metrics["cv_log_loss"]) == {"logit"}


def test_side_by_side_comparison_on_unseen_people(trained: Trained) -> None:
    comparison = trained.result.metrics["comparison"]
    assert comparison["active_version"] == trained.active_before
    assert comparison["n_rows"] == trained.result.metrics["holdout"]["overall"]["n"]
    for side in ("candidate", "active"):
        assert 0 <= comparison[side]["roc_auc"] <= 1
        assert comparison[side]["n"] == comparison["n_rows"]


def test_trained_ids_and_importance(trained: Trained, reference: Reference) -> None:
    folder = Registry(trained.root).path(trained.result.version)
    history, _ = load_history(trained.history, reference)
    stored = (folder / TRAINED_IDS).read_text(encoding="utf-8").split()
    assert stored == sorted(set(history["beneficiary_id"]))
    importance = trained.result.metrics["feature_importance"]
    values = [row["importance"] for row in importance]
    assert values == sorted(values, reverse=True)
    assert {"feature", "importance", "std"} <= set(importance[0])


def test_world_metrics_recorded(trained: Trained) -> None:
    world = trained.result.metrics["world"]
    assert world["n_beneficiaries"] > 0
    assert world["cohort"].endswith("cohort.csv")
    assert 0 < world["model"]["ndcg_at_5"] <= 1


def test_saved_model_scores_like_a_fresh_load(trained: Trained, reference: Reference) -> None:
    loaded = Registry(trained.root).load(
        trained.result.version, reference_fingerprint=reference.fingerprint
    )
    scorer = Scorer.from_loaded(loaded)
    history, _ = load_history(trained.history, reference)
    scores = scorer.score_pairs(history.head(50))
    assert ((scores > 0) & (scores < 1)).all()


class _Recorder:
    sizes: list[int]

    def __init__(self) -> None:
        self.sizes = []


def test_select_candidate_picks_the_lowest_cv_log_loss(
    monkeypatch: pytest.MonkeyPatch, reference: Reference
) -> None:
    seen = _Recorder()

    class Prior(DummyClassifier):
        def fit(self, X: Any, y: Any, sample_weight: Any = None) -> Prior:
            seen.sizes.append(len(X))
            return super().fit(X, y, sample_weight)

    def fake_pipeline(_reference: Reference, *, candidate: str, **_: Any) -> Any:
        if candidate == "good":
            return Prior(strategy="prior")
        return DummyClassifier(strategy="constant", constant=0)

    monkeypatch.setattr(training.train, "build_pipeline", fake_pipeline)
    rng = np.random.default_rng(0)
    train = pd.DataFrame(
        {
            "beneficiary_id": [f"P{i // 2}" for i in range(300)],
            "active_12m": rng.integers(0, 2, 300),
        }
    )
    best, scores = select_candidate(train, reference, candidates=("bad", "good"), random_state=0)
    assert best == "good"
    assert scores["good"] < scores["bad"]
    assert sum(seen.sizes) == 2 * 300

    seen.sizes.clear()
    monkeypatch.setattr(training.train, "MAX_CV_ROWS", 100)
    select_candidate(train, reference, candidates=("good",), random_state=0)
    assert sum(seen.sizes) // 2 <= 100


def test_evidence_table_counts_every_funded_project(scorer: Scorer, reference: Reference) -> None:
    history, _ = load_history(DATA / "history.csv", reference)
    rows = history.head(300)
    table = evidence_table(rows, scorer)
    counts = rows["project_type_id"].value_counts()
    assert set(table) == set(counts.index)
    for ptype, n in counts.items():
        assert table[ptype]["match"] + table[ptype]["no_match"] == n


def test_the_version_learns_income_and_reports_it(trained: Trained, reference: Reference) -> None:
    registry = Registry(trained.root)
    manifest = registry.manifest(trained.result.version)
    assert manifest["income"]["has_income"] is True
    assert manifest["income"]["n_income_rows"] >= 200
    assert manifest["income"]["intervals"] is True
    report = trained.result.metrics["income"]
    assert len(report["by_decile"]) == 10
    assert 0.2 < report["sigma_log"] < 0.8
    # the income truth of generated worlds rises with the survival logit: the
    # top decile of predicted income must earn more than the bottom one
    assert (
        report["by_decile"][-1]["mean_observed_mad"] > report["by_decile"][0]["mean_observed_mad"]
    )
    card = (trained.root / trained.result.version / "report.md").read_text(encoding="utf-8")
    assert "## Income and livelihood" in card
    assert "Calibration by decile of predicted income" in card
    interval = trained.result.metrics["world"]["interval"]
    assert interval["n_pairs"] == trained.result.metrics["world"]["n_pairs"]
    # a 600-row history: wide intervals that hold most true probabilities
    assert 0.7 <= interval["coverage"] <= 1.0
    assert "## How sure: score intervals" in card
    assert f"| all pairs | {interval['n_pairs']:,} |" in card
    scorer = Scorer.load(registry, trained.result.version, reference=reference)
    assert scorer.has_income
    assert scorer.resolve_objective(None) == "livelihood"


def test_a_history_with_few_incomes_gives_a_version_without_income(
    tmp_path: Path, reference: Reference
) -> None:
    from matcher.errors import ObjectiveUnavailableError

    world = generate_world(reference, n_history=600, n_cohort=5, seed=22)
    history = world.history.copy()
    keep = np.flatnonzero(history["monthly_income_mad"].notna().to_numpy())[:150]
    income = history["monthly_income_mad"].astype("Float64")
    history["monthly_income_mad"] = income.where(np.isin(np.arange(len(history)), keep))
    path = tmp_path / "history.csv"
    history.to_csv(path, index=False)
    registry = Registry(tmp_path / "models")
    result = train_model(path, reference=reference, registry=registry, candidates=("logit",))
    manifest = registry.manifest(result.version)
    assert manifest["income"]["has_income"] is False
    assert "no income part" in manifest["income"]["note"]
    assert "income" not in result.metrics
    card = (tmp_path / "models" / result.version / "report.md").read_text(encoding="utf-8")
    assert "This version has **no income part**" in card
    scorer = Scorer.load(registry, result.version, reference=reference)
    assert not scorer.has_income
    assert scorer.resolve_objective(None) == "survival"
    with pytest.raises(ObjectiveUnavailableError, match="no income part"):
        scorer.resolve_objective("livelihood")
    estimates = scorer.estimate_pairs(history.head(20), livelihood_mad=3000)
    assert np.isnan(estimates.livelihood).all()
    assert np.all(estimates.score_low <= estimates.score)
    assert np.all(estimates.score <= estimates.score_high)
