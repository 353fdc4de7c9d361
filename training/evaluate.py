"""Honest evaluation: held-out outcomes, ground-truth rankings, baselines, fairness.

Two kinds of evidence:

* **held-out history** (later projects, unseen people): ROC AUC, log loss,
  Brier, calibration; by sex, age band and milieu with bootstrap intervals;
* **a cohort with ground truth** (synthetic worlds only): NDCG@5 against the
  best possible ranking, the true success of the top-1 against the best
  possible, calibration of the recommended scores against the true
  probabilities, next to two baselines (popularity by project type; a rule that
  ranks by training match), and the sector mix of the top 3 for women and men
  next to what the truth would recommend.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from matcher.contract import columns as c
from matcher.contract.eligibility import check_eligibility
from matcher.model.livelihood import DEFAULT_LIVELIHOOD_MAD
from matcher.model.scorer import Scorer
from matcher.reference import Reference
from training.fairness import pushed_sectors, stereotype_shift
from training.metrics import (
    OUTCOME_METRICS,
    brier,
    calibration_curve,
    expected_calibration_error,
    fast_roc_auc,
    ndcg_at_k,
    roc_auc,
    top1_truth,
)

AGE_BANDS: Final = (17, 29, 44, 120)
AGE_LABELS: Final = ("18-29", "30-44", "45+")
N_BOOT: Final = 200


def age_band(age: pd.Series) -> pd.Series:
    """Age bands used in the fairness tables."""
    return pd.cut(age.astype(float), bins=AGE_BANDS, labels=AGE_LABELS).astype("str")


def outcome_metrics(y: NDArray[np.float64], p: NDArray[np.float64]) -> dict[str, float]:
    """All outcome metrics on one set."""
    return {name: round(func(y, p), 5) for name, func in OUTCOME_METRICS.items()} | {
        "n": len(y),
        "observed_rate": round(float(np.mean(y)), 5) if len(y) else float("nan"),
        "mean_score": round(float(np.mean(p)), 5) if len(p) else float("nan"),
    }


def bootstrap_ci(
    values: pd.DataFrame,
    statistic: Callable[[pd.DataFrame], float],
    *,
    n_boot: int = N_BOOT,
    random_state: int = 0,
) -> tuple[float, float]:
    """95 % percentile bootstrap interval of ``statistic`` over rows."""
    rng = np.random.default_rng(random_state)
    n = len(values)
    if n < 5:
        return float("nan"), float("nan")
    stats = []
    columns = {col: values[col].to_numpy() for col in values.columns}
    for _ in range(n_boot):
        idx = rng.integers(0, n, n)
        sample = pd.DataFrame({col: arr[idx] for col, arr in columns.items()}, copy=False)
        stat = statistic(sample)
        if np.isfinite(stat):
            stats.append(stat)
    if not stats:
        return float("nan"), float("nan")
    lo, hi = np.percentile(stats, [2.5, 97.5])
    return round(float(lo), 4), round(float(hi), 4)


def groups_of(frame: pd.DataFrame) -> dict[str, pd.Series]:
    """The audit groupings (sex is audit-only, never a feature)."""
    return {
        "sex": frame[c.SEX].astype("str"),
        "age_band": age_band(frame[c.AGE]),
        "milieu": frame[c.MILIEU].astype("str"),
    }


def holdout_report(test: pd.DataFrame, scores: NDArray[np.float64]) -> dict[str, Any]:
    """Outcome metrics overall and by group, with bootstrap intervals."""
    y = test[c.ACTIVE_12M].to_numpy(dtype=np.float64)
    frame = pd.DataFrame({"y": y, "p": scores})
    report: dict[str, Any] = {
        "overall": outcome_metrics(y, scores),
        "calibration_curve": calibration_curve(y, scores).to_dict(orient="records"),
        "by_group": {},
    }
    for name, labels in groups_of(test).items():
        rows = []
        for label in sorted(labels.unique()):
            mask = (labels == label).to_numpy()
            sub = frame.loc[mask]
            rows.append(
                {
                    "group": label,
                    "n": int(mask.sum()),
                    "observed_rate": round(float(sub["y"].mean()), 4),
                    "mean_score": round(float(sub["p"].mean()), 4),
                    "roc_auc": round(roc_auc(sub["y"], sub["p"]), 4),
                    "roc_auc_ci": bootstrap_ci(
                        sub, lambda s: fast_roc_auc(s["y"].to_numpy(), s["p"].to_numpy())
                    ),
                    "brier": round(brier(sub["y"], sub["p"]), 4),
                    "brier_ci": bootstrap_ci(
                        sub,
                        lambda s: float(np.mean((s["p"].to_numpy() - s["y"].to_numpy()) ** 2)),
                    ),
                }
            )
        report["by_group"][name] = rows
    return report


def eligible_truth_pairs(
    cohort: pd.DataFrame, truth: pd.DataFrame, reference: Reference
) -> pd.DataFrame:
    """Cohort profiles joined to the true probability of every eligible type."""
    elig = check_eligibility(cohort, reference.project_types)
    rows, cols = np.nonzero(elig.eligible)
    pairs = cohort.iloc[rows].reset_index(drop=True)
    pairs[c.PROJECT_TYPE_ID] = pd.array(np.asarray(elig.project_type_ids, object)[cols], "str")
    key = truth.assign(p_true=pd.to_numeric(truth["p_active_12m"], errors="coerce"))[
        [c.BENEFICIARY_ID, c.PROJECT_TYPE_ID, "p_true"]
    ]
    merged = pairs.merge(key, on=[c.BENEFICIARY_ID, c.PROJECT_TYPE_ID], how="left")
    return merged.loc[merged["p_true"].notna()].reset_index(drop=True)


def popularity_scores(history: pd.DataFrame, pairs: pd.DataFrame) -> NDArray[np.float64]:
    """Baseline: the observed success rate of each project type (smoothed)."""
    prior = float(history[c.ACTIVE_12M].mean())
    stats = history.groupby(c.PROJECT_TYPE_ID)[c.ACTIVE_12M].agg(["sum", "count"])
    rate = (stats["sum"] + 10 * prior) / (stats["count"] + 10)
    out: NDArray[np.float64] = pairs[c.PROJECT_TYPE_ID].map(rate).fillna(prior).to_numpy(np.float64)
    return out


def training_rule_scores(features: pd.DataFrame) -> NDArray[np.float64]:
    """Baseline: rank by training, then experience, then preference (a counsellor's rule)."""
    raw = (
        2.0 * features["trained_in_trade"]
        + 1.0 * features["trained_in_sector"]
        + 0.5 * features["experience_trade_years"]
        + 1.0 * features["prefers_sector"]
    )
    return np.asarray(0.5 + 0.1 * raw.to_numpy(dtype=np.float64) / 5.0, dtype=np.float64)


def ranking_metrics(
    pairs: pd.DataFrame, scores: NDArray[np.float64], *, top_k: int = 5
) -> dict[str, float]:
    """NDCG@k, top-1 true success vs best, and calibration of the top-k."""
    groups = pairs[c.BENEFICIARY_ID].to_numpy()
    truth = pairs["p_true"].to_numpy(dtype=np.float64)
    chosen, best = top1_truth(groups, scores, truth)
    ranked = pairs.assign(_s=scores).sort_values(
        [c.BENEFICIARY_ID, "_s", c.PROJECT_TYPE_ID], ascending=[True, False, True]
    )
    top = ranked.groupby(c.BENEFICIARY_ID, sort=False).head(top_k)
    return {
        f"ndcg_at_{top_k}": round(ndcg_at_k(groups, scores, truth, top_k=top_k), 5),
        "top1_true_success": round(chosen, 5),
        "top1_best_possible": round(best, 5),
        "top1_ratio": round(chosen / best, 5) if best > 0 else float("nan"),
        f"ece_top{top_k}_vs_truth": round(
            expected_calibration_error(top["p_true"].to_numpy(), top["_s"].to_numpy()), 5
        ),
        f"mae_top{top_k}_vs_truth": round(float(np.mean(np.abs(top["_s"] - top["p_true"]))), 5),
    }


def sector_mix(pairs: pd.DataFrame, scores: NDArray[np.float64], *, top_n: int = 3) -> pd.DataFrame:
    """Share of each sector in the top ``top_n`` by sex."""
    ranked = pairs.assign(_s=scores).sort_values(
        [c.BENEFICIARY_ID, "_s", c.PROJECT_TYPE_ID], ascending=[True, False, True]
    )
    top = ranked.groupby(c.BENEFICIARY_ID, sort=False).head(top_n)
    table = pd.crosstab(top[c.SEX], top["_sector"], normalize="index")
    return table.round(4)


def world_report(
    pairs: pd.DataFrame,
    *,
    scorer: Scorer,
    history: pd.DataFrame,
    reference: Reference,
    top_k: int = 5,
) -> dict[str, Any]:
    """Ranking quality against the ground truth, baselines and the sector mix by sex."""
    scores = scorer.score_pairs(pairs)
    features = scorer.features(pairs)
    pairs = pairs.assign(
        _sector=reference.project_types["sector_id"].reindex(pairs[c.PROJECT_TYPE_ID]).to_numpy()
    )
    report: dict[str, Any] = {
        "n_beneficiaries": int(pairs[c.BENEFICIARY_ID].nunique()),
        "n_pairs": len(pairs),
        "model": ranking_metrics(pairs, scores, top_k=top_k),
        "baseline_popularity": ranking_metrics(
            pairs, popularity_scores(history, pairs), top_k=top_k
        ),
        "baseline_training_rule": ranking_metrics(
            pairs, training_rule_scores(features), top_k=top_k
        ),
        "oracle": ranking_metrics(pairs, pairs["p_true"].to_numpy(dtype=np.float64), top_k=top_k),
    }
    by_group: dict[str, list[dict[str, Any]]] = {}
    for name, labels in groups_of(pairs).items():
        rows = []
        for label in sorted(labels.unique()):
            mask = (labels == label).to_numpy()
            rows.append(
                {"group": label, **ranking_metrics(pairs.loc[mask], scores[mask], top_k=top_k)}
            )
        by_group[name] = rows
    report["by_group"] = by_group
    model_mix = sector_mix(pairs, scores)
    truth_mix = sector_mix(pairs, pairs["p_true"].to_numpy(dtype=np.float64))
    objective = scorer.resolve_objective(None)
    ranked_by = scorer.estimate_pairs(pairs, livelihood_mad=DEFAULT_LIVELIHOOD_MAD).value(objective)
    pushed = pushed_sectors(history, reference.project_types["sector_id"])
    shift = stereotype_shift(pairs, ranked_by, pushed=pushed)
    if shift is not None:
        report["stereotype_shift"] = {"objective": objective, **shift}
    report["sector_mix_top3"] = {
        "model": model_mix.to_dict(orient="index"),
        "truth": truth_mix.to_dict(orient="index"),
    }
    # The men's gap is reported beside the women's: a gap that both share comes from
    # the ranking in general, one that only women show would be steering.
    for sex, key in (("F", "women"), ("M", "men")):
        if sex in model_mix.index and sex in truth_mix.index:
            diff = (
                model_mix.loc[sex] - truth_mix.reindex(columns=model_mix.columns).loc[sex]
            ).abs()
            report[f"{key}_sector_mix_max_gap_points"] = round(float(diff.max()) * 100, 2)
    return report
