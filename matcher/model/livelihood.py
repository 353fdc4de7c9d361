"""Livelihood and how sure a score is: the arithmetic of contract section 7.

A business gives a *livelihood* when it is active at 12 months **and** its net
monthly income reaches a threshold. Given the survival probability ``p`` and
the predicted log income ``mu`` of an active business with residual spread
``sigma`` (log income is modelled as normal, income as lognormal),

* ``P(livelihood) = p * P(income >= T) = p * (1 - Phi((log T - mu) / sigma))``;
* the expected income if active is ``exp(mu + sigma^2 / 2)``.

A score's 90 % interval is ``expit(logit(p) -/+ 1.645 sd(d))``: centred on the
calibrated probability ``p``, with the Laplace standard deviation ``sd(d)`` of
the logit's decision value as its width on the logit scale. The sigmoid
calibration's slope (about 0.8 on generated worlds) shrinks the point estimates
towards the mean to correct their over-dispersion; it does not shrink how
uncertain the model is about the true probability, so the width is not passed
through it. (Passed through it, the interval covered the true probability
about 82 % of the time on generated worlds; centred this way, about 90 %:
``docs/benchmarks.md``.) Every function is pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
from numpy.typing import NDArray
from scipy.special import expit, logit, ndtr

Objective = Literal["livelihood", "survival"]
OBJECTIVES: Final[tuple[str, ...]] = ("livelihood", "survival")
DEFAULT_LIVELIHOOD_MAD: Final = 3000.0
"""About the net minimum wage of 2025 (contract section 7)."""
INTERVAL_Z: Final = 1.6448536269514722
"""Standard normal quantile of 0.95: a two-sided 90 % interval."""


@dataclass(frozen=True)
class Estimates:
    """What the model says of each pair (arrays of one length; NaN where it cannot say).

    Attributes
    ----------
    score : ndarray
        P(active at 12 months).
    score_low, score_high : ndarray
        90 % interval of ``score`` (NaN for a version without a covariance).
    livelihood : ndarray
        P(active at 12 months and income >= threshold) (NaN without income).
    expected_income_mad : ndarray
        Expected net monthly income if active (NaN without income).
    """

    score: NDArray[np.float64]
    score_low: NDArray[np.float64]
    score_high: NDArray[np.float64]
    livelihood: NDArray[np.float64]
    expected_income_mad: NDArray[np.float64]

    def value(self, objective: Objective) -> NDArray[np.float64]:
        """The column an objective ranks by."""
        return self.livelihood if objective == "livelihood" else self.score


def score_interval(
    score: NDArray[np.float64], decision_sd: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The 90 % interval of each score from the standard deviation of its logit."""
    centre = logit(np.clip(score, 1e-9, 1.0 - 1e-9))
    low = np.minimum(expit(centre - INTERVAL_Z * decision_sd), score)
    high = np.maximum(expit(centre + INTERVAL_Z * decision_sd), score)
    return np.asarray(low, dtype=np.float64), np.asarray(high, dtype=np.float64)


def income_share_above(
    mu: NDArray[np.float64], sigma: float, threshold_mad: float
) -> NDArray[np.float64]:
    """P(income >= threshold) for lognormal incomes of log-mean ``mu`` and log-sd ``sigma``."""
    if threshold_mad <= 0:
        return np.ones_like(mu)
    return np.asarray(ndtr((mu - np.log(threshold_mad)) / sigma), dtype=np.float64)


def livelihood_probability(
    score: NDArray[np.float64], mu: NDArray[np.float64], sigma: float, threshold_mad: float
) -> NDArray[np.float64]:
    """P(active and income >= threshold), income independent of survival given the pair."""
    return np.clip(score * income_share_above(mu, sigma, threshold_mad), 0.0, 1.0)


def expected_income(mu: NDArray[np.float64], sigma: float) -> NDArray[np.float64]:
    """Mean of a lognormal income: ``exp(mu + sigma^2 / 2)``."""
    return np.asarray(np.exp(mu + sigma**2 / 2.0), dtype=np.float64)


def check_threshold(threshold_mad: float) -> float:
    """The livelihood threshold as a float; it must be finite and >= 0."""
    value = float(threshold_mad)
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"livelihood threshold must be a number >= 0 MAD, got {threshold_mad!r}")
    return value


__all__ = [
    "DEFAULT_LIVELIHOOD_MAD",
    "INTERVAL_Z",
    "OBJECTIVES",
    "Estimates",
    "Objective",
    "check_threshold",
    "expected_income",
    "income_share_above",
    "livelihood_probability",
    "score_interval",
]
