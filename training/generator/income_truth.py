"""The income truth of a generated world, and the true livelihood of each cohort pair.

In :func:`~training.generator.world.generate_world` the net monthly income of an
active business is lognormal: ``log income ~ N(log 3000 + 0.3 (logit - m), 0.45)``,
where ``logit`` is the pair's true survival logit and ``m`` the mean logit of the
funded history. So every eligible cohort pair has a known log-mean income, a known
expected income if active, and a known livelihood probability.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.special import logit as to_logit
from scipy.special import ndtr

from training.generator.world import (
    INCOME_MEDIAN,
    INCOME_SIGMA,
    INCOME_TRUTH_SLOPE,
    TRUTH_COLUMN,
    World,
)


def history_logit_centre(world: World) -> float:
    """Mean true survival logit of the funded history (the income truth's centre)."""
    p = np.clip(world.history_truth, 1e-12, 1 - 1e-12)
    return float(np.mean(to_logit(p))) if len(p) else 0.0


def true_income(world: World, p_true: NDArray[np.float64]) -> NDArray[np.float64]:
    """True mean log income if active, for pairs of true survival ``p_true``."""
    logit = to_logit(np.clip(p_true, 1e-12, 1 - 1e-12))
    centre = history_logit_centre(world)
    return np.asarray(
        np.log(INCOME_MEDIAN) + INCOME_TRUTH_SLOPE * (logit - centre), dtype=np.float64
    )


def livelihood_truth(world: World, *, threshold_mad: float) -> pd.DataFrame:
    """The cohort truth with ``income_log_mean``, ``expected_income_true`` and ``livelihood_true``.

    Parameters
    ----------
    world : World
    threshold_mad : float
        Net monthly income a livelihood must reach.
    """
    truth = world.cohort_truth
    p = truth[TRUTH_COLUMN].to_numpy(dtype=np.float64)
    mu = true_income(world, p)
    share = ndtr((mu - np.log(threshold_mad)) / INCOME_SIGMA) if threshold_mad > 0 else 1.0
    return truth.assign(
        income_log_mean=mu,
        expected_income_true=np.exp(mu + INCOME_SIGMA**2 / 2),
        livelihood_true=p * share,
    )


__all__ = ["history_logit_centre", "livelihood_truth", "true_income"]
