"""Scorer: the fitted pipeline plus its manifest, scoring pairs frames."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from matcher.registry import LoadedModel


@dataclass(frozen=True)
class Scorer:
    """Score (profile, project type) pairs with one model version.

    Attributes
    ----------
    version : str
    pipeline : sklearn.pipeline.Pipeline
        ``features`` then ``model`` (a calibrated classifier).
    manifest : dict
    """

    version: str
    pipeline: Any
    manifest: dict[str, Any]

    @classmethod
    def from_loaded(cls, loaded: LoadedModel) -> Scorer:
        """Wrap a model loaded from the registry."""
        return cls(version=loaded.version, pipeline=loaded.pipeline, manifest=loaded.manifest)

    def score_pairs(self, pairs: pd.DataFrame) -> NDArray[np.float64]:
        """P(active at 12 months) for each pair, in [0, 1]."""
        if len(pairs) == 0:
            return np.zeros(0)
        proba = self.pipeline.predict_proba(pairs)[:, 1]
        return np.clip(np.asarray(proba, dtype=np.float64), 0.0, 1.0)

    def features(self, pairs: pd.DataFrame) -> pd.DataFrame:
        """The feature frame the model sees (the pipeline's first step)."""
        frame: pd.DataFrame = self.pipeline.named_steps["features"].transform(pairs)
        return frame

    def score_features(self, features: pd.DataFrame) -> NDArray[np.float64]:
        """Score an already built (possibly modified) feature frame."""
        if len(features) == 0:
            return np.zeros(0)
        proba = self.pipeline.named_steps["model"].predict_proba(features)[:, 1]
        return np.clip(np.asarray(proba, dtype=np.float64), 0.0, 1.0)
