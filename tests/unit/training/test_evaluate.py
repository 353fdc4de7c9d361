"""Evaluation reports: held-out outcomes, ground-truth rankings and baselines."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from matcher.contract.eligibility import check_eligibility
from matcher.contract.profile_table import validate_profiles
from matcher.contract.tables import read_table
from matcher.model.scorer import Scorer
from matcher.reference import Reference
from training.evaluate import (
    age_band,
    bootstrap_ci,
    eligible_truth_pairs,
    holdout_report,
    outcome_metrics,
    popularity_scores,
    ranking_metrics,
    world_report,
)
from training.history import load_history
from training.metrics import fast_roc_auc

DATA = Path(__file__).resolve().parents[3] / "data_samples"


@pytest.fixture(scope="module")
def history(reference: Reference) -> pd.DataFrame:
    valid, _ = load_history(DATA / "history.csv", reference)
    return valid


@pytest.fixture(scope="module")
def pairs(reference: Reference) -> pd.DataFrame:
    cohort, _ = validate_profiles(read_table(DATA / "cohort.csv"), reference)
    return eligible_truth_pairs(cohort, read_table(DATA / "cohort_truth.csv"), reference)


@pytest.fixture(scope="module")
def report(
    pairs: pd.DataFrame, scorer: Scorer, history: pd.DataFrame, reference: Reference
) -> dict[str, object]:
    return world_report(pairs, scorer=scorer, history=history, reference=reference)


def test_world_report_has_every_section(report: dict[str, object], pairs: pd.DataFrame) -> None:
    assert set(report) >= {
        "n_beneficiaries",
        "n_pairs",
        "model",
        "baseline_popularity",
        "baseline_training_rule",
        "oracle",
        "by_group",
        "sector_mix_top3",
        "women_sector_mix_max_gap_points",
        "men_sector_mix_max_gap_points",
    }
    mix = report["sector_mix_top3"]
    for sex, key in (("F", "women"), ("M", "men")):
        gaps = [
            abs(mix["model"][sex].get(sector, 0.0) - share)  # type: ignore[index]
            for sector, share in mix["truth"][sex].items()  # type: ignore[index]
        ]
        assert report[f"{key}_sector_mix_max_gap_points"] == pytest.approx(
            100 * max(gaps), abs=0.02
        )
    assert report["n_pairs"] == len(pairs)
    assert report["n_beneficiaries"] == pairs["beneficiary_id"].nunique()
    keys = {
        "ndcg_at_5",
        "top1_true_success",
        "top1_best_possible",
        "top1_ratio",
        "ece_top5_vs_truth",
        "mae_top5_vs_truth",
    }
    for name in ("model", "baseline_popularity", "baseline_training_rule", "oracle"):
        assert set(report[name]) == keys, name  # type: ignore[call-overload]
    assert set(report["by_group"]) == {"sex", "age_band", "milieu"}  # type: ignore[call-overload]
    assert set(report["sector_mix_top3"]) == {"model", "truth"}  # type: ignore[call-overload]


def test_model_beats_both_baselines_on_the_shipped_world(report: dict[str, object]) -> None:
    model = report["model"]
    oracle = report["oracle"]
    assert oracle["ndcg_at_5"] == pytest.approx(1.0)  # type: ignore[index]
    assert oracle["top1_ratio"] == pytest.approx(1.0)  # type: ignore[index]
    for baseline in ("baseline_popularity", "baseline_training_rule"):
        other = report[baseline]
        assert model["ndcg_at_5"] > other["ndcg_at_5"], baseline  # type: ignore[index]
        assert model["top1_true_success"] > other["top1_true_success"], baseline  # type: ignore[index]
        assert model["ece_top5_vs_truth"] < other["ece_top5_vs_truth"], baseline  # type: ignore[index]
    assert model["top1_true_success"] <= model["top1_best_possible"]  # type: ignore[index]


def test_eligible_truth_pairs_are_eligible_and_carry_the_truth(
    pairs: pd.DataFrame, reference: Reference
) -> None:
    elig = check_eligibility(pairs, reference.project_types)
    col = {t: j for j, t in enumerate(elig.project_type_ids)}
    assert all(elig.eligible[i, col[t]] for i, t in enumerate(pairs["project_type_id"].astype(str)))
    assert pairs["p_true"].between(0, 1).all()
    assert not pairs.duplicated(["beneficiary_id", "project_type_id"]).any()


def test_holdout_report_shape(
    scorer: Scorer, history: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(bootstrap_ci.__kwdefaults__, "n_boot", 40)
    test = history.tail(400).reset_index(drop=True)
    scores = scorer.score_pairs(test)
    out = holdout_report(test, scores)
    overall = out["overall"]
    assert overall["n"] == 400
    assert overall["observed_rate"] == pytest.approx(test["active_12m"].mean(), abs=1e-5)
    assert set(out["by_group"]) == {"sex", "age_band", "milieu"}
    for rows in out["by_group"].values():
        assert sum(r["n"] for r in rows) == 400
        for r in rows:
            lo, hi = r["roc_auc_ci"]
            if r["n"] >= 30:
                assert lo <= r["roc_auc"] <= hi
    assert sum(b["n"] for b in out["calibration_curve"]) == 400


def test_outcome_metrics_by_hand() -> None:
    y = np.array([1.0, 0.0, 1.0, 1.0])
    p = np.array([0.9, 0.2, 0.6, 0.4])
    out = outcome_metrics(y, p)
    assert out["n"] == 4
    assert out["observed_rate"] == pytest.approx(0.75)
    assert out["mean_score"] == pytest.approx(0.525)
    assert out["roc_auc"] == pytest.approx(1.0)
    assert out["brier"] == pytest.approx((0.01 + 0.04 + 0.16 + 0.36) / 4)


def test_bootstrap_ci_is_seeded_and_covers_the_estimate() -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"y": rng.integers(0, 2, 300), "p": rng.random(300)})
    frame["p"] = np.clip(frame["p"] * 0.5 + frame["y"] * 0.4, 0, 1)

    def stat(s: pd.DataFrame) -> float:
        return fast_roc_auc(s["y"].to_numpy(), s["p"].to_numpy())

    lo, hi = bootstrap_ci(frame, stat, n_boot=100, random_state=1)
    assert (lo, hi) == bootstrap_ci(frame, stat, n_boot=100, random_state=1)
    assert lo < stat(frame) < hi
    assert all(math.isnan(v) for v in bootstrap_ci(frame.head(4), stat))


def test_age_bands() -> None:
    ages = pd.Series([18, 29, 30, 44, 45, 75])
    assert age_band(ages).tolist() == ["18-29", "18-29", "30-44", "30-44", "45+", "45+"]


def test_popularity_baseline_by_hand() -> None:
    history = pd.DataFrame({"project_type_id": ["a", "a", "a", "b"], "active_12m": [1, 1, 0, 0]})
    pairs = pd.DataFrame({"project_type_id": ["a", "b", "c"]})
    prior = 0.5
    expected = [(2 + 10 * prior) / 13, (0 + 10 * prior) / 11, prior]
    assert popularity_scores(history, pairs).tolist() == pytest.approx(expected)


def test_ranking_metrics_of_the_truth_itself_is_perfect() -> None:
    pairs = pd.DataFrame(
        {
            "beneficiary_id": ["x", "x", "x", "y", "y"],
            "project_type_id": ["a", "b", "c", "a", "b"],
            "p_true": [0.2, 0.7, 0.5, 0.9, 0.1],
        }
    )
    out = ranking_metrics(pairs, pairs["p_true"].to_numpy(), top_k=2)
    assert out["ndcg_at_2"] == pytest.approx(1.0)
    assert out["top1_ratio"] == pytest.approx(1.0)
    assert out["ece_top2_vs_truth"] == pytest.approx(0.0)
    reversed_ = ranking_metrics(pairs, -pairs["p_true"].to_numpy(), top_k=2)
    assert reversed_["top1_true_success"] == pytest.approx((0.2 + 0.1) / 2)
