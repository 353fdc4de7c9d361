"""Model candidates: each is one sklearn Pipeline, ``features`` then ``model``.

* ``logit``: L2-regularised logistic regression on standardised pair features
  and one-hot categories (project type, sector, region, region x sector). The
  category blocks are scaled down before the penalty, which shrinks per-category
  effects towards the shared pair features: each category rests on few funded
  projects, while the pair features (training, experience, education margin,
  preference, age against physical demand, budget slack, local market) are
  shared by all types and carry over to types a person was never funded for.
  The per-type and per-market dummies are shrunk hardest: their prior centre is
  the income record of the type and of the market (see
  :mod:`matcher.features.builder`), so a dummy only keeps what the survival outcomes
  add to it. Sigmoid calibration on cross-validated predictions.
* ``hgb``: gradient-boosted trees with monotonic constraints where the domain
  knows the sign (more training, experience, education margin, preference or
  budget slack never lowers the chance of success), native categories, and
  isotonic calibration on cross-validated predictions.

Candidates are compared by grouped cross-validation in :mod:`training.train`.

With ``income=True`` the final step is a
:class:`~matcher.model.survival_income.SurvivalIncomeModel`: the calibrated
candidate plus a ridge regression of log net monthly income of active projects
on the same pair features, through the same preprocessing as the logit (type
and market effects shrunk by the same scaled dummies).
"""

from __future__ import annotations

import functools
from typing import Any, Final

from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from matcher.features.builder import (
    CATEGORICAL_FEATURES,
    MONOTONIC_DECREASING,
    MONOTONIC_INCREASING,
    NUMERIC_FEATURES,
    PairFeatureBuilder,
    scale_block,
)
from matcher.model.survival_income import SurvivalIncomeModel
from matcher.reference import Reference

CANDIDATES: Final[tuple[str, ...]] = ("logit", "hgb")
LOGIT_C: Final = 0.3
CATEGORY_SCALE: Final = 0.5
"""Scale of the sector and region dummies."""
TYPE_SCALE: Final = 0.25
"""Scale of the project-type dummies (deviations from the type's income record)."""
MARKET_SCALE: Final = 0.35
"""Scale of the region x sector dummies (deviations from the market's income record)."""
INCOME_ALPHA: Final = 1.0
"""Ridge penalty of the log-income model: about residual variance (0.2) over the
logit's prior variance (``LOGIT_C``), so both shrink categories alike."""


def _dummies(factor: float) -> Pipeline:
    return make_pipeline(
        OneHotEncoder(handle_unknown="ignore", sparse_output=False, min_frequency=5),
        FunctionTransformer(functools.partial(scale_block, factor=factor)),
    )


def preprocessor() -> ColumnTransformer:
    """Standardised numeric features and scaled (shrunk) category dummies."""
    return ColumnTransformer(
        [
            (
                "num",
                make_pipeline(
                    SimpleImputer(strategy="median", keep_empty_features=True),
                    StandardScaler(),
                ),
                list(NUMERIC_FEATURES),
            ),
            ("type", _dummies(TYPE_SCALE), ["project_type"]),
            ("cat", _dummies(CATEGORY_SCALE), ["sector", "region"]),
            ("market", _dummies(MARKET_SCALE), ["region_sector"]),
        ],
        verbose_feature_names_out=False,
    )


def income_estimator() -> Pipeline:
    """Ridge regression of log net monthly income on the pair features."""
    return make_pipeline(preprocessor(), Ridge(alpha=INCOME_ALPHA))


def base_estimator(candidate: str, *, random_state: int = 0) -> Any:
    """The uncalibrated estimator of a candidate (used for quick CV comparison)."""
    if candidate == "hgb":
        return HistGradientBoostingClassifier(
            learning_rate=0.06,
            max_iter=300,
            max_leaf_nodes=15,
            min_samples_leaf=40,
            l2_regularization=1.0,
            categorical_features=list(CATEGORICAL_FEATURES),
            monotonic_cst=dict.fromkeys(MONOTONIC_INCREASING, 1)
            | dict.fromkeys(MONOTONIC_DECREASING, -1),
            early_stopping=True,
            validation_fraction=0.15,
            n_iter_no_change=20,
            random_state=random_state,
        )
    if candidate == "logit":
        return make_pipeline(
            preprocessor(), LogisticRegression(C=LOGIT_C, solver="newton-cholesky", max_iter=500)
        )
    raise ValueError(f"unknown candidate {candidate!r}; expected one of {CANDIDATES}")


def build_pipeline(
    reference: Reference,
    *,
    candidate: str = "logit",
    random_state: int = 0,
    calibrate: bool = True,
    income: bool = False,
) -> Pipeline:
    """Build an unfitted candidate pipeline.

    Parameters
    ----------
    reference : Reference
        The catalogue the feature step looks types, trades and places up in.
    candidate : {"logit", "hgb"}
    random_state : int
    calibrate : bool
        Wrap the estimator in a cross-validated calibrator (sigmoid for the
        logit, isotonic for the trees).
    """
    model = base_estimator(candidate, random_state=random_state)
    if calibrate:
        method = "isotonic" if candidate == "hgb" else "sigmoid"
        model = CalibratedClassifierCV(model, method=method, cv=3, ensemble=False)
    if income:
        model = SurvivalIncomeModel(survival=model, income=income_estimator())
    return Pipeline([("features", PairFeatureBuilder(reference=reference)), ("model", model)])
