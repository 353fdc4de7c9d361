"""How well a version's income part predicts the income of active projects.

Measured on held-out rows that were active at 12 months and report a positive
``monthly_income_mad``: the error of log income, the error of the expected
income in MAD, the share of incomes inside the 80 % predictive interval, and
calibration by decile of the predicted expected income (mean predicted against
mean observed in each tenth).
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.special import ndtri

from matcher.contract import columns as c
from matcher.model.livelihood import expected_income

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


__all__ = ["income_column", "income_report", "n_income_rows"]
