"""Faithful reasons: how much each factor moves *this* score, by occlusion.

For every recommended pair, each factor's features are set to a neutral value
(no training, no experience, education at the project's minimum, no stated
preference, age 35, a typical budget margin, national local figures, an
unknown region) and the pair is re-scored by the same model in one batched
call. The factor's effect is the score minus the neutralised score: positive
means the factor raised the estimate. A test pins that neutralising the top
factor moves the score the stated way, so reasons cannot drift from the model.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from matcher.domain import Reason
from matcher.features.builder import DENSITY_COLUMNS, FeatureColumns, PairFeatureBuilder, n_rows
from matcher.model.facts import Fact
from matcher.model.scorer import Scorer
from matcher.wording import FACTOR_GROUP, LANGUAGES, reason_text

NEUTRAL_AGE: Final = 35.0
NEUTRAL_BUDGET_SLACK: Final = 0.2
MIN_EFFECT: Final = 0.005
MAX_REASONS: Final = 4

FACTOR_FEATURES: Final[dict[str, tuple[str, ...]]] = {
    "training": ("trained_in_trade", "trained_in_sector"),
    "experience": ("experience_trade_years", "experience_sector_years"),
    "education": ("education_shortfall", "education_margin"),
    "preference": ("prefers_sector",),
    "age_demand": ("age", "age_over_40_x_demand", "age_over_50_x_demand"),
    "milieu": ("outside_natural_milieu",),
    "budget": ("budget_slack",),
    "local_competition": ("competition_index", "local_density_all", "local_one_person"),
    "local_economy": (
        "local_unemployment",
        "local_activity",
        "local_self_employed",
        "local_urban_share",
        "region_unemployment",
        "region_poverty",
        "agri_rural_share",
    ),
    "regional_record": ("region", "region_sector", "market_income_record"),
}
FACTORS: Final[tuple[str, ...]] = tuple(FACTOR_FEATURES)
SCORE_DECIMALS: Final = 6
"""Scores are shown, stored and compared rounded to this many decimals."""


def _national(builder: PairFeatureBuilder) -> dict[str, float]:
    mean = builder.national_values_
    unemployment = [u for u, _ in builder.region_figures_.values()]
    poverty = [p for _, p in builder.region_figures_.values()]
    out = {
        "local_urban_share": float(mean[0]),
        "local_unemployment": float(mean[1]),
        "local_activity": float(mean[2]),
        "local_self_employed": float(mean[3]),
        "local_one_person": float(mean[4]),
        "local_density_all": float(np.nansum(mean[5:9]))
        if not np.isnan(mean[5:9]).all()
        else np.nan,
        "region_unemployment": float(np.mean(unemployment)),
        "region_poverty": float(np.mean(poverty)),
    }
    for k, col in enumerate(DENSITY_COLUMNS):
        out[col] = float(mean[5 + k])
    return out


def neutral_values(
    features: pd.DataFrame | Mapping[str, Any],
    factor: str,
    builder: PairFeatureBuilder,
    national: dict[str, float] | None = None,
) -> dict[str, Any]:
    """The neutral value of each feature of one factor (a scalar or one per row)."""
    nat = national if national is not None else _national(builder)
    if factor in ("training", "experience", "preference", "milieu"):
        return dict.fromkeys(FACTOR_FEATURES[factor], 0.0)
    if factor == "education":
        return {"education_shortfall": 0.0, "education_margin": 0.0}
    if factor == "age_demand":
        return {"age": NEUTRAL_AGE, "age_over_40_x_demand": 0.0, "age_over_50_x_demand": 0.0}
    if factor == "budget":
        return {"budget_slack": NEUTRAL_BUDGET_SLACK}
    if factor == "local_competition":
        return {
            "competition_index": 0.0,
            "local_density_all": nat["local_density_all"],
            "local_one_person": nat["local_one_person"],
        }
    if factor == "local_economy":
        agriculture = np.asarray(features["sector"], dtype=object) == "agriculture"
        values: dict[str, Any] = {
            col: nat[col] for col in FACTOR_FEATURES[factor] if col != "agri_rural_share"
        }
        values["agri_rural_share"] = np.where(agriculture, 1.0 - nat["local_urban_share"], 0.0)
        return values
    if factor == "regional_record":
        return {"region": None, "region_sector": None, "market_income_record": 0.0}
    raise ValueError(f"unknown factor {factor!r}")


def neutralise(
    features: pd.DataFrame,
    factor: str,
    builder: PairFeatureBuilder,
    national: dict[str, float] | None = None,
) -> pd.DataFrame:
    """A copy of ``features`` with one factor set to its neutral value."""
    out = features.copy()
    for col, value in neutral_values(features, factor, builder, national).items():
        if value is None:
            out[col] = pd.Series([None] * len(out), index=out.index, dtype=object)
        else:
            out[col] = value
    return out


def factor_effects(
    features: pd.DataFrame | Mapping[str, Any],
    scorer: Scorer,
    *,
    extra: Mapping[str, Any] | None = None,
    value: Callable[[FeatureColumns], NDArray[np.float64]] | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Scores and per-factor effects of each row, in one model call: the reason scorer.

    ``features`` are stacked with one neutralised copy per factor; the rows of
    ``extra`` (same feature columns, e.g. qualification-gap trials) ride along in the
    same call. Scores are rounded to :data:`SCORE_DECIMALS` before effects are taken,
    so an effect is the difference of the two scores a person would be shown.
    ``value`` measures what is ranked (default: the survival score; the service
    passes livelihood when it ranks by livelihood), so reasons explain the
    objective being ranked.

    Returns
    -------
    scores : ndarray, shape (n,)
    effects : ndarray, shape (n, n_factors)
        ``score - score_with_factor_neutralised``, in :data:`FACTORS` order.
    extra_scores : ndarray, shape (n_extra,)
    """
    n = n_rows(features)
    n_extra = 0 if extra is None else n_rows(extra)
    if n == 0:
        empty: NDArray[np.float64] = np.zeros(0)
        return empty, np.zeros((0, len(FACTORS))), empty
    stack = neutralised_stack(features, scorer.builder)
    if extra is not None and n_extra:
        stack = {
            name: np.concatenate([values, np.asarray(extra[name])])
            for name, values in stack.items()
        }
    measure = scorer.score_features if value is None else value
    scores = np.round(measure(stack), SCORE_DECIMALS)
    base, effects = split_effects(scores, n)
    return base, effects, scores[n * (len(FACTORS) + 1) :]


def neutralised_stack(
    features: pd.DataFrame | Mapping[str, Any], builder: PairFeatureBuilder
) -> FeatureColumns:
    """``features`` followed by one neutralised copy per factor (in FACTORS order).

    Built column by column in numpy: this runs on every recommendation, where
    pandas' per-operation cost would dominate.
    """
    national = _national(builder)
    n = n_rows(features)
    blocks = len(FACTORS) + 1
    columns = {col: np.tile(np.asarray(features[col]), blocks) for col in features}
    for i, factor in enumerate(FACTORS, start=1):
        rows = slice(i * n, (i + 1) * n)
        for col, value in neutral_values(features, factor, builder, national).items():
            columns[col][rows] = value
    return columns


def split_effects(
    scores: NDArray[np.float64], n: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Split the scores of a :func:`neutralised_stack` into scores and effects."""
    scored = scores[: n * (len(FACTORS) + 1)].reshape(len(FACTORS) + 1, n)
    return scored[0], (scored[0][None, :] - scored[1:]).T


def top_reasons(
    effects: NDArray[np.float64],
    *,
    max_reasons: int = MAX_REASONS,
    facts: Mapping[str, Fact] | None = None,
    names: Mapping[str, Mapping[str, str]] | None = None,
) -> list[Reason]:
    """The factors with the largest effects (2 to ``max_reasons``), largest first.

    ``facts`` (by factor, from :func:`matcher.model.facts.pair_facts`) choose the
    words: what is true of this person and this project type; ``names`` give the
    trades' names. Without them a factor gets words that claim no fact.
    """
    order = np.argsort(-np.abs(effects), kind="stable")
    reasons: list[Reason] = []
    for k in order[:max_reasons]:
        effect = float(effects[k])
        if abs(effect) < MIN_EFFECT and len(reasons) >= 2:
            break
        if round(effect, 4) == 0.0:
            continue
        factor = FACTORS[k]
        fact = (facts or {}).get(factor, Fact(""))
        trade_names = [(names or {}).get(t, dict.fromkeys(LANGUAGES, t)) for t in fact.trade_ids]
        reasons.append(
            Reason(
                factor=factor,
                group=FACTOR_GROUP[factor],
                effect=round(effect, 4),
                text=reason_text(factor, effect > 0, fact.kind, trade_names),
                fact=fact.kind,
                trade_ids=fact.trade_ids,
            )
        )
    return reasons
