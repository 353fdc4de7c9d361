"""Scorer: the fitted pipeline plus its manifest, scoring pairs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from matcher.features.builder import FeatureColumns, PairFeatureBuilder, feature_frame, n_rows
from matcher.model.linear import LinearForm
from matcher.model.registry import LoadedModel, Registry

if TYPE_CHECKING:
    from matcher.reference import Reference


@dataclass(frozen=True)
class Scorer:
    """Score (profile, project type) pairs with one model version.

    Pairs go through the pipeline's feature step, then through the model's
    :class:`~matcher.model.linear.LinearForm` when it has one (checked against
    ``predict_proba`` when the scorer is made), else through sklearn.

    Attributes
    ----------
    version : str
    pipeline : sklearn.pipeline.Pipeline
        ``features`` then ``model`` (a calibrated classifier).
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
