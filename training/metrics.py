"""Evaluation metrics, by name (the names stored in manifests and model cards)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy.stats import rankdata
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score


def _arrays(
    y_true: ArrayLike, y_score: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    t = np.asarray(y_true, dtype=np.float64)
    s = np.clip(np.asarray(y_score, dtype=np.float64), 1e-6, 1 - 1e-6)
    if t.shape != s.shape:
        raise ValueError(f"shapes differ: {t.shape} vs {s.shape}")
    return t, s


def roc_auc(y_true: ArrayLike, y_score: ArrayLike) -> float:
    """Area under the ROC curve (nan when one class only)."""
    t, s = _arrays(y_true, y_score)
    if len(np.unique(t)) < 2:
        return float("nan")
    return float(roc_auc_score(t, s))


def fast_roc_auc(y_true: ArrayLike, y_score: ArrayLike) -> float:
    """ROC AUC by the Mann-Whitney rank formula (ties averaged); for bootstraps."""
    t = np.asarray(y_true, dtype=np.float64)
    s = np.asarray(y_score, dtype=np.float64)
    n_pos = float(t.sum())
    n_neg = float(len(t) - n_pos)
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(s)
    return float((ranks[t == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def logloss(y_true: ArrayLike, y_score: ArrayLike) -> float:
    """Mean binary log loss."""
    t, s = _arrays(y_true, y_score)
    return float(log_loss(t, s, labels=[0, 1]))


def brier(y_true: ArrayLike, y_score: ArrayLike) -> float:
    """Brier score (mean squared error of the probability)."""
    t, s = _arrays(y_true, y_score)
    return float(brier_score_loss(t, s))


def expected_calibration_error(y_true: ArrayLike, y_score: ArrayLike, *, n_bins: int = 10) -> float:
    """ECE over ``n_bins`` equal-width score bins, weighted by bin size.

    ``y_true`` may be outcomes (0/1) or true probabilities: each bin compares its
    mean score with its mean truth.
    """
    t = np.asarray(y_true, dtype=np.float64)
    s = np.asarray(y_score, dtype=np.float64)
    if len(t) == 0:
        return float("nan")
    bins = np.clip((s * n_bins).astype(int), 0, n_bins - 1)
    total = 0.0
    for b in range(n_bins):
        mask = bins == b
        if mask.any():
            total += mask.sum() * abs(s[mask].mean() - t[mask].mean())
    return float(total / len(t))


def calibration_curve(y_true: ArrayLike, y_score: ArrayLike, *, n_bins: int = 10) -> pd.DataFrame:
    """Per equal-width bin: count, mean score, mean truth."""
    t = np.asarray(y_true, dtype=np.float64)
    s = np.asarray(y_score, dtype=np.float64)
    bins = np.clip((s * n_bins).astype(int), 0, n_bins - 1)
    frame = pd.DataFrame({"bin": bins, "score": s, "truth": t})
    out = frame.groupby("bin").agg(
        n=("score", "size"), mean_score=("score", "mean"), mean_truth=("truth", "mean")
    )
    return out.reset_index()


def ndcg_at_k(groups: ArrayLike, y_score: ArrayLike, gains: ArrayLike, *, top_k: int = 5) -> float:
    """Mean NDCG@k over groups, the ideal ranking being by descending gain.

    Parameters
    ----------
    groups : array-like
        Group (beneficiary) of each item.
    y_score : array-like
        The model's scores (ranking, ties broken by position).
    gains : array-like
        The true relevance of each item (here the true success probability).
    """
    frame = pd.DataFrame(
        {"g": np.asarray(groups), "s": np.asarray(y_score, float), "r": np.asarray(gains, float)}
    )
    discounts = 1.0 / np.log2(np.arange(2, top_k + 2))
    values = []
    for _, grp in frame.groupby("g", sort=False):
        r = grp["r"].to_numpy()
        by_score = r[np.argsort(-grp["s"].to_numpy(), kind="stable")][:top_k]
        ideal = np.sort(r)[::-1][:top_k]
        idcg = float((ideal * discounts[: len(ideal)]).sum())
        if idcg > 0:
            values.append(float((by_score * discounts[: len(by_score)]).sum()) / idcg)
    return float(np.mean(values)) if values else float("nan")


def top1_truth(groups: ArrayLike, y_score: ArrayLike, gains: ArrayLike) -> tuple[float, float]:
    """Mean true success of each group's top-1 by score, and of the best possible."""
    frame = pd.DataFrame(
        {"g": np.asarray(groups), "s": np.asarray(y_score, float), "r": np.asarray(gains, float)}
    )
    idx = frame.groupby("g", sort=False)["s"].idxmax()
    chosen = float(frame.loc[idx, "r"].mean())
    best = float(frame.groupby("g", sort=False)["r"].max().mean())
    return chosen, best


OUTCOME_METRICS: Final[dict[str, Callable[[ArrayLike, ArrayLike], float]]] = {
    "roc_auc": roc_auc,
    "log_loss": logloss,
    "brier": brier,
    "ece": expected_calibration_error,
}
"""Metrics against observed outcomes (held-out history)."""

HIGHER_IS_BETTER: Final[dict[str, bool]] = {
    "roc_auc": True,
    "log_loss": False,
    "brier": False,
    "ece": False,
}
