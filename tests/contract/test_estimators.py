"""The scikit-learn estimator contract of the pair feature builder.

``PairFeatureBuilder`` reads a *pairs frame* (named profile columns plus
``project_type_id``) and needs the reference catalogue, so it is DataFrame-only:
sklearn's ``parametrize_with_checks`` feeds plain numeric arrays and cannot run on
it. The properties those checks stand for are tested explicitly below: ``clone``,
``get_params``/``set_params`` round trip, ``fit`` returning ``self``, pickling,
refit idempotence, no mutation of the input, not-fitted errors and row-wise
transformation. ``parametrize_with_checks`` does run on the one stateless
function of :mod:`matcher.features.builder` used in the pipeline (``scale_block``,
wrapped in a ``FunctionTransformer``).
"""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import TransformerMixin, clone
from sklearn.exceptions import NotFittedError
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.estimator_checks import parametrize_with_checks

from matcher.contract import columns as c
from matcher.features.builder import FEATURE_NAMES, PairFeatureBuilder, scale_block


def pairs_frame(n: int = 6) -> pd.DataFrame:
    types = ["snack_bar", "apiary", "barber_shop", "phone_repair", "sheep_fattening", "shoe_repair"]
    rows = []
    for i in range(n):
        rows.append(
            {
                c.BENEFICIARY_ID: f"B{i}",
                c.SEX: "FM"[i % 2],
                c.AGE: 20 + 7 * i,
                c.REGION_ID: f"MA-{(i % 12) + 1:02d}",
                c.MILIEU: ["urban", "rural"][i % 2],
                c.EDUCATION_LEVEL: ["none", "primary", "higher"][i % 3],
                c.TRAININGS: ["", "cooking_catering", "leather_goods;livestock"][i % 3],
                c.EXPERIENCE: ["", "livestock:3", "beekeeping:1.5;joinery:2"][i % 3],
                c.BUDGET_MAD: 10000.0 * (i + 1),
                c.PREFERRED_SECTORS: ["", "catering;services"][i % 2],
                c.HEALTH_CONSTRAINT: ["none", "no_heavy_work"][i % 2],
                c.COMMUNE_CODE: "",
                c.PROJECT_TYPE_ID: types[i % len(types)],
            }
        )
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def fitted(reference):
    return PairFeatureBuilder(reference=reference).fit(pairs_frame())


def test_is_a_transformer(reference):
    builder = PairFeatureBuilder(reference=reference)
    assert isinstance(builder, TransformerMixin)
    assert builder.__sklearn_tags__().transformer_tags is not None


def test_fit_returns_self(reference):
    builder = PairFeatureBuilder(reference=reference)
    assert builder.fit(pairs_frame()) is builder


def test_get_params_set_params_round_trip(reference):
    builder = PairFeatureBuilder()
    assert builder.get_params() == {"reference": None}
    assert builder.set_params(reference=reference) is builder
    assert builder.get_params() == {"reference": reference}
    other = PairFeatureBuilder(**builder.get_params())
    assert other.get_params()["reference"] is reference
    with pytest.raises(ValueError, match="Invalid parameter"):
        builder.set_params(catalogue=reference)


def test_clone_is_unfitted_with_equal_params(fitted):
    twin = clone(fitted)
    assert twin is not fitted
    assert set(twin.get_params()) == {"reference"}
    assert twin.get_params()["reference"].fingerprint == fitted.reference.fingerprint
    with pytest.raises(NotFittedError):
        twin.transform(pairs_frame())
    pd.testing.assert_frame_equal(
        twin.fit(pairs_frame()).transform(pairs_frame()), fitted.transform(pairs_frame())
    )


def test_not_fitted(reference):
    with pytest.raises(NotFittedError):
        PairFeatureBuilder(reference=reference).transform(pairs_frame())
    with pytest.raises(NotFittedError):
        PairFeatureBuilder(reference=reference).get_feature_names_out()


def test_pickle_round_trip(fitted):
    restored = pickle.loads(pickle.dumps(fitted))
    pd.testing.assert_frame_equal(
        restored.transform(pairs_frame()), fitted.transform(pairs_frame())
    )
    assert list(restored.get_feature_names_out()) == list(FEATURE_NAMES)


def test_refit_is_idempotent(reference, fitted):
    builder = PairFeatureBuilder(reference=reference)
    builder.fit(pairs_frame())
    first = builder.transform(pairs_frame())
    builder.fit(pairs_frame(3))  # fitting learns the catalogue, not the rows
    pd.testing.assert_frame_equal(builder.transform(pairs_frame()), first)
    pd.testing.assert_frame_equal(fitted.transform(pairs_frame()), first)


def test_fit_does_not_change_params_or_input(reference):
    X = pairs_frame()
    before = copy.deepcopy(X)
    builder = PairFeatureBuilder(reference=reference)
    builder.fit(X)
    pd.testing.assert_frame_equal(X, before)
    assert builder.get_params()["reference"] is reference
    builder.fit_transform(X)
    pd.testing.assert_frame_equal(X, before)


def test_fit_transform_equals_fit_then_transform(reference, fitted):
    out = PairFeatureBuilder(reference=reference).fit_transform(pairs_frame())
    pd.testing.assert_frame_equal(out, fitted.transform(pairs_frame()))


def test_rows_are_transformed_independently(fitted):
    X = pairs_frame()
    together = fitted.transform(X)
    for i in range(len(X)):
        alone = fitted.transform(X.iloc[[i]])
        pd.testing.assert_frame_equal(alone, together.iloc[[i]])


class ScaleBlock:
    """``scale_block`` with a fixed factor, with a stable repr for test ids."""

    def __init__(self, factor: float) -> None:
        self.factor = factor

    def __call__(self, X):
        return scale_block(X, factor=self.factor)

    def __repr__(self) -> str:
        return f"scale_block(factor={self.factor})"


@parametrize_with_checks([FunctionTransformer(ScaleBlock(0.5))])
def test_scale_block_transformer(estimator, check):
    check(estimator)


def test_scale_block_values():
    X = np.array([[1.0, 0.0], [2.0, -4.0]])
    np.testing.assert_array_equal(scale_block(X, 0.5), [[0.5, 0.0], [1.0, -2.0]])
    np.testing.assert_array_equal(scale_block(X), X)
