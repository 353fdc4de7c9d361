"""What a version rests on: funded projects per type, and which features matter.

:func:`evidence_table` counts the funded projects of each type with and without
the trade (the counsellor sees how many projects back an option);
:func:`feature_importance` is the permutation importance on held-out rows.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sklearn.inspection import permutation_importance

from matcher.contract import columns as c
from matcher.model.scorer import Scorer


def evidence_table(history: pd.DataFrame, scorer: Scorer) -> dict[str, dict[str, int]]:
    """Funded projects per type, split by whether the person had the trade."""
    features = scorer.features(history)
    matched = (
        (features["trained_in_trade"] > 0)
        | (features["experience_trade_years"] > 0)
        | (features["needs_trade"] == 0)
    )
    table: dict[str, dict[str, int]] = {}
    for (ptype, m), n in (
        pd.Series(1, index=[history[c.PROJECT_TYPE_ID], matched])
        .groupby(level=[0, 1])
        .sum()
        .items()
    ):
        table.setdefault(str(ptype), {"match": 0, "no_match": 0})["match" if m else "no_match"] = (
            int(n)
        )
    return table


def feature_importance(
    scorer: Scorer, test: pd.DataFrame, random_state: int
) -> list[dict[str, Any]]:
    """Permutation importance (drop in ROC AUC) on the held-out rows."""
    features = scorer.features(test)
    result = permutation_importance(
        scorer.pipeline.named_steps["model"],
        features,
        test[c.ACTIVE_12M].to_numpy(),
        scoring="roc_auc",
        n_repeats=3,
        random_state=random_state,
    )
    rows = [
        {"feature": name, "importance": round(float(m), 5), "std": round(float(s), 5)}
        for name, m, s in zip(
            features.columns, result.importances_mean, result.importances_std, strict=True
        )
    ]
    return sorted(rows, key=lambda r: -r["importance"])


__all__ = ["evidence_table", "feature_importance"]
