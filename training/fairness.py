"""Stereotype shift: is the model steering women to the sectors they were pushed into.

The women's sector mix alone mixes estimation noise with steering. The *stereotype
shift* compares like with like: for each person, how much more of their top 3 lies in
the *pushed sectors* (those over-represented among the women of the history) when
ranked by the model than when ranked by the truth; then the women's mean minus the
men's. Noise that moves everybody's top 3 cancels out; a model that reads sex, or a
proxy of it, does not. A percentile bootstrap over people (within each sex) gives the
interval; the audit warns only when the whole interval lies above zero.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from matcher.contract import columns as c

TOP_N: Final = 3
N_BOOT: Final = 400
LEVEL: Final = 0.95
PUSHED_MIN_POINTS: Final = 5.0
"""A sector is *pushed* when women's share of the history's projects exceeds men's by this."""


def pushed_sectors(history: pd.DataFrame, type_sector: pd.Series) -> list[str]:
    """Sectors over-represented among the women of the history (by >= 5 points)."""
    sector = history[c.PROJECT_TYPE_ID].map(type_sector)
    mix = pd.crosstab(history[c.SEX], sector, normalize="index")
    if "F" not in mix.index or "M" not in mix.index:
        return []
    gap = (mix.loc["F"] - mix.loc["M"]) * 100
    return sorted(str(s) for s in gap.index[gap >= PUSHED_MIN_POINTS])


def _top_shares(pairs: pd.DataFrame, scores: NDArray[np.float64], sectors: list[str]) -> Any:
    """Per person: share of their top ``TOP_N`` in each sector (people x sectors)."""
    ranked = pairs.assign(_s=scores).sort_values(
        [c.BENEFICIARY_ID, "_s", c.PROJECT_TYPE_ID], ascending=[True, False, True]
    )
    top = ranked.groupby(c.BENEFICIARY_ID, sort=True).head(TOP_N)
    counts = pd.crosstab(top[c.BENEFICIARY_ID], top["_sector"]).reindex(
        columns=sectors, fill_value=0
    )
    return counts.div(counts.sum(axis=1), axis=0)


def _interval(values: NDArray[np.float64]) -> list[float]:
    tail = (1 - LEVEL) / 2 * 100
    return [
        round(float(np.percentile(values, tail)), 2),
        round(float(np.percentile(values, 100 - tail)), 2),
    ]


def stereotype_shift(
    pairs: pd.DataFrame,
    scores: NDArray[np.float64],
    *,
    pushed: list[str],
    seed: int = 0,
) -> dict[str, Any] | None:
    """The stereotype shift (points) with its bootstrap interval, and each group's sector gaps.

    Parameters
    ----------
    pairs : pandas.DataFrame
        Eligible pairs with ``beneficiary_id``, ``sex``, ``project_type_id``,
        ``_sector`` and ``p_true``.
    scores : ndarray
        The model's value of each pair (what it ranks by).
    pushed : list of str
        The sectors the history pushed women into.

    Returns
    -------
    dict or None
        ``None`` when there are no pushed sectors or one sex is missing.
    """
    sectors = sorted({str(s) for s in pairs["_sector"].unique()})
    if not pushed or not set(pushed) & set(sectors):
        return None
    model = _top_shares(pairs, scores, sectors)
    truth = _top_shares(pairs, pairs["p_true"].to_numpy(dtype=np.float64), sectors)
    diff = (model - truth.reindex(model.index)).fillna(0.0) * 100
    sex = pairs.groupby(c.BENEFICIARY_ID, sort=True)[c.SEX].first().reindex(diff.index)
    towards = diff[[s for s in pushed if s in sectors]].sum(axis=1).to_numpy()
    women, men = np.flatnonzero(sex.to_numpy() == "F"), np.flatnonzero(sex.to_numpy() == "M")
    if len(women) == 0 or len(men) == 0:
        return None
    rng = np.random.default_rng(seed)
    w_idx = women[rng.integers(0, len(women), (N_BOOT, len(women)))]
    m_idx = men[rng.integers(0, len(men), (N_BOOT, len(men)))]
    boot = towards[w_idx].mean(axis=1) - towards[m_idx].mean(axis=1)
    shift = float(towards[women].mean() - towards[men].mean())
    interval = _interval(boot)
    gaps: dict[str, dict[str, Any]] = {}
    values = diff.to_numpy()
    for label, idx, boot_idx in (("F", women, w_idx), ("M", men, m_idx)):
        means = values[boot_idx].mean(axis=1)
        gaps[label] = {
            sector: {
                "gap_points": round(float(values[idx, k].mean()), 2),
                "interval": _interval(means[:, k]),
            }
            for k, sector in enumerate(sectors)
        }
    return {
        "pushed_sectors": pushed,
        "shift_points": round(shift, 2),
        "interval": interval,
        "level": LEVEL,
        "n_women": len(women),
        "n_men": len(men),
        "steering": bool(interval[0] > 0),
        "sector_gaps": gaps,
    }


__all__ = ["pushed_sectors", "stereotype_shift"]
