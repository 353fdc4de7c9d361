"""The one use case behind the API, the counsellor page and ``matcher score``.

:func:`rank_cohort` scores a canonical profile frame (any size; callers chunk
big files) and :func:`recommend` wraps one profile with reasons, qualification
gaps and exclusions. Both go through :func:`score_eligible_pairs`, so a profile
gets the same ranking whichever door it comes through.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
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
    QualificationGap,
    Recommendation,
    RecommendationResult,
)
from matcher.model.explanation import FACTORS, SCORE_DECIMALS, factor_effects, top_reasons
from matcher.model.facts import PairTrades, pair_facts
from matcher.model.scorer import Scorer
from matcher.ranking import ROW, rank_order, rank_pairs, top_k_options
from matcher.reference import Reference
from matcher.wording import EXCLUSION_TEXT, missing_trade_text

logger = logging.getLogger(__name__)

DEFAULT_TOP_K: Final = 5
MAX_TOP_K: Final = 50
THIN_EVIDENCE: Final = 20
SOLID_EVIDENCE: Final = 80
MIN_GAP_GAIN: Final = 0.02


def score_eligible_pairs(
    profiles: pd.DataFrame, *, reference: Reference, scorer: Scorer
) -> pd.DataFrame:
    """Score every eligible (profile, project type) pair.

    Returns a frame with ``_row`` (position in ``profiles``), the profile
    columns, ``project_type_id`` and ``score``, ranked within each person by
    descending score, ties broken by ``project_type_id``, with ``rank``.
    """
    elig = check_eligibility(profiles, reference.type_rules)
    rows, cols = np.nonzero(elig.eligible)
    type_ids = np.asarray(elig.project_type_ids, dtype=object)
    pairs = profiles.iloc[rows].reset_index(drop=True)
    pairs = pairs.assign(
        **{ROW: rows.astype(np.int64), c.PROJECT_TYPE_ID: pd.array(type_ids[cols], dtype="str")},
    )
    scores = scorer.score_pairs(pairs)
    return rank_pairs(pairs.assign(**{c.SCORE: np.round(scores, SCORE_DECIMALS)}))


def rank_cohort(
    profiles: pd.DataFrame,
    *,
    reference: Reference,
    scorer: Scorer,
    top_k: int = DEFAULT_TOP_K,
    explain: bool = False,
) -> pd.DataFrame:
    """Top-k eligible project types for every person of a canonical profile frame.

    Returns one row per (beneficiary, recommended type): ``beneficiary_id``,
    ``rank``, ``project_type_id``, ``score``, ``sector_id``, ``cost_mad``,
    ``budget_mad``, ``n_eligible`` (and ``reasons`` when ``explain``).
    """
    _check_top_k(top_k)
    pairs = score_eligible_pairs(profiles, reference=reference, scorer=scorer)
    pairs["n_eligible"] = pairs.groupby(ROW, sort=False)[c.RANK].transform("max")
    out = top_k_options(pairs, reference=reference, top_k=top_k, keep=[c.BUDGET_MAD, "n_eligible"])
    out["n_eligible"] = out["n_eligible"].astype(np.int64)
    if explain and len(out):
        top = pairs.loc[pairs[c.RANK] <= top_k].drop(columns=[ROW, "n_eligible"])
        _, effects, _ = factor_effects(scorer.feature_columns(top), scorer)
        out["reasons"] = [
            " | ".join(f"{r.factor}:{r.effect:+.3f}" for r in top_reasons(e)) for e in effects
        ]
    return out


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

    Raises
    ------
    InvalidProfileError
        If the profile names unknown regions, trades, sectors or communes.
    """
    _check_top_k(top_k)
    check_profile(profile, reference)
    row = profile_to_row(profile)
    elig = check_eligibility({k: np.array([v]) for k, v in row.items()}, reference.type_rules)
    eligible_ids = [t for t, ok in zip(elig.project_type_ids, elig.eligible[0], strict=True) if ok]
    trials = _gap_candidates(str(row[c.TRAININGS]), eligible_ids, reference) if with_gaps else []
    scored = _score_options(row, eligible_ids, trials, scorer)
    order = rank_order(scored.scores, eligible_ids)
    ranks = {eligible_ids[k]: r for r, k in enumerate(order, start=1)}
    recs = [
        _recommendation(rank, eligible_ids[k], k, scored, profile=profile, reference=reference)
        for rank, k in enumerate(order[:top_k], start=1)
    ]
    excluded = _exclusions(elig)
    gaps = _select_gaps(
        trials,
        scored.trial_scores,
        dict(zip(eligible_ids, scored.scores, strict=True)),
        ranks,
        reference=reference,
        top_k=top_k,
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
    )


@dataclass(frozen=True)
class _ScoredOptions:
    """One person's eligible options scored, with reasons' effects and gap trials."""

    scores: NDArray[np.float64]
    effects: NDArray[np.float64]
    evidence: NDArray[np.int64]
    trial_scores: NDArray[np.float64]
    features: Mapping[str, NDArray[Any]]


def _score_options(
    row: Mapping[str, object],
    eligible_ids: list[str],
    trials: list[tuple[str, str]],
    scorer: Scorer,
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
        return _ScoredOptions(
            np.zeros(0), np.zeros((0, len(FACTORS))), np.zeros(0, np.int64), np.zeros(0), {}
        )
    features = scorer.feature_columns(pairs)
    base = {name: values[:n_base] for name, values in features.items()}
    trial = {name: values[n_base:] for name, values in features.items()}
    scores, effects, trial_scores = factor_effects(base, scorer, extra=trial)
    return _ScoredOptions(scores, effects, evidence_count(scorer, base), trial_scores, base)


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
    return Recommendation(
        rank=rank,
        project_type_id=ptype,
        score=float(scored.scores[k]),
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
    )


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


def _gap_candidates(
    trainings: str, eligible_ids: list[str], reference: Reference
) -> list[tuple[str, str]]:
    """(type, trade) pairs: an eligible type's required trade the person lacks."""
    have = set(split_list(trainings))
    out: list[tuple[str, str]] = []
    for ptype in eligible_ids:
        required = reference.type_required_trades[ptype]
        if required and not have & set(required):
            out.extend((ptype, str(t)) for t in required)
    return out


def _select_gaps(
    trials: list[tuple[str, str]],
    trial_scores: NDArray[np.float64],
    scores: dict[str, float],
    ranks: dict[str, int],
    *,
    reference: Reference,
    top_k: int,
    max_gaps: int = 3,
) -> list[QualificationGap]:
    """Trainings that would lift an eligible type into (or up) the short list.

    A gap is kept when adding the training raises the type's score by at least
    :data:`MIN_GAP_GAIN` and the new score would rank it higher than now; the
    best training per type is kept, those reaching the top-k first.
    """
    if not trials:
        return []
    sorted_scores = np.sort(np.asarray(list(scores.values())))[::-1]
    best: dict[str, QualificationGap] = {}
    for (ptype, trade), new in zip(trials, trial_scores, strict=True):
        old = float(scores[ptype])
        new_rank = int((sorted_scores > new).sum()) + 1
        if new - old < MIN_GAP_GAIN or new_rank >= ranks[ptype]:
            continue
        gap = QualificationGap(
            project_type_id=ptype,
            trade_id=trade,
            score_without=round(old, 6),
            score_with=round(float(new), 6),
            rank_without=ranks[ptype],
            rank_with=new_rank,
            names=reference.names[ptype],
            trade_names=reference.names[trade],
        )
        current = best.get(ptype)
        if current is None or (gap.score_with, trade) > (current.score_with, current.trade_id):
            best[ptype] = gap
    ordered = sorted(best.values(), key=lambda g: (g.rank_with > top_k, -g.score_with))
    return ordered[:max_gaps]


__all__ = [
    "DEFAULT_TOP_K",
    "evidence_level",
    "rank_cohort",
    "recommend",
    "score_eligible_pairs",
]
