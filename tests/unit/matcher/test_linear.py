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
    calibrated = ensemble.named_steps["model"].calibrated_classifiers_
    calibrated.append(calibrated[0])
    assert LinearForm.from_pipeline(ensemble) is None


def test_builder_lookups_are_not_pickled_and_reset_on_fit(scorer, history, reference):
    builder = pickle.loads(pickle.dumps(scorer.builder))
    builder.transform_columns(history.iloc[:5])
    assert "_lookups" in builder.__dict__
    assert "_lookups" not in pickle.loads(pickle.dumps(builder)).__dict__
    builder.fit(history.iloc[:5])
    assert "_lookups" not in builder.__dict__
