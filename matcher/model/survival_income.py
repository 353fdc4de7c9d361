"""The final step of a version's pipeline: survival, income, and how sure the survival is.

:class:`SurvivalIncomeModel` holds the calibrated survival classifier and, when
the history had enough incomes, a regressor of the log net monthly income of
active projects with its residual spread. It is one sklearn estimator, so the
artefact stays one fitted ``Pipeline([("features", ...), ("model", ...)])``:
``predict_proba`` is the survival classifier's, exactly as in versions whose
final step is the classifier itself.

It also keeps the *Laplace covariance* of the survival logit's coefficients
(the inverse Hessian of the penalised log-likelihood at the fit, intercept
first), from which :mod:`matcher.model.linear` builds a 90 % interval for every
score: wide where the training rows say little about a pair (few funded
projects of its type or market, a profile unlike the history), narrow where
they say much.
"""

from __future__ import annotations

from typing import Any, Final, Self

import numpy as np
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold, cross_val_predict
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

MIN_INCOME_ROWS: Final = 200
"""Active projects with an income needed to learn income (contract section 7)."""

INCOME_CV_FOLDS: Final = 5


def survival_logit(survival: Any) -> Pipeline | None:
    """The fitted ``Pipeline(..., LogisticRegression)`` under a calibrated classifier, if any."""
    calibrated = getattr(survival, "calibrated_classifiers_", None)
    if calibrated is None or len(calibrated) != 1:
        return None
    estimator = calibrated[0].estimator
    if not isinstance(estimator, Pipeline) or not isinstance(estimator[-1], LogisticRegression):
        return None
    return estimator


def laplace_covariance(logit: Pipeline, X: Any) -> NDArray[np.float64]:
    """Inverse Hessian of the penalised log-likelihood of a fitted L2 logit, intercept first.

    scikit-learn minimises ``C * sum(log loss) + ||w||^2 / 2`` (intercept not
    penalised), so the Hessian in units of the log-likelihood is
    ``Z1' W Z1 + diag(0, 1/C, ..., 1/C)`` with ``Z1 = [1, Z]`` the transformed
    design and ``W = p (1 - p)``.
    """
    lr: LogisticRegression = logit[-1]
    Z = np.asarray(logit[:-1].transform(X), dtype=np.float64)
    p = lr.predict_proba(Z)[:, 1]
    Z1 = np.hstack([np.ones((len(Z), 1)), Z])
    hessian = Z1.T @ (Z1 * (p * (1.0 - p))[:, None])
    penalty = np.full(Z1.shape[1], 1.0 / float(lr.C))
    penalty[0] = 1e-8
    hessian[np.diag_indices_from(hessian)] += penalty
    cov: NDArray[np.float64] = np.linalg.inv(hessian)
    return (cov + cov.T) / 2.0


class SurvivalIncomeModel(ClassifierMixin, BaseEstimator):
    """Calibrated survival classifier plus a log-income regressor of active projects.

    Parameters
    ----------
    survival : classifier
        Fitted on all rows (``y`` = active at 12 months); its ``predict_proba`` is
        this model's.
    income : regressor or None
        Fitted on ``log(income)`` of the active rows with a positive income, when
        there are at least ``min_income_rows`` of them.
    min_income_rows : int

    Attributes
    ----------
    survival_ : classifier
    income_ : regressor or None
        ``None`` when the rows had too few incomes: the version has no income part.
    income_sigma_ : float
        Residual standard deviation of log income (cross-validated), NaN without income.
    n_income_rows_ : int
    decision_cov_ : ndarray or None
        Laplace covariance of the survival logit (intercept first), ``None`` when the
        survival estimator is not a calibrated L2 logit.
    classes_ : ndarray
    """

    def __init__(
        self,
        survival: Any = None,
        income: Any = None,
        *,
        min_income_rows: int = MIN_INCOME_ROWS,
    ) -> None:
        self.survival = survival
        self.income = income
        self.min_income_rows = min_income_rows

    def fit(self, X: Any, y: Any, income: Any = None) -> Self:
        """Fit survival on every row, income on the active rows that report one."""
        if self.survival is None:
            raise ValueError("SurvivalIncomeModel needs a survival classifier")
        y_arr = np.asarray(y)
        self.survival_ = clone(self.survival).fit(X, y_arr)
        self.classes_ = self.survival_.classes_
        logit = survival_logit(self.survival_)
        self.decision_cov_ = None if logit is None else laplace_covariance(logit, X)
        self.income_ = None
        self.income_sigma_ = float("nan")
        self.n_income_rows_ = 0
        if income is None or self.income is None:
            return self
        amount = np.asarray(income, dtype=np.float64)
        rows = np.flatnonzero((y_arr == 1) & np.isfinite(amount) & (amount > 0))
        self.n_income_rows_ = len(rows)
        if len(rows) < self.min_income_rows:
            return self
        X_rows = X.iloc[rows] if hasattr(X, "iloc") else np.asarray(X)[rows]
        target = np.log(amount[rows])
        folds = KFold(n_splits=INCOME_CV_FOLDS, shuffle=True, random_state=0)
        held_out = cross_val_predict(clone(self.income), X_rows, target, cv=folds)
        self.income_sigma_ = float(np.std(target - held_out))
        self.income_ = clone(self.income).fit(X_rows, target)
        return self

    @property
    def has_income(self) -> bool:
        """Whether income was learned."""
        check_is_fitted(self, "survival_")
        return self.income_ is not None

    def predict_proba(self, X: Any) -> NDArray[np.float64]:
        """The survival classifier's probabilities (columns in ``classes_`` order)."""
        check_is_fitted(self, "survival_")
        proba: NDArray[np.float64] = self.survival_.predict_proba(X)
        return proba

    def predict(self, X: Any) -> NDArray[Any]:
        """The survival classifier's class predictions."""
        check_is_fitted(self, "survival_")
        out: NDArray[Any] = self.survival_.predict(X)
        return out

    def predict_log_income(self, X: Any) -> NDArray[np.float64]:
        """Predicted mean log net monthly income if active (NaN without an income part)."""
        check_is_fitted(self, "survival_")
        if self.income_ is None:
            return np.full(len(X), np.nan)
        return np.asarray(self.income_.predict(X), dtype=np.float64)


__all__ = ["MIN_INCOME_ROWS", "SurvivalIncomeModel", "laplace_covariance", "survival_logit"]
