"""The one use case behind the API, the counsellor page and ``matcher score``.

:func:`rank_cohort` scores a canonical profile frame (any size; callers chunk
big files) and :func:`recommend` wraps one profile with reasons, qualification
gaps and exclusions. Both go through :func:`score_eligible_pairs`, so a profile
gets the same ranking whichever door it comes through.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from matcher.contract import columns as c
from matcher.contract.eligibility import Eligibility, check_eligibility
from matcher.contract.profile_rules import check_profile, profile_to_row
from matcher.contract.tables import join_list, split_list
from matcher.domain import (
    Exclusion,
    Profile,
    Recommendation,
    RecommendationResult,
)
from matcher.model.explanation import FACTORS, SCORE_DECIMALS, factor_effects, top_reasons
from matcher.model.facts import PairTrades, pair_facts
from matcher.model.livelihood import DEFAULT_LIVELIHOOD_MAD, Estimates, Objective
from matcher.model.scorer import Scorer
from matcher.qualification import gap_candidates, select_gaps
from matcher.ranking import ROW, rank_order, rank_pairs, top_k_options
from matcher.reference import Reference
from matcher.wording import EXCLUSION_TEXT, missing_trade_text

logger = logging.getLogger(__name__)

DEFAULT_TOP_K: Final = 5
MAX_TOP_K: Final = 50
THIN_EVIDENCE: Final = 20
SOLID_EVIDENCE: Final = 80
INCOME_DECIMALS: Final = 2
ESTIMATE_COLUMNS: Final[tuple[str, ...]] = (
    "livelihood",
    "expected_income_mad",
    "score_low",
    "score_high",
)
"""Contract section 7's columns, beside ``score``."""


def estimate_columns(estimates: Estimates) -> dict[str, NDArray[np.float64]]:
    """``score`` and the section 7 columns, rounded as shown."""
    return {
        c.SCORE: np.round(estimates.score, SCORE_DECIMALS),
        "livelihood": np.round(estimates.livelihood, SCORE_DECIMALS),
        "expected_income_mad": np.round(estimates.expected_income_mad, INCOME_DECIMALS),
        "score_low": np.round(estimates.score_low, SCORE_DECIMALS),
        "score_high": np.round(estimates.score_high, SCORE_DECIMALS),
    }


def score_eligible_pairs(
    profiles: pd.DataFrame,
    *,
    reference: Reference,
    scorer: Scorer,
    objective: str | None = None,
    livelihood_mad: float = DEFAULT_LIVELIHOOD_MAD,
) -> pd.DataFrame:
    """Score every eligible (profile, project type) pair.

    Returns a frame with ``_row`` (position in ``profiles``), the profile
    columns, ``project_type_id``, ``score``, ``livelihood``,
    ``expected_income_mad``, ``score_low`` and ``score_high``, ranked within
    each person by the objective (descending ``livelihood`` or ``score``), ties
    broken by ``project_type_id``, with ``rank``.

    Raises
    ------
    ObjectiveUnavailableError
        ``livelihood`` asked of a version without an income part.
    """
    goal = scorer.resolve_objective(objective)
    elig = check_eligibility(profiles, reference.type_rules)
    rows, cols = np.nonzero(elig.eligible)
    type_ids = np.asarray(elig.project_type_ids, dtype=object)
    pairs = profiles.iloc[rows].reset_index(drop=True)
    pairs = pairs.assign(
        **{ROW: rows.astype(np.int64), c.PROJECT_TYPE_ID: pd.array(type_ids[cols], dtype="str")},
    )
    estimates = scorer.estimate_pairs(pairs, livelihood_mad=livelihood_mad)
    by = "livelihood" if goal == "livelihood" else c.SCORE
    return rank_pairs(pairs.assign(**estimate_columns(estimates)), by=by)


def rank_cohort(
    profiles: pd.DataFrame,
    *,
    reference: Reference,
    scorer: Scorer,
    top_k: int = DEFAULT_TOP_K,
    explain: bool = False,
    objective: str | None = None,
    livelihood_mad: float = DEFAULT_LIVELIHOOD_MAD,
) -> pd.DataFrame:
    """Top-k eligible project types for every person of a canonical profile frame.

    Returns one row per (beneficiary, recommended type): ``beneficiary_id``,
    ``rank``, ``project_type_id``, ``score``, ``sector_id``, ``cost_mad``,
    ``budget_mad``, ``n_eligible``, ``livelihood``, ``expected_income_mad``,
    ``score_low``, ``score_high`` (and ``reasons`` when ``explain``). ``rank``
    follows ``objective`` (``None``: livelihood when the version has an income
    part, survival otherwise).
    """
    _check_top_k(top_k)
    goal = scorer.resolve_objective(objective)
    pairs = score_eligible_pairs(
        profiles, reference=reference, scorer=scorer, objective=goal, livelihood_mad=livelihood_mad
    )
    pairs["n_eligible"] = pairs.groupby(ROW, sort=False)[c.RANK].transform("max")
    keep = [c.BUDGET_MAD, "n_eligible", *ESTIMATE_COLUMNS]
    out = top_k_options(pairs, reference=reference, top_k=top_k, keep=keep)
    out["n_eligible"] = out["n_eligible"].astype(np.int64)
    if explain and len(out):
        top = pairs.loc[pairs[c.RANK] <= top_k].drop(columns=[ROW, "n_eligible"])
        _, effects, _ = factor_effects(
            scorer.feature_columns(top), scorer, value=_measure(scorer, goal, livelihood_mad)
        )
        out["reasons"] = [
            " | ".join(f"{r.factor}:{r.effect:+.3f}" for r in top_reasons(e)) for e in effects
        ]
    return out


def _measure(
    scorer: Scorer, objective: Objective, livelihood_mad: float
) -> Callable[[Mapping[str, Any]], NDArray[np.float64]]:
    """What the objective ranks by, as a function of feature columns."""

    def measure(features: Mapping[str, Any]) -> NDArray[np.float64]:
        return scorer.objective_values(features, objective=objective, livelihood_mad=livelihood_mad)

    return measure


def _check_top_k(top_k: int) -> None:
    if not 1 <= top_k <= MAX_TOP_K:
        raise ValueError(f"top_k must be between 1 and {MAX_TOP_K}, got {top_k}")


def evidence_count(scorer: Scorer, features: pd.DataFrame | Mapping[str, Any]) -> NDArray[np.int64]:
    """How many funded projects of the same type and skill match the model saw."""
    table = scorer.manifest.get("evidence", {})
    matched = (
        (np.asarray(features["trained_in_trade"]) > 0)
        | (np.asarray(features["experience_trade_years"]) > 0)
        | (np.asarray(features["needs_trade"]) == 0)
    )
    return np.array(
        [
            int(table.get(str(t), {}).get("match" if m else "no_match", 0))
            for t, m in zip(features["project_type"], matched, strict=True)
        ],
        dtype=np.int64,
    )


def evidence_level(n: int) -> str:
    """``thin``, ``moderate`` or ``solid``."""
    if n < THIN_EVIDENCE:
        return "thin"
    return "moderate" if n < SOLID_EVIDENCE else "solid"


def recommend(
    profile: Profile,
    *,
    reference: Reference,
    scorer: Scorer,
    top_k: int = DEFAULT_TOP_K,
    with_gaps: bool = True,
    objective: str | None = None,
    livelihood_mad: float = DEFAULT_LIVELIHOOD_MAD,
) -> RecommendationResult:
    """Recommend project types for one person, with reasons, gaps and exclusions.

    Everything is scored in one pass: the eligible pairs, the profile with
    each missing training added (qualification gaps), and every pair with each
    factor neutralised (reasons) go through one feature transformation and one
    model call. The ranking is the one :func:`rank_cohort` gives.

    Parameters
    ----------
    profile : Profile
    reference : Reference
    scorer : Scorer
    top_k : int
        How many eligible types to rank (1-50).
    with_gaps : bool
        Compute qualification gaps.
    objective : {"livelihood", "survival"} or None
        What the ranking, the reasons and the gaps follow; ``None``: livelihood
        when the version has an income part, survival otherwise.
    livelihood_mad : float
        Net monthly income (MAD) a livelihood must reach.

    Raises
    ------
    InvalidProfileError
        If the profile names unknown regions, trades, sectors or communes.
    ObjectiveUnavailableError
        ``livelihood`` asked of a version without an income part.
    """
    _check_top_k(top_k)
    goal = scorer.resolve_objective(objective)
    check_profile(profile, reference)
    row = profile_to_row(profile)
    elig = check_eligibility({k: np.array([v]) for k, v in row.items()}, reference.type_rules)
    eligible_ids = [t for t, ok in zip(elig.project_type_ids, elig.eligible[0], strict=True) if ok]
    trials = gap_candidates(str(row[c.TRAININGS]), eligible_ids, reference) if with_gaps else []
    scored = _score_options(row, eligible_ids, trials, scorer, goal, livelihood_mad)
    order = rank_order(scored.values, eligible_ids)
    ranks = {eligible_ids[k]: r for r, k in enumerate(order, start=1)}
    recs = [
        _recommendation(rank, eligible_ids[k], k, scored, profile=profile, reference=reference)
        for rank, k in enumerate(order[:top_k], start=1)
    ]
    excluded = _exclusions(elig)
    gaps = select_gaps(
        trials,
        scored.trial_values,
        dict(zip(eligible_ids, scored.values, strict=True)),
        ranks,
        reference=reference,
        top_k=top_k,
        objective=goal,
    )
    logger.debug(
        "recommend beneficiary=%s model=%s top_k=%d eligible=%d excluded=%d gaps=%d",
        profile.beneficiary_id,
        scorer.version,
        top_k,
        len(eligible_ids),
        len(excluded),
        len(gaps),
    )
    return RecommendationResult(
        beneficiary_id=profile.beneficiary_id,
        model_version=scorer.version,
        top_k=top_k,
        n_eligible=len(eligible_ids),
        recommendations=tuple(recs),
        excluded=tuple(excluded),
        qualification_gaps=tuple(gaps),
        objective=goal,
        livelihood_mad=float(livelihood_mad),
    )


@dataclass(frozen=True)
class _ScoredOptions:
    """One person's eligible options scored, with reasons' effects and gap trials.

    ``values`` (what the objective ranks by), ``effects`` and ``trial_values``
    are in the objective's terms; ``estimates`` holds every shown figure.
    """

    values: NDArray[np.float64]
    effects: NDArray[np.float64]
    evidence: NDArray[np.int64]
    trial_values: NDArray[np.float64]
    estimates: dict[str, NDArray[np.float64]]
    features: Mapping[str, NDArray[Any]]


def _score_options(
    row: Mapping[str, object],
    eligible_ids: list[str],
    trials: list[tuple[str, str]],
    scorer: Scorer,
    objective: Objective,
    livelihood_mad: float,
) -> _ScoredOptions:
    """Score the eligible pairs, their neutralised copies and the gap trials at once."""
    n_base = len(eligible_ids)
    pair_types = eligible_ids + [ptype for ptype, _ in trials]
    pairs: dict[str, NDArray[Any]] = {
        col: np.full(len(pair_types), value, dtype=object if isinstance(value, str) else None)
        for col, value in row.items()
    }
    trainings = str(row[c.TRAININGS])
    pairs[c.TRAININGS] = np.array(
        [trainings] * n_base + [join_list([*split_list(trainings), trade]) for _, trade in trials],
        dtype=object,
    )
    pairs[c.PROJECT_TYPE_ID] = np.array(pair_types, dtype=object)
    if not n_base:
        empty = np.zeros(0)
        return _ScoredOptions(
            empty, np.zeros((0, len(FACTORS))), np.zeros(0, np.int64), empty, {}, {}
        )
    features = scorer.feature_columns(pairs)
    base = {name: values[:n_base] for name, values in features.items()}
    trial = {name: values[n_base:] for name, values in features.items()}
    values, effects, trial_values = factor_effects(
        base, scorer, extra=trial, value=_measure(scorer, objective, livelihood_mad)
    )
    shown = estimate_columns(scorer.estimate_features(base, livelihood_mad=livelihood_mad))
    evidence = evidence_count(scorer, base)
    return _ScoredOptions(values, effects, evidence, trial_values, shown, base)


def _recommendation(
    rank: int,
    ptype: str,
    k: int,
    scored: _ScoredOptions,
    *,
    profile: Profile,
    reference: Reference,
) -> Recommendation:
    """The ``k``-th eligible option, shown at ``rank``, with cost, evidence and reasons."""
    cost = reference.type_cost[ptype]
    budget = float(profile.budget_mad)
    trades = PairTrades(
        trainings=profile.trainings,
        experience={e.trade_id: float(e.years) for e in profile.experience},
        required=reference.type_required_trades[ptype],
        type_sector=reference.type_sector[ptype],
        trade_sector=reference.trade_sector,
    )
    facts = pair_facts({name: values[k] for name, values in scored.features.items()}, trades)
    missing = trades.missing()
    shown = {name: _optional(values[k]) for name, values in scored.estimates.items()}
    return Recommendation(
        rank=rank,
        project_type_id=ptype,
        score=float(scored.estimates[c.SCORE][k]),
        sector_id=reference.type_sector[ptype],
        cost_mad=cost,
        budget_mad=budget,
        margin_mad=budget - cost,
        evidence_n=int(scored.evidence[k]),
        evidence=evidence_level(int(scored.evidence[k])),
        reasons=tuple(top_reasons(scored.effects[k], facts=facts, names=reference.names)),
        names=reference.names[ptype],
        missing_trades=missing,
        missing_trade_text=missing_trade_text([reference.names[t] for t in missing]),
        livelihood=shown["livelihood"],
        expected_income_mad=shown["expected_income_mad"],
        score_low=shown["score_low"],
        score_high=shown["score_high"],
    )


def _optional(value: float) -> float | None:
    """A finite number as a float, NaN as None (the version cannot say)."""
    number = float(value)
    return number if np.isfinite(number) else None


def _exclusions(elig: Eligibility) -> list[Exclusion]:
    """Every ineligible type of the (single) person with the rules that excluded it."""
    return [
        Exclusion(
            project_type_id=ptype,
            reason=elig.reasons(0, j)[0],
            reasons=tuple(elig.reasons(0, j)),
            text=EXCLUSION_TEXT[elig.reasons(0, j)[0]],
        )
        for j, ptype in enumerate(elig.project_type_ids)
        if not elig.eligible[0, j]
    ]


__all__ = [
    "DEFAULT_TOP_K",
    "ESTIMATE_COLUMNS",
    "evidence_level",
    "rank_cohort",
    "recommend",
    "score_eligible_pairs",
]
