"""Evaluation metrics against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import ndcg_score, roc_auc_score

from training.metrics import (
    HIGHER_IS_BETTER,
    OUTCOME_METRICS,
    brier,
    calibration_curve,
    expected_calibration_error,
    fast_roc_auc,
    logloss,
    ndcg_at_k,
    roc_auc,
    top1_truth,
)

Y4 = [0, 1, 1, 0]
S4 = [0.1, 0.4, 0.8, 0.9]


def test_ece_four_points_one_per_bin() -> None:
    # bins of width 0.1: each point alone; |0.1-0| + |0.4-1| + |0.8-1| + |0.9-0| = 1.8
    assert expected_calibration_error(Y4, S4) == pytest.approx(1.8 / 4)


def test_ece_four_points_two_bins() -> None:
    # [0, 0.5): scores 0.1, 0.4 (mean 0.25) vs truth 0, 1 (mean 0.5): 2 x 0.25
    # [0.5, 1]: scores 0.8, 0.9 (mean 0.85) vs truth 1, 0 (mean 0.5): 2 x 0.35
    assert expected_calibration_error(Y4, S4, n_bins=2) == pytest.approx((0.5 + 0.7) / 4)


def test_ece_accepts_true_probabilities_and_puts_one_in_the_last_bin() -> None:
    assert expected_calibration_error([0.3, 0.7, 1.0], [0.3, 0.7, 1.0]) == pytest.approx(0)
    # score 1.0 shares the last bin with 0.95: mean score 0.975, mean truth 0.5
    assert expected_calibration_error([0, 1], [0.95, 1.0]) == pytest.approx(0.475)
    assert math.isnan(expected_calibration_error([], []))


def test_ndcg_three_items_by_hand() -> None:
    scores = [0.9, 0.5, 0.1]
    gains = [0.2, 0.6, 0.4]
    # ranked by score the gains come 0.2, 0.6, 0.4; ideally 0.6, 0.4, 0.2
    dcg3 = 0.2 / math.log2(2) + 0.6 / math.log2(3) + 0.4 / math.log2(4)
    idcg3 = 0.6 / math.log2(2) + 0.4 / math.log2(3) + 0.2 / math.log2(4)
    assert dcg3 / idcg3 == pytest.approx(0.8174940, abs=1e-6)
    assert ndcg_at_k(["a"] * 3, scores, gains, top_k=3) == pytest.approx(dcg3 / idcg3)
    dcg2 = 0.2 + 0.6 / math.log2(3)
    idcg2 = 0.6 + 0.4 / math.log2(3)
    assert ndcg_at_k(["a"] * 3, scores, gains, top_k=2) == pytest.approx(dcg2 / idcg2)
    assert ndcg_at_k(["a"] * 3, scores, gains, top_k=1) == pytest.approx(0.2 / 0.6)


def test_ndcg_is_the_mean_over_groups() -> None:
    groups = ["a", "a", "a", "b", "b", "b"]
    scores = [0.9, 0.5, 0.1, 0.3, 0.2, 0.1]
    gains = [0.2, 0.6, 0.4, 0.9, 0.5, 0.1]
    expected = (0.8174940 + 1.0) / 2
    assert ndcg_at_k(groups, scores, gains, top_k=3) == pytest.approx(expected, abs=1e-6)


def test_ndcg_matches_sklearn_without_ties() -> None:
    rng = np.random.default_rng(0)
    gains = rng.random((20, 8))
    scores = rng.random((20, 8))
    groups = np.repeat(np.arange(20), 8)
    ours = ndcg_at_k(groups, scores.ravel(), gains.ravel(), top_k=5)
    assert ours == pytest.approx(ndcg_score(gains, scores, k=5))


def test_ndcg_skips_groups_without_gain() -> None:
    assert math.isnan(ndcg_at_k(["a", "a"], [0.5, 0.4], [0.0, 0.0]))
    assert ndcg_at_k(["a", "a", "b"], [0.5, 0.4, 0.3], [0.0, 0.0, 1.0]) == pytest.approx(1.0)


def test_top1_truth_by_hand() -> None:
    groups = ["a", "a", "b", "b"]
    scores = [0.9, 0.1, 0.2, 0.8]
    gains = [0.3, 0.7, 0.6, 0.5]
    chosen, best = top1_truth(groups, scores, gains)
    assert chosen == pytest.approx((0.3 + 0.5) / 2)
    assert best == pytest.approx((0.7 + 0.6) / 2)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fast_roc_auc_equals_sklearn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 500)
    s = rng.random(500)
    assert fast_roc_auc(y, s) == pytest.approx(roc_auc_score(y, s), abs=1e-12)
    tied = np.round(s, 1)
    assert fast_roc_auc(y, tied) == pytest.approx(roc_auc_score(y, tied), abs=1e-12)
    assert roc_auc(y, s) == pytest.approx(roc_auc_score(y, s))


def test_auc_is_nan_with_a_single_class() -> None:
    assert math.isnan(fast_roc_auc([1, 1, 1], [0.2, 0.5, 0.9]))
    assert math.isnan(roc_auc([0, 0], [0.2, 0.5]))


def test_log_loss_and_brier_by_hand() -> None:
    y, s = [1, 0], [0.8, 0.3]
    assert brier(y, s) == pytest.approx((0.2**2 + 0.3**2) / 2)
    assert logloss(y, s) == pytest.approx(-(math.log(0.8) + math.log(0.7)) / 2)
    # scores are clipped away from 0 and 1, so a confident mistake stays finite
    assert math.isfinite(logloss([1], [0.0]))


def test_shapes_must_agree() -> None:
    with pytest.raises(ValueError, match="shapes differ"):
        brier([0, 1, 1], [0.5, 0.5])


def test_calibration_curve_by_hand() -> None:
    curve = calibration_curve(Y4, S4, n_bins=2)
    assert curve["bin"].tolist() == [0, 1]
    assert curve["n"].tolist() == [2, 2]
    assert curve["mean_score"].tolist() == pytest.approx([0.25, 0.85])
    assert curve["mean_truth"].tolist() == pytest.approx([0.5, 0.5])


def test_metric_catalogue_is_consistent() -> None:
    assert set(OUTCOME_METRICS) == set(HIGHER_IS_BETTER)
    assert HIGHER_IS_BETTER["roc_auc"] is True
    assert not any(v for k, v in HIGHER_IS_BETTER.items() if k != "roc_auc")
