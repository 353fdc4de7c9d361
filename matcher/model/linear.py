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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
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
class AffineForm:
    """Outputs that are affine in the features: ``out = intercept + sum_j w_j x_j + tables``.

    Attributes
    ----------
    intercept : ndarray, shape (k,)
        Outputs with every numeric feature 0 and every category unknown.
    weights : ndarray, shape (n_numeric, k)
        Change of the outputs per unit of each numeric feature.
    missing : ndarray, shape (n_numeric, k)
        Contribution of a missing (NaN) numeric feature (its imputed value).
    tables : dict of str to (Lookup, ndarray of shape (n_values + 1, k))
        Per categorical feature, the known values and their contributions, with
        a trailing row of 0 for an unknown value.
    """

    intercept: NDArray[np.float64]
    weights: NDArray[np.float64]
    missing: NDArray[np.float64]
    tables: dict[str, tuple[Lookup, NDArray[np.float64]]]

    def evaluate(self, features: Mapping[str, Any]) -> NDArray[np.float64]:
        """The outputs of each row of a feature mapping (or frame), shape (n, k)."""
        x = np.column_stack(
            [np.asarray(features[name], dtype=np.float64) for name in NUMERIC_FEATURES]
        )
        absent = np.isnan(x)
        out = self.intercept + np.where(absent, 0.0, x) @ self.weights
        if absent.any():
            out += absent.astype(np.float64) @ self.missing
        for name, (lookup, contributions) in self.tables.items():
            out += contributions[lookup.positions(features[name])]
        return np.asarray(out, dtype=np.float64)

    def columns(self, keep: slice) -> AffineForm:
        """The form of some output columns only."""
        return AffineForm(
            intercept=self.intercept[keep].copy(),
            weights=self.weights[:, keep].copy(),
            missing=self.missing[:, keep].copy(),
            tables={k: (lookup, t[:, keep].copy()) for k, (lookup, t) in self.tables.items()},
        )


@dataclass(frozen=True)
class LinearForm:
    """A calibrated additive model: ``p = calibrate(d(x))``, with income and spread.

    ``affine`` gives, per row, the survival decision value ``d`` (column 0)
    and the predicted mean log income when the version has an income part
    (column 1). ``spread`` gives ``u = L' [1, z(x)]``, where ``L L'`` is the
    Laplace covariance of the logit's coefficients and ``z(x)`` the transformed
    design row, so the variance of ``d`` is ``|u|^2``; it is evaluated only on
    the rows shown, never on the rows reasons neutralise.

    Attributes
    ----------
    affine : AffineForm
    calibrator : object
        The fitted calibrator (``predict`` maps decision values to probabilities).
    has_income : bool
    income_sigma : float
        Residual standard deviation of log income (NaN without income).
    spread : AffineForm or None
        ``None`` when the version carries no covariance (saved before intervals).
    """

    affine: AffineForm
    calibrator: Any
    has_income: bool = False
    income_sigma: float = float("nan")
    spread: AffineForm | None = None

    @property
    def intercept(self) -> float:
        """Decision value with every numeric feature 0 and every category unknown."""
        return float(self.affine.intercept[0])

    @classmethod
    def from_pipeline(cls, pipeline: Any, *, seed: int = 0) -> LinearForm | None:
        """Read the linear form of a fitted pipeline, or ``None`` if it has none.

        The form is returned only if it reproduces ``predict_proba`` (and the
        predicted log income, when there is one) within :data:`TOLERANCE` on
        :data:`CHECK_ROWS` random rows (missing values and unknown categories
        included).
        """
        parts = _calibrated_parts(pipeline)
        if parts is None:
            return None
        builder, model, estimator, calibrator = parts
        final = pipeline.named_steps["model"]
        income = getattr(final, "income_", None)
        cov = getattr(final, "decision_cov_", None)
        try:
            form = cls._probed(builder, estimator, calibrator, income=income, cov=cov)
            form = replace(form, income_sigma=float(getattr(final, "income_sigma_", np.nan)))
            rows = _random_rows(builder, np.random.default_rng(seed), CHECK_ROWS)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                frame = feature_frame(rows)
                expected = model.predict_proba(frame)[:, 1]
                error = float(np.max(np.abs(form.predict_proba(rows) - expected)))
                if income is not None:
                    got = form.outputs(rows)[:, 1]
                    error = max(error, float(np.max(np.abs(got - income.predict(frame)))))
        except (AttributeError, TypeError, ValueError) as exc:
            logger.info("model is not additive (%s): served by sklearn", exc)
            return None
        if not error <= TOLERANCE:
            logger.warning("linear form differs from the pipeline by %.3g: not used", error)
            return None
        return form

    @classmethod
    def _probed(
        cls,
        builder: PairFeatureBuilder,
        estimator: Any,
        calibrator: Any,
        *,
        income: Any,
        cov: NDArray[np.float64] | None,
    ) -> LinearForm:
        """Probe the decision, the income and the spread columns into one affine form."""
        factor = None
        if cov is not None:
            eigval, eigvec = np.linalg.eigh(cov)
            factor = eigvec * np.sqrt(np.clip(eigval, 0.0, None))

        def outputs(frame: Any) -> NDArray[np.float64]:
            cols = [np.asarray(estimator.decision_function(frame), dtype=np.float64)[:, None]]
            if income is not None:
                cols.append(np.asarray(income.predict(frame), dtype=np.float64)[:, None])
            if factor is not None:
                z = np.asarray(estimator[:-1].transform(frame), dtype=np.float64)
                z1 = np.hstack([np.ones((len(z), 1)), z])
                cols.append(z1 @ factor)
            return np.hstack(cols)

        probed = _probe(builder, outputs)
        n_point = 2 if income is not None else 1
        return cls(
            affine=probed.columns(slice(0, n_point)),
            calibrator=calibrator,
            has_income=income is not None,
            spread=None if factor is None else probed.columns(slice(n_point, None)),
        )

    def outputs(self, features: Mapping[str, Any]) -> NDArray[np.float64]:
        """Decision value (column 0) and mean log income (column 1, with income) per row."""
        return self.affine.evaluate(features)

    def decision_sd(self, features: Mapping[str, Any]) -> NDArray[np.float64]:
        """Standard deviation of the decision value (NaN without a covariance)."""
        if self.spread is None:
            return np.full(n_rows(features), np.nan)
        u = self.spread.evaluate(features)
        return np.asarray(np.sqrt(np.einsum("ij,ij->i", u, u)), dtype=np.float64)

    def decision(self, features: Mapping[str, Any]) -> NDArray[np.float64]:
        """The decision value of each row of a feature mapping (or frame)."""
        return self.outputs(features)[:, 0]

    def probability(self, decision: NDArray[np.float64]) -> NDArray[np.float64]:
        """Calibrated probabilities of decision values."""
        return np.asarray(self.calibrator.predict(decision), dtype=np.float64)

    def predict_proba(self, features: Mapping[str, Any]) -> NDArray[np.float64]:
        """P(active at 12 months) for each row."""
        return self.probability(self.decision(features))


def _calibrated_parts(pipeline: Any) -> tuple[PairFeatureBuilder, Any, Any, Any] | None:
    """(feature builder, calibrated model, uncalibrated estimator, calibrator), if the shape fits.

    The model step is either the calibrated classifier itself (versions saved
    before income) or a :class:`~matcher.model.survival_income.SurvivalIncomeModel`
    holding it in ``survival_``.
    """
    steps: dict[str, Any] = dict(getattr(pipeline, "named_steps", {}))
    builder, model = steps.get("features"), steps.get("model")
    if model is None:
        return None
    model = getattr(model, "survival_", model)
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


def _probe(
    builder: PairFeatureBuilder, outputs: Callable[[Any], NDArray[np.float64]]
) -> AffineForm:
    """Measure intercept, weights, missing-value and category contributions of ``outputs``."""
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
        d = outputs(feature_frame(rows))
    base = d[0]
    zero = np.zeros((1, d.shape[1]))
    tables = {
        name: (Lookup(values[name]), np.vstack([d[spans[name]] - base, zero]))
        for name in CATEGORICAL_FEATURES
    }
    return AffineForm(
        intercept=base.copy(),
        weights=d[1 : 1 + n_num] - base,
        missing=d[1 + n_num : 1 + 2 * n_num] - base,
        tables=tables,
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
