"""Scorer: the fitted pipeline plus its manifest, scoring pairs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from matcher.errors import ObjectiveUnavailableError
from matcher.features.builder import FeatureColumns, PairFeatureBuilder, feature_frame, n_rows
from matcher.model.linear import LinearForm
from matcher.model.livelihood import (
    OBJECTIVES,
    Estimates,
    Objective,
    check_threshold,
    expected_income,
    livelihood_probability,
    score_interval,
)
from matcher.model.registry import LoadedModel, Registry

if TYPE_CHECKING:
    from matcher.reference import Reference


@dataclass(frozen=True)
class Scorer:
    """Score (profile, project type) pairs with one model version.

    Pairs go through the pipeline's feature step, then through the model's
    :class:`~matcher.model.linear.LinearForm` when it has one (checked against
    ``predict_proba`` when the scorer is made), else through sklearn. The model
    step is a calibrated classifier (versions saved before income) or a
    :class:`~matcher.model.survival_income.SurvivalIncomeModel`, which adds the
    income part and the covariance behind each score's interval.

    Attributes
    ----------
    version : str
    pipeline : sklearn.pipeline.Pipeline
        ``features`` then ``model``.
    manifest : dict
    linear : LinearForm or None
        Read from ``pipeline`` on construction.
    """

    version: str
    pipeline: Any
    manifest: dict[str, Any]
    linear: LinearForm | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "linear", LinearForm.from_pipeline(self.pipeline))

    @classmethod
    def from_loaded(cls, loaded: LoadedModel) -> Scorer:
        """Wrap a model loaded from the registry.

        Raises
        ------
        ModelIntegrityError
            The artefact is not the fitted ``Pipeline`` (features, model).
        """
        from matcher.model.smoke import check_pipeline

        check_pipeline(loaded.pipeline, loaded.version)
        return cls(version=loaded.version, pipeline=loaded.pipeline, manifest=loaded.manifest)

    @classmethod
    def load(
        cls, registry: Registry | Path | str, version: str | None = None, *, reference: Reference
    ) -> Scorer:
        """Load ``version`` (the active one by default) from ``registry`` for ``reference``.

        The one way every door (API, CLI, Dask workers, training's comparison)
        loads a scorer: the registry checks the manifest, the artefact's sha256 and
        the catalogue fingerprint of ``reference`` before unpickling.

        Raises
        ------
        UnknownModelVersionError, NoActiveModelError, CatalogueMismatchError, IncompatibleModelError
            (``ModelIntegrityError`` when altered or not the fitted Pipeline).
        """
        if not isinstance(registry, Registry):
            registry = Registry(registry)
        return cls.from_loaded(registry.load(version, reference_fingerprint=reference.fingerprint))

    @property
    def builder(self) -> PairFeatureBuilder:
        """The pipeline's feature step."""
        builder: PairFeatureBuilder = self.pipeline.named_steps["features"]
        return builder

    def score_pairs(self, pairs: pd.DataFrame | Mapping[str, Any]) -> NDArray[np.float64]:
        """P(active at 12 months) for each pair, in [0, 1]."""
        if n_rows(pairs) == 0:
            return np.zeros(0)
        return self.score_features(self.feature_columns(pairs))

    def features(self, pairs: pd.DataFrame) -> pd.DataFrame:
        """The feature frame the model sees (the pipeline's first step)."""
        frame: pd.DataFrame = self.builder.transform(pairs)
        return frame

    def feature_columns(self, pairs: pd.DataFrame | Mapping[str, Any]) -> FeatureColumns:
        """The features as plain arrays (see :meth:`PairFeatureBuilder.transform_columns`)."""
        return self.builder.transform_columns(pairs)

    def score_features(self, features: pd.DataFrame | Mapping[str, Any]) -> NDArray[np.float64]:
        """Score an already built (possibly modified) feature frame or mapping."""
        if n_rows(features) == 0:
            return np.zeros(0)
        if self.linear is not None:
            proba = self.linear.predict_proba(features)
        else:
            frame = features if isinstance(features, pd.DataFrame) else feature_frame(features)
            proba = self.pipeline.named_steps["model"].predict_proba(frame)[:, 1]
        return np.clip(np.asarray(proba, dtype=np.float64), 0.0, 1.0)

    @property
    def model(self) -> Any:
        """The pipeline's final step."""
        return self.pipeline.named_steps["model"]

    @property
    def has_income(self) -> bool:
        """Whether the version learned income (contract section 7)."""
        return getattr(self.model, "income_", None) is not None

    @property
    def income_sigma(self) -> float:
        """Residual standard deviation of log income (NaN without income)."""
        return float(getattr(self.model, "income_sigma_", np.nan))

    def resolve_objective(self, objective: str | None) -> Objective:
        """``livelihood`` or ``survival``; ``None`` means livelihood when there is income.

        Raises
        ------
        ObjectiveUnavailableError
            ``livelihood`` asked of a version without an income part, or an unknown name.
        """
        if objective is None:
            return "livelihood" if self.has_income else "survival"
        if objective not in OBJECTIVES:
            raise ObjectiveUnavailableError(
                f"unknown objective {objective!r}; expected one of {', '.join(OBJECTIVES)}"
            )
        if objective == "livelihood" and not self.has_income:
            raise ObjectiveUnavailableError(
                f"model version {self.version} has no income part (its history had too "
                "few incomes): rank by the survival objective"
            )
        return "livelihood" if objective == "livelihood" else "survival"

    def _point(
        self, features: pd.DataFrame | Mapping[str, Any]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """(P(active), mean log income or NaN) of each row, without intervals."""
        if self.linear is not None:
            out = self.linear.outputs(features)
            proba = self.linear.probability(out[:, 0])
            mu = out[:, 1] if self.linear.has_income else np.full(len(out), np.nan)
        else:
            frame = features if isinstance(features, pd.DataFrame) else feature_frame(features)
            proba = self.model.predict_proba(frame)[:, 1]
            predict = getattr(self.model, "predict_log_income", None)
            mu = predict(frame) if predict is not None else np.full(len(frame), np.nan)
        return np.clip(np.asarray(proba, dtype=np.float64), 0.0, 1.0), np.asarray(mu, np.float64)

    def objective_values(
        self,
        features: pd.DataFrame | Mapping[str, Any],
        *,
        objective: Objective,
        livelihood_mad: float,
    ) -> NDArray[np.float64]:
        """What ``objective`` ranks by, for each row (the reasons' and gaps' yardstick)."""
        if n_rows(features) == 0:
            return np.zeros(0)
        proba, mu = self._point(features)
        if objective == "survival":
            return proba
        return livelihood_probability(proba, mu, self.income_sigma, livelihood_mad)

    def estimate_features(
        self, features: pd.DataFrame | Mapping[str, Any], *, livelihood_mad: float
    ) -> Estimates:
        """Score, its 90 % interval, livelihood and expected income of each row."""
        threshold = check_threshold(livelihood_mad)
        n = n_rows(features)
        if n == 0:
            empty = np.zeros(0)
            return Estimates(empty, empty, empty, empty, empty)
        proba, mu = self._point(features)
        sigma = self.income_sigma
        low = high = np.full(n, np.nan)
        if self.linear is not None and self.linear.spread is not None:
            low, high = score_interval(proba, self.linear.decision_sd(features))
        return Estimates(
            score=proba,
            score_low=low,
            score_high=high,
            livelihood=livelihood_probability(proba, mu, sigma, threshold),
            expected_income_mad=expected_income(mu, sigma),
        )

    def estimate_pairs(
        self, pairs: pd.DataFrame | Mapping[str, Any], *, livelihood_mad: float
    ) -> Estimates:
        """:meth:`estimate_features` of the pairs' features."""
        return self.estimate_features(self.feature_columns(pairs), livelihood_mad=livelihood_mad)
