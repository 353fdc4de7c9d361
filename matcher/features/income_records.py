"""Income records: how much the active businesses of a type or market earned.

The *income record* of a project type (of a region x sector market) is how much
more or less than comparable people the active businesses of that type (that
market) earned at 12 months: the type and sector (market) effects of a ridge
regression of log ``monthly_income_mad`` on the standardised pair features plus
type, sector and market dummies. :class:`~matcher.features.builder.PairFeatureBuilder`
fits them from the active projects of its training rows and serves them as the
``type_income_record`` and ``market_income_record`` features. Every function is
pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.linear_model import Ridge

from matcher.contract import columns as c
from matcher.features.id_positions import Lookup, factorize

MIN_INCOME_ROWS: Final = 50
"""Fewer active projects with an income than this: no income records are learned."""

INCOME_RIDGE_ALPHA: Final = 4.0
"""Ridge penalty of the income regression (log MAD; residual sd is about 0.45)."""

RECORD_LEVELS: Final[tuple[str, ...]] = ("project_type", "sector", "region_sector")
"""Categorical features whose dummies enter the regression, in column order."""


@dataclass(frozen=True)
class IncomeRecords:
    """The fitted records (the builder's ``type_income_`` and ``market_income_*_``).

    Attributes
    ----------
    type_income : ndarray of float
        Record of each project type: its type effect plus its sector's effect.
    market_keys : list of str
        ``region|sector`` markets seen among the active projects.
    market_values : ndarray of float
        Their records.
    """

    type_income: NDArray[np.float64]
    market_keys: list[str]
    market_values: NDArray[np.float64]


def reported_incomes(X: pd.DataFrame) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
    """Positions and incomes of the rows of ``X`` with a positive income.

    Both are empty when ``X`` has no ``monthly_income_mad`` column; text,
    missing, zero and negative incomes do not count.
    """
    if c.MONTHLY_INCOME_MAD not in X.columns:
        return np.zeros(0, dtype=np.intp), np.zeros(0)
    income = pd.to_numeric(X[c.MONTHLY_INCOME_MAD], errors="coerce").to_numpy(np.float64)
    rows = np.flatnonzero(np.isfinite(income) & (income > 0))
    return rows, income[rows]


def fit_income_records(
    features: pd.DataFrame,
    income: NDArray[np.float64],
    *,
    numeric: Sequence[str],
    project_type_ids: Sequence[str],
    type_sector_ids: Sequence[str],
) -> IncomeRecords:
    """Ridge of log income on the pair features plus type, sector and market dummies.

    Parameters
    ----------
    features : pandas.DataFrame
        Feature frame of the active projects (income records still 0).
    income : ndarray of float
        Their positive monthly incomes (MAD).
    numeric : sequence of str
        Numeric feature columns to adjust for (missing values get the median,
        then 0; each column is standardised).
    project_type_ids, type_sector_ids : sequence of str
        The catalogue's project types and the sector of each.
    """
    block = features[list(numeric)]
    values = block.fillna(block.median()).fillna(0.0).to_numpy(np.float64)
    spread = values.std(axis=0)
    values = (values - values.mean(axis=0)) / np.where(spread > 0, spread, 1.0)
    blocks, levels = [values], {}
    for name in RECORD_LEVELS:
        codes, uniques = factorize(features[name].to_numpy(dtype=object, na_value=""))
        blocks.append(np.eye(len(uniques))[codes])
        levels[name] = [str(u) for u in uniques]
    ridge = Ridge(alpha=INCOME_RIDGE_ALPHA).fit(np.hstack(blocks), np.log(income))
    coef = np.asarray(ridge.coef_, dtype=np.float64)
    effects, start = {}, values.shape[1]
    for name, uniques in levels.items():
        effects[name] = dict(zip(uniques, coef[start : start + len(uniques)], strict=True))
        start += len(uniques)
    type_income = np.array(
        [
            effects["project_type"].get(t, 0.0) + effects["sector"].get(s, 0.0)
            for t, s in zip(project_type_ids, type_sector_ids, strict=True)
        ]
    )
    markets = effects["region_sector"]
    return IncomeRecords(type_income, list(markets), np.array(list(markets.values())))


def market_income(
    keys: Lookup, values: NDArray[np.float64], market: NDArray[Any]
) -> NDArray[np.float64]:
    """The record of each ``region|sector`` market (0 for a market without one)."""
    pos = keys.positions(market)
    padded = np.append(values, 0.0)
    return np.asarray(padded[pos], dtype=np.float64)  # -1 (unknown market) reads the 0
