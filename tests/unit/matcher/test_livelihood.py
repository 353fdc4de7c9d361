"""Contract section 7's arithmetic: livelihood, expected income, score intervals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import lognorm

from matcher.contract.profile_table import validate_profiles
from matcher.contract.tables import read_table
from matcher.model.livelihood import (
    check_threshold,
    expected_income,
    income_share_above,
    livelihood_probability,
    score_interval,
)
from matcher.service import evidence_count, evidence_level, score_eligible_pairs

DATA = Path(__file__).resolve().parents[3] / "data_samples"


def test_income_share_and_mean_are_those_of_a_lognormal():
    mu, sigma = np.array([7.5, 8.0, 8.6]), 0.45
    dist = lognorm(s=sigma, scale=np.exp(mu))
    np.testing.assert_allclose(income_share_above(mu, sigma, 3000.0), dist.sf(3000.0))
    np.testing.assert_allclose(expected_income(mu, sigma), dist.mean())


def test_livelihood_is_at_most_survival_and_falls_with_the_threshold():
    score, mu = np.array([0.9, 0.5, 0.7]), np.array([8.0, 8.5, 7.0])
    at_3000 = livelihood_probability(score, mu, 0.45, 3000.0)
    at_5000 = livelihood_probability(score, mu, 0.45, 5000.0)
    assert np.all(at_3000 <= score)
    assert np.all(at_5000 < at_3000)
    np.testing.assert_allclose(livelihood_probability(score, mu, 0.45, 0.0), score)


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf")])
def test_a_threshold_must_be_a_number_at_least_0(bad):
    with pytest.raises(ValueError, match="livelihood threshold"):
        check_threshold(bad)


def test_the_interval_holds_the_score_and_widens_with_the_spread():
    score = np.array([0.5, 0.5, 0.9, 0.02])
    low, high = score_interval(score, np.array([0.1, 0.5, 0.5, 0.5]))
    assert np.all((low < score) & (score < high))
    assert high[1] - low[1] > high[0] - low[0]
    # on the logit scale the interval is symmetric: 0.5 +/- 1.645 * 0.5
    assert np.log(high[1] / (1 - high[1])) == pytest.approx(1.6448536 * 0.5)
    assert np.all((low >= 0) & (high <= 1))


def test_intervals_are_wider_where_funded_projects_are_few(scorer, reference):
    """Thin evidence (< 20 funded projects of the type and skill match) means wider ranges."""
    cohort, _ = validate_profiles(read_table(DATA / "cohort.csv"), reference)
    pairs = score_eligible_pairs(
        cohort.head(200), reference=reference, scorer=scorer, objective="survival"
    )
    levels = [evidence_level(int(n)) for n in evidence_count(scorer, scorer.feature_columns(pairs))]
    width = pd.Series((pairs["score_high"] - pairs["score_low"]).to_numpy()).groupby(levels).mean()
    assert width["thin"] > width["solid"]
    assert (pairs["score_high"] > pairs["score_low"]).all()
