"""Tests of training.pipeline: the logit's blocks and their shrinkage."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from matcher.features.builder import CATEGORICAL_FEATURES, NUMERIC_FEATURES
from training.pipeline import (
    CATEGORY_SCALE,
    MARKET_SCALE,
    TYPE_SCALE,
    base_estimator,
)


def test_logit_sees_every_feature_once():
    prep = base_estimator("logit").steps[0][1]
    seen = Counter(col for _, _, cols in prep.transformers for col in cols)
    assert set(seen) == set(NUMERIC_FEATURES) | set(CATEGORICAL_FEATURES)
    assert set(seen.values()) == {1}


def test_type_and_market_dummies_are_shrunk_hardest():
    assert TYPE_SCALE < CATEGORY_SCALE
    assert MARKET_SCALE < CATEGORY_SCALE
    frame = pd.DataFrame(
        {name: np.zeros(4) for name in NUMERIC_FEATURES}
        | {
            "project_type": ["snack_bar"] * 4,
            "sector": ["catering"] * 4,
            "region": ["MA-01"] * 4,
            "region_sector": ["MA-01|catering"] * 4,
        }
    )
    prep = base_estimator("logit").steps[0][1]
    for block in ("type", "cat", "market"):
        prep.set_params(**{f"{block}__onehotencoder__min_frequency": None})
    out = prep.fit(frame).transform(frame)
    # one level per categorical column: one dummy each for type, sector, region, market
    blocks = out[0, len(NUMERIC_FEATURES) :]
    np.testing.assert_allclose(blocks, [TYPE_SCALE, CATEGORY_SCALE, CATEGORY_SCALE, MARKET_SCALE])
