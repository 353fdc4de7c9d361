"""Tests of matcher.model.explanation: neutral values, effects by occlusion, reason selection."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from matcher.contract import columns as c
from matcher.features.builder import FEATURE_NAMES, PairFeatureBuilder
from matcher.model.explanation import (
    FACTOR_FEATURES,
    FACTORS,
    MAX_REASONS,
    NEUTRAL_AGE,
    NEUTRAL_BUDGET_SLACK,
    factor_effects,
    neutralise,
    top_reasons,
)
from matcher.wording import FACTOR_GROUP, reason_text


def pairs() -> pd.DataFrame:
    base = {
        c.BENEFICIARY_ID: "B1",
        c.SEX: "F",
        c.AGE: 52,
        c.REGION_ID: "MA-01",
        c.MILIEU: "urban",
        c.EDUCATION_LEVEL: "higher",
        c.TRAININGS: "cooking_catering",
        c.EXPERIENCE: "cooking_catering:4",
        c.BUDGET_MAD: 90000.0,
        c.PREFERRED_SECTORS: "catering",
        c.HEALTH_CONSTRAINT: "none",
        c.COMMUNE_CODE: "01.511.01.0",
    }
    rows = [base | {c.PROJECT_TYPE_ID: t} for t in ("snack_bar", "apiary", "barber_shop")]
    return pd.DataFrame(rows).astype({c.AGE: "int64", c.BUDGET_MAD: "float64"})


@pytest.fixture(scope="module")
def builder(reference):
    return PairFeatureBuilder(reference=reference).fit(pairs())


@pytest.fixture(scope="module")
def features(builder):
    return builder.transform(pairs())


def test_every_factor_names_real_features():
    assert set(FACTORS) == set(FACTOR_FEATURES) == set(FACTOR_GROUP)
    for cols in FACTOR_FEATURES.values():
        assert set(cols) <= set(FEATURE_NAMES)


@pytest.mark.parametrize("factor", FACTORS)
def test_neutralise_changes_only_its_factor(features, builder, factor):
    before = copy.deepcopy(features)
    out = neutralise(features, factor, builder)
    pd.testing.assert_frame_equal(features, before)  # input untouched
    assert list(out.columns) == list(features.columns)
    untouched = [col for col in features.columns if col not in FACTOR_FEATURES[factor]]
    pd.testing.assert_frame_equal(out[untouched], features[untouched])


def test_neutral_values_of_person_factors(features, builder):
    assert features["trained_in_trade"].iloc[0] == 1.0
    out = neutralise(features, "training", builder)
    assert (out[["trained_in_trade", "trained_in_sector"]] == 0.0).all().all()
    out = neutralise(features, "experience", builder)
    assert (out[["experience_trade_years", "experience_sector_years"]] == 0.0).all().all()
    out = neutralise(features, "preference", builder)
    assert (out["prefers_sector"] == 0.0).all()
    assert features["education_margin"].iloc[0] == 3.0  # higher vs primary
    out = neutralise(features, "education", builder)
    assert (out[["education_shortfall", "education_margin"]] == 0.0).all().all()
    out = neutralise(features, "age_demand", builder)
    assert (out["age"] == NEUTRAL_AGE).all()
    assert (out[["age_over_40_x_demand", "age_over_50_x_demand"]] == 0.0).all().all()
    out = neutralise(features, "milieu", builder)
    assert (out["outside_natural_milieu"] == 0.0).all()
    out = neutralise(features, "budget", builder)
    assert (out["budget_slack"] == NEUTRAL_BUDGET_SLACK).all()


def test_neutral_values_of_market_factors(features, builder, reference):
    out = neutralise(features, "local_economy", builder)
    regions = reference.regions
    assert out["region_unemployment"].iloc[0] == pytest.approx(regions["unemployment_rate"].mean())
    assert out["region_poverty"].iloc[0] == pytest.approx(regions["poverty_rate"].mean())
    assert out["local_unemployment"].nunique() == 1
    national_urban = out["local_urban_share"].iloc[0]
    # apiary (row 1) is agriculture: its rural share is the national one
    assert out["agri_rural_share"].tolist() == pytest.approx([0.0, 1.0 - national_urban, 0.0])
    out = neutralise(features, "local_competition", builder)
    assert (out["competition_index"] == 0.0).all()
    assert out["local_density_all"].nunique() == 1
    assert out["local_one_person"].nunique() == 1
    out = neutralise(features, "regional_record", builder)
    assert out["region"].isna().all()
    assert out["region_sector"].isna().all()
    assert (out["market_income_record"] == 0.0).all()
    assert out["market_income_record"].dtype == np.float64


def test_unknown_factor(features, builder):
    with pytest.raises(ValueError, match="unknown factor 'luck'"):
        neutralise(features, "luck", builder)


def test_factor_effects_are_score_minus_neutralised_score(scorer):
    builder = scorer.pipeline.named_steps["features"]
    feats = scorer.features(pairs())
    scores, effects, _ = factor_effects(feats, scorer)
    assert effects.shape == (3, len(FACTORS))
    # scores are the ones a person is shown (6 decimals); effects are their differences
    np.testing.assert_allclose(scores, np.round(scorer.score_features(feats), 6), atol=1e-12)
    for k, factor in enumerate(FACTORS):
        neutral = np.round(scorer.score_features(neutralise(feats, factor, builder)), 6)
        np.testing.assert_allclose(effects[:, k], scores - neutral, atol=1e-12)
    assert np.abs(effects).max() > 0.0


def test_factor_effects_score_extra_rows_in_the_same_call(scorer):
    feats = scorer.features(pairs())
    extra = scorer.features(pairs()).iloc[::-1]
    scores, _, extra_scores = factor_effects(feats, scorer, extra=extra.to_dict("series"))
    np.testing.assert_allclose(extra_scores, scores[::-1], atol=1e-12)


def test_factor_effects_of_nothing(scorer):
    feats = scorer.features(pairs()).iloc[:0]
    scores, effects, _ = factor_effects(feats, scorer)
    assert scores.shape == (0,)
    assert effects.shape == (0, len(FACTORS))


def effects_of(**by_factor: float) -> np.ndarray:
    return np.array([by_factor.get(f, 0.0) for f in FACTORS])


def test_top_reasons_order_and_content():
    reasons = top_reasons(effects_of(training=0.10, budget=-0.20, preference=0.03, education=0.01))
    assert [r.factor for r in reasons] == ["budget", "training", "preference", "education"]
    assert [r.effect for r in reasons] == [-0.2, 0.1, 0.03, 0.01]
    assert [r.direction for r in reasons] == ["lowers", "raises", "raises", "raises"]
    assert reasons[0].text == reason_text("budget", False)
    assert reasons[1].text == reason_text("training", True)
    assert reasons[0].group == "person"


def test_top_reasons_at_most_max():
    big = effects_of(**{f: 0.1 * (i + 1) for i, f in enumerate(FACTORS)})
    reasons = top_reasons(big)
    assert len(reasons) == MAX_REASONS
    assert [r.factor for r in reasons] == list(FACTORS[::-1][:MAX_REASONS])
    assert len(top_reasons(big, max_reasons=2)) == 2


def test_small_effects_stop_after_two():
    reasons = top_reasons(
        effects_of(training=0.2, experience=0.001, education=0.0009, age_demand=0.0008)
    )
    assert [r.factor for r in reasons] == ["training", "experience"]


def test_zero_effects_are_never_reasons():
    assert top_reasons(np.zeros(len(FACTORS))) == []
    reasons = top_reasons(effects_of(budget=0.3))
    assert [r.factor for r in reasons] == ["budget"]


def test_direction_agrees_with_text_for_tiny_effects():
    reasons = top_reasons(effects_of(training=3e-5, budget=-2e-5, education=0.002))
    # effects that round to zero are not reasons; the others say which way they push
    assert [r.factor for r in reasons] == ["education"]
    for reason in reasons:
        raises = reason.text == reason_text(reason.factor, True)
        assert reason.direction == ("raises" if raises else "lowers"), reason
