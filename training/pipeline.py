"""Model candidates: each is one sklearn Pipeline, ``features`` then ``model``.

* ``hgb``: gradient-boosted trees on the pair features, with monotonic
  constraints where the domain knows the sign (more training, experience,
  education margin, preference or budget slack never lowers the chance of
  success), native categorical handling, and isotonic calibration.
* ``logit``: a regularised logistic regression on standardised numeric features
  and one-hot categories: simple, smooth, a strong check on the trees.
"""

from __future__ import annotations

from typing import Final

from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from matcher.features import (
    CATEGORICAL_FEATURES,
    FEATURE_NAMES,
    MONOTONIC_INCREASING,
    NUMERIC_FEATURES,
    PairFeatureBuilder,
)
from matcher.reference import Reference

CANDIDATES: Final[tuple[str, ...]] = ("hgb", "logit")


def _hgb(random_state: int) -> HistGradientBoostingClassifier:
    return HistGradientBoostingClassifier(
        learning_rate=0.06,
        max_iter=400,
        max_leaf_nodes=15,
        min_samples_leaf=30,
        l2_regularization=1.0,
        categorical_features=list(CATEGORICAL_FEATURES),
        monotonic_cst=dict.fromkeys(MONOTONIC_INCREASING, 1),
        early_stopping=True,
        validation_fraction=0.15,
        n_iter_no_change=25,
        random_state=random_state,
    )


def _logit() -> Pipeline:
    prep = ColumnTransformer(
        [
            (
                "num",
                make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
                list(NUMERIC_FEATURES),
            ),
            (
                "cat",
                OneHotEncoder(handle_unknown="ignore", sparse_output=False, min_frequency=5),
                list(CATEGORICAL_FEATURES),
            ),
        ],
        verbose_feature_names_out=False,
    )
    return make_pipeline(prep, LogisticRegression(C=0.5, max_iter=2000))


def build_pipeline(
    reference: Reference, *, candidate: str = "hgb", random_state: int = 0
) -> Pipeline:
    """Build an unfitted candidate pipeline.

    Parameters
    ----------
    reference : Reference
        The catalogue the feature step looks types, trades and places up in.
    candidate : {"hgb", "logit"}
    random_state : int
    """
    if candidate == "hgb":
        model = CalibratedClassifierCV(_hgb(random_state), method="isotonic", cv=3)
    elif candidate == "logit":
        model = CalibratedClassifierCV(_logit(), method="sigmoid", cv=3)
    else:
        raise ValueError(f"unknown candidate {candidate!r}; expected one of {CANDIDATES}")
    return Pipeline([("features", PairFeatureBuilder(reference=reference)), ("model", model)])


__all__ = ["CANDIDATES", "FEATURE_NAMES", "build_pipeline"]
