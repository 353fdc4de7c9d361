"""The fitted logit's arithmetic, read off the pipeline, for scoring without pandas.

The model artefact stays one fitted sklearn ``Pipeline``. When its estimator is
additive in the features (the ``logit`` candidate: imputation, scaling, one-hot
categories and a logistic regression, calibrated by a sigmoid), its decision
function is ``intercept + sum_j w_j x_j + sum_f table_f[category]``. Those
numbers are measured from the fitted estimator itself, by probing it with one
``decision_function`` call, and checked against ``predict_proba`` on random rows
before use. Serving then costs a few numpy operations instead of a
``ColumnTransformer`` and a one-hot encoder on a DataFrame (most of one
recommendation's time). Any other estimator (the trees) is served by sklearn.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from matcher.features.builder import (
    CATEGORICAL_FEATURES,
    NUMERIC_FEATURES,
    PairFeatureBuilder,
    feature_frame,
    n_rows,
)
from matcher.features.id_positions import Lookup

logger = logging.getLogger(__name__)

TOLERANCE: Final = 1e-9
"""Largest difference from ``predict_proba`` accepted on the check rows."""

CHECK_ROWS: Final = 256


@dataclass(frozen=True)
class LinearForm:
    """A calibrated additive model: ``p = calibrate(d(x))``.

    Attributes
    ----------
    intercept : float
        Decision value with every numeric feature 0 and every category unknown.
    weights : ndarray, shape (n_numeric,)
        Change of the decision value per unit of each numeric feature.
    missing : ndarray, shape (n_numeric,)
        Contribution of a missing (NaN) numeric feature (its imputed value).
    tables : dict of str to (Lookup, ndarray)
        Per categorical feature, the known values and their contributions, with
        a trailing 0 for an unknown value.
    calibrator : object
        The fitted calibrator (``predict`` maps decision values to probabilities).
    """

    intercept: float
    weights: NDArray[np.float64]
    missing: NDArray[np.float64]
    tables: dict[str, tuple[Lookup, NDArray[np.float64]]]
    calibrator: Any

    @classmethod
    def from_pipeline(cls, pipeline: Any, *, seed: int = 0) -> LinearForm | None:
        """Read the linear form of a fitted pipeline, or ``None`` if it has none.

        The form is returned only if it reproduces ``predict_proba`` within
        :data:`TOLERANCE` on :data:`CHECK_ROWS` random rows (missing values and
        unknown categories included).
        """
        parts = _calibrated_parts(pipeline)
        if parts is None:
            return None
        builder, model, estimator, calibrator = parts
        try:
            form = _probe(builder, estimator, calibrator)
            rows = _random_rows(builder, np.random.default_rng(seed), CHECK_ROWS)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                expected = model.predict_proba(feature_frame(rows))[:, 1]
            error = float(np.max(np.abs(form.predict_proba(rows) - expected)))
        except (AttributeError, TypeError, ValueError) as exc:
            logger.info("model is not additive (%s): served by sklearn", exc)
            return None
        if not error <= TOLERANCE:
            logger.warning("linear form differs from the pipeline by %.3g: not used", error)
            return None
        return form

    def decision(self, features: Mapping[str, Any]) -> NDArray[np.float64]:
        """The decision value of each row of a feature mapping (or frame)."""
        n = n_rows(features)
        out = np.full(n, self.intercept)
        for j, name in enumerate(NUMERIC_FEATURES):
            x = np.asarray(features[name], dtype=np.float64)
            out += np.where(np.isnan(x), self.missing[j], x * self.weights[j])
        for name, (lookup, contributions) in self.tables.items():
            out += contributions[lookup.positions(features[name])]
        return out

    def predict_proba(self, features: Mapping[str, Any]) -> NDArray[np.float64]:
        """P(active at 12 months) for each row."""
        proba = self.calibrator.predict(self.decision(features))
        return np.asarray(proba, dtype=np.float64)


def _calibrated_parts(pipeline: Any) -> tuple[PairFeatureBuilder, Any, Any, Any] | None:
    """(feature builder, model, uncalibrated estimator, calibrator), if the shape fits."""
    steps: dict[str, Any] = dict(getattr(pipeline, "named_steps", {}))
    builder, model = steps.get("features"), steps.get("model")
    if model is None:
        return None
    calibrated = getattr(model, "calibrated_classifiers_", None)
    if not isinstance(builder, PairFeatureBuilder) or calibrated is None or len(calibrated) != 1:
        return None
    estimator = calibrated[0].estimator
    calibrators = calibrated[0].calibrators
    if (
        not hasattr(estimator, "decision_function")
        or len(calibrators) != 1
        or list(model.classes_) != [0, 1]
    ):
        return None
    return builder, model, estimator, calibrators[0]


def _probe(builder: PairFeatureBuilder, estimator: Any, calibrator: Any) -> LinearForm:
    """Measure intercept, weights, missing-value and category contributions."""
    values = builder.category_values()
    n_num = len(NUMERIC_FEATURES)
    n_cat = sum(len(v) for v in values.values())
    n = 1 + 2 * n_num + n_cat
    rows: dict[str, NDArray[Any]] = {name: np.zeros(n) for name in NUMERIC_FEATURES}
    rows |= {name: np.full(n, None, dtype=object) for name in CATEGORICAL_FEATURES}
    for j, name in enumerate(NUMERIC_FEATURES):
        rows[name][1 + j] = 1.0
        rows[name][1 + n_num + j] = np.nan
    start = 1 + 2 * n_num
    spans: dict[str, slice] = {}
    for name in CATEGORICAL_FEATURES:
        stop = start + len(values[name])
        rows[name][start:stop] = values[name]
        spans[name] = slice(start, stop)
        start = stop
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        d = np.asarray(estimator.decision_function(feature_frame(rows)), dtype=np.float64)
    base = float(d[0])
    tables = {
        name: (
            Lookup(values[name]),
            np.append(d[spans[name]] - base, 0.0),
        )
        for name in CATEGORICAL_FEATURES
    }
    return LinearForm(
        intercept=base,
        weights=d[1 : 1 + n_num] - base,
        missing=d[1 + n_num : 1 + 2 * n_num] - base,
        tables=tables,
        calibrator=calibrator,
    )


def _random_rows(
    builder: PairFeatureBuilder, rng: np.random.Generator, n: int
) -> dict[str, NDArray[Any]]:
    """Random feature rows: scaled noise with some NaN, known, unknown and missing categories."""
    rows: dict[str, NDArray[Any]] = {}
    for name in NUMERIC_FEATURES:
        x = rng.normal(0.0, 3.0, n)
        x[rng.random(n) < 0.1] = np.nan
        rows[name] = x
    for name, known in builder.category_values().items():
        pool = np.asarray([*known, "not-a-category", None], dtype=object)
        rows[name] = pool[rng.integers(0, len(pool), n)]
    return rows
