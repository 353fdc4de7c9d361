"""Tests of matcher.model.linear: the linear form reproduces the pipeline, others refused."""

from __future__ import annotations

import logging
import pickle
from pathlib import Path

import numpy as np
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, PolynomialFeatures, StandardScaler

from matcher.contract import columns as c
from matcher.features.builder import (
    CATEGORICAL_FEATURES,
    NUMERIC_FEATURES,
    PairFeatureBuilder,
    feature_frame,
)
from matcher.model.explanation import neutralised_stack
from matcher.model.linear import LinearForm
from matcher.model.scorer import Scorer
from training.history import load_history
from training.pipeline import build_pipeline

DATA = Path(__file__).resolve().parents[3] / "data_samples"


@pytest.fixture(scope="module")
def history(reference):
    valid, _ = load_history(DATA / "history.csv", reference)
    return valid.iloc[:1500].reset_index(drop=True)


def test_scorer_uses_the_linear_form_of_the_logit(scorer):
    assert scorer.linear is not None


def test_linear_form_reproduces_predict_proba_on_real_pairs(scorer, history):
    pairs = history.drop(columns=[c.ACTIVE_12M])
    expected = scorer.pipeline.predict_proba(pairs)[:, 1]
    np.testing.assert_allclose(scorer.score_pairs(pairs), expected, rtol=0, atol=1e-9)


def test_linear_form_reproduces_neutralised_rows(scorer, history):
    """Reasons score rows with unknown categories (None) and national figures."""
    features = scorer.feature_columns(history.iloc[:200])
    stack = neutralised_stack(features, scorer.builder)
    assert any(v is None for v in stack["region"])
    expected = scorer.pipeline.named_steps["model"].predict_proba(feature_frame(stack))[:, 1]
    np.testing.assert_allclose(scorer.score_features(stack), expected, rtol=0, atol=1e-9)


def test_missing_numeric_values_use_the_imputed_value(scorer, history):
    features = scorer.feature_columns(history.iloc[:50])
    features["local_activity"] = np.full(50, np.nan)
    expected = scorer.pipeline.named_steps["model"].predict_proba(feature_frame(features))[:, 1]
    np.testing.assert_allclose(scorer.score_features(features), expected, rtol=0, atol=1e-9)


def test_trees_have_no_linear_form_and_are_served_by_sklearn(reference, history):
    pipeline = build_pipeline(reference, candidate="hgb").fit(
        history.drop(columns=[c.ACTIVE_12M]), history[c.ACTIVE_12M]
    )
    assert LinearForm.from_pipeline(pipeline) is None
    scorer = Scorer(version="v", pipeline=pipeline, manifest={})
    assert scorer.linear is None
    pairs = history.drop(columns=[c.ACTIVE_12M]).iloc[:100]
    np.testing.assert_allclose(
        scorer.score_pairs(pairs), pipeline.predict_proba(pairs)[:, 1], rtol=0, atol=1e-12
    )


def test_a_form_that_does_not_reproduce_the_model_is_refused(reference, history, caplog):
    """Pairwise interactions make the model non-additive: the check must catch it."""
    prep = ColumnTransformer(
        [
            (
                "num",
                make_pipeline(
                    SimpleImputer(strategy="median", keep_empty_features=True),
                    StandardScaler(),
                    PolynomialFeatures(degree=2, interaction_only=True, include_bias=False),
                ),
                list(NUMERIC_FEATURES),
            ),
            ("cat", OneHotEncoder(handle_unknown="ignore"), list(CATEGORICAL_FEATURES)),
        ]
    )
    model = CalibratedClassifierCV(
        make_pipeline(prep, LogisticRegression(max_iter=300)), cv=2, ensemble=False
    )
    pipeline = Pipeline(
        [("features", PairFeatureBuilder(reference=reference)), ("model", model)]
    ).fit(history.drop(columns=[c.ACTIVE_12M]), history[c.ACTIVE_12M])
    with caplog.at_level(logging.WARNING, logger="matcher.model.linear"):
        assert LinearForm.from_pipeline(pipeline) is None
    assert "differs from the pipeline" in caplog.text


def test_other_shapes_have_no_linear_form(scorer):
    assert LinearForm.from_pipeline(object()) is None
    ensemble = pickle.loads(pickle.dumps(scorer.pipeline))
    model = ensemble.named_steps["model"]
    calibrated = getattr(model, "survival_", model).calibrated_classifiers_
    calibrated.append(calibrated[0])
    assert LinearForm.from_pipeline(ensemble) is None


def test_builder_lookups_are_not_pickled_and_reset_on_fit(scorer, history, reference):
    builder = pickle.loads(pickle.dumps(scorer.builder))
    builder.transform_columns(history.iloc[:5])
    assert "_lookups" in builder.__dict__
    assert "_lookups" not in pickle.loads(pickle.dumps(builder)).__dict__
    builder.fit(history.iloc[:5])
    assert "_lookups" not in builder.__dict__


def test_the_registered_version_has_income_and_a_covariance(scorer):
    assert scorer.has_income
    assert scorer.linear is not None
    assert scorer.linear.has_income
    assert scorer.linear.spread is not None


def test_linear_form_reproduces_the_income_model(scorer, history):
    features = scorer.features(history.iloc[:300])
    expected = scorer.model.predict_log_income(features)
    got = scorer.linear.outputs(scorer.feature_columns(history.iloc[:300]))[:, 1]
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)


def test_spread_is_the_laplace_standard_deviation_of_the_decision(scorer, history):
    """sd(d) = sqrt(z1' cov z1) with z1 the transformed design row, intercept first."""
    model = scorer.model
    estimator = model.survival_.calibrated_classifiers_[0].estimator
    features = scorer.features(history.iloc[:300])
    z = estimator[:-1].transform(features)
    z1 = np.hstack([np.ones((len(z), 1)), z])
    expected = np.sqrt(np.einsum("ij,jk,ik->i", z1, model.decision_cov_, z1))
    got = scorer.linear.decision_sd(scorer.feature_columns(history.iloc[:300]))
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)
    assert np.all(got > 0)


def test_the_covariance_is_the_inverse_hessian_of_sklearns_objective(scorer, reference):
    """At the fit the penalised score is zero: sum (y - p) z = w / C (sklearn's convention)."""
    model = scorer.model
    estimator = model.survival_.calibrated_classifiers_[0].estimator
    lr = estimator[-1]
    full, _ = load_history(DATA / "history.csv", reference)
    z = estimator[:-1].transform(scorer.features(full))
    p = lr.predict_proba(z)[:, 1]
    gradient = z.T @ (full[c.ACTIVE_12M].to_numpy() - p)
    np.testing.assert_allclose(gradient, lr.coef_[0] / lr.C, atol=5e-3)
    assert np.linalg.eigvalsh(model.decision_cov_).min() > 0
    # the coefficients (not the intercept) are bounded by their prior variance C
    assert np.diag(model.decision_cov_)[1:].max() <= lr.C + 1e-9
