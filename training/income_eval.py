"""How well a version's income part predicts the income of active projects.

Measured on held-out rows that were active at 12 months and report a positive
``monthly_income_mad``: the error of log income, the error of the expected
income in MAD, the share of incomes inside the 80 % predictive interval, and
calibration by decile of the predicted expected income (mean predicted against
mean observed in each tenth). On a generated world, :func:`interval_coverage`
measures how often the 90 % score interval holds the true survival probability.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.special import ndtri

from matcher.contract import columns as c
from matcher.model.livelihood import expected_income
from matcher.model.scorer import Scorer
from matcher.service import evidence_count, evidence_level

N_DECILES: Final = 10
PREDICTIVE_LEVEL: Final = 0.8


def income_column(frame: pd.DataFrame) -> NDArray[np.float64]:
    """``monthly_income_mad`` as floats (NaN when missing or absent)."""
    if c.MONTHLY_INCOME_MAD not in frame.columns:
        return np.full(len(frame), np.nan)
    values = pd.to_numeric(frame[c.MONTHLY_INCOME_MAD], errors="coerce")
    out: NDArray[np.float64] = values.to_numpy(dtype=np.float64, na_value=np.nan)
    return out


def n_income_rows(frame: pd.DataFrame) -> int:
    """Active rows with a positive income (what the income part learns from)."""
    income = income_column(frame)
    active = frame[c.ACTIVE_12M].to_numpy() == 1
    return int((active & np.isfinite(income) & (income > 0)).sum())


def interval_coverage(pairs: pd.DataFrame, scorer: Scorer) -> dict[str, Any] | None:
    """Share of pairs whose true survival probability (``p_true``) lies in the 90 % interval.

    Overall and by evidence level (funded projects of the type and skill match);
    ``None`` for a version without intervals.
    """
    est = scorer.estimate_pairs(pairs, livelihood_mad=0.0)
    if len(pairs) == 0 or np.isnan(est.score_low).all():
        return None
    truth = pairs["p_true"].to_numpy(dtype=np.float64)
    inside = (est.score_low <= truth) & (truth <= est.score_high)
    width = est.score_high - est.score_low
    levels = np.array(
        [evidence_level(int(n)) for n in evidence_count(scorer, scorer.feature_columns(pairs))]
    )
    return {
        "n_pairs": len(pairs),
        "coverage": round(float(inside.mean()), 4),
        "mean_width": round(float(width.mean()), 4),
        "by_evidence": {
            str(level): {
                "n": int((levels == level).sum()),
                "coverage": round(float(inside[levels == level].mean()), 4),
                "mean_width": round(float(width[levels == level].mean()), 4),
            }
            for level in ("thin", "moderate", "solid")
            if (levels == level).any()
        },
    }


def income_report(
    test: pd.DataFrame, mu: NDArray[np.float64], sigma: float
) -> dict[str, Any] | None:
    """Error and calibration by decile of the income part on held-out active rows.

    Parameters
    ----------
    test : pandas.DataFrame
        Held-out history rows.
    mu : ndarray
        Predicted mean log income of each row of ``test``.
    sigma : float
        The residual spread of log income.

    Returns
    -------
    dict or None
        ``None`` when no held-out row is active with an income.
    """
    income = income_column(test)
    rows = (test[c.ACTIVE_12M].to_numpy() == 1) & np.isfinite(income) & (income > 0)
    if rows.sum() < N_DECILES:
        return None
    y, m = income[rows], mu[rows]
    predicted = expected_income(m, sigma)
    half = float(ndtri(0.5 + PREDICTIVE_LEVEL / 2)) * sigma
    inside = (np.log(y) >= m - half) & (np.log(y) <= m + half)
    deciles = pd.qcut(pd.Series(predicted).rank(method="first"), N_DECILES, labels=False)
    by_decile = [
        {
            "decile": int(d) + 1,
            "n": int((deciles == d).sum()),
            "mean_predicted_mad": round(float(predicted[deciles == d].mean()), 1),
            "mean_observed_mad": round(float(y[deciles == d].mean()), 1),
            "ratio": round(float(y[deciles == d].mean() / predicted[deciles == d].mean()), 4),
        }
        for d in range(N_DECILES)
    ]
    return {
        "n_rows": int(rows.sum()),
        "sigma_log": round(sigma, 4),
        "mae_log": round(float(np.mean(np.abs(np.log(y) - m))), 4),
        "rmse_log": round(float(np.sqrt(np.mean((np.log(y) - m) ** 2))), 4),
        "mae_mad": round(float(np.mean(np.abs(y - predicted))), 1),
        "median_ape": round(float(np.median(np.abs(y - predicted) / y)), 4),
        "r2_log": round(
            float(1 - np.sum((np.log(y) - m) ** 2) / np.sum((np.log(y) - np.log(y).mean()) ** 2)),
            4,
        ),
        "coverage_80": round(float(inside.mean()), 4),
        "by_decile": by_decile,
    }


__all__ = ["income_column", "income_report", "interval_coverage", "n_income_rows"]
