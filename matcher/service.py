"""The one use case behind the API, the counsellor page and ``matcher score``.

:func:`rank_cohort` scores a canonical profile frame (any size; callers chunk
big files) and :func:`recommend` wraps one profile with reasons, qualification
gaps and exclusions. Both go through :func:`score_eligible_pairs`, so a profile
gets the same ranking whichever door it comes through.
"""

from __future__ import annotations

import logging
from typing import Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from matcher import columns as c
from matcher.cohort import profiles_frame
from matcher.domain import Profile
from matcher.eligibility import RULES, check_eligibility
from matcher.explanation import factor_effects, top_reasons
from matcher.reference import Reference
from matcher.results import Exclusion, QualificationGap, Recommendation, RecommendationResult
from matcher.scoring import Scorer
from matcher.tabular import join_list, split_list
from matcher.wording import EXCLUSION_TEXT

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
    elig = check_eligibility(profiles, reference.project_types)
    rows, cols = np.nonzero(elig.eligible)
    type_ids = np.asarray(elig.project_type_ids, dtype=object)
    pairs = profiles.iloc[rows].reset_index(drop=True)
    pairs = pairs.assign(
        _row=rows.astype(np.int64),
        **{c.PROJECT_TYPE_ID: pd.array(type_ids[cols], dtype="str")},
    )
    scores = scorer.score_pairs(pairs)
    pairs = pairs.assign(**{c.SCORE: np.round(scores, 6)})
    pairs = pairs.sort_values(
        ["_row", c.SCORE, c.PROJECT_TYPE_ID], ascending=[True, False, True], kind="stable"
    ).reset_index(drop=True)
    pairs[c.RANK] = pairs.groupby("_row", sort=False).cumcount().to_numpy() + 1
    return pairs


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
    n_eligible = pairs.groupby("_row", sort=False)[c.RANK].transform("max")
    top = pairs.loc[pairs[c.RANK] <= top_k].assign(n_eligible=n_eligible)
    types = reference.project_types
    out = pd.DataFrame(
        {
            c.BENEFICIARY_ID: top[c.BENEFICIARY_ID].to_numpy(),
            c.RANK: top[c.RANK].to_numpy(dtype=np.int64),
            c.PROJECT_TYPE_ID: top[c.PROJECT_TYPE_ID].to_numpy(),
            c.SCORE: top[c.SCORE].to_numpy(),
            "sector_id": types["sector_id"].reindex(top[c.PROJECT_TYPE_ID]).to_numpy(),
            c.COST_MAD: types["typical_cost_mad"].reindex(top[c.PROJECT_TYPE_ID]).to_numpy(),
            c.BUDGET_MAD: top[c.BUDGET_MAD].to_numpy(),
            "n_eligible": top["n_eligible"].to_numpy(dtype=np.int64),
        }
    )
    if explain and len(top):
        _, effects = factor_effects(scorer.features(top.drop(columns=["_row"])), scorer)
        out["reasons"] = [
            " | ".join(f"{r.factor}:{r.effect:+.3f}" for r in top_reasons(e)) for e in effects
        ]
    return out


def _check_top_k(top_k: int) -> None:
    if not 1 <= top_k <= MAX_TOP_K:
        raise ValueError(f"top_k must be between 1 and {MAX_TOP_K}, got {top_k}")


def evidence_count(scorer: Scorer, features: pd.DataFrame) -> NDArray[np.int64]:
    """How many funded projects of the same type and skill match the model saw."""
    table = scorer.manifest.get("evidence", {})
    matched = (
        (features["trained_in_trade"].to_numpy() > 0)
        | (features["experience_trade_years"].to_numpy() > 0)
        | (features["needs_trade"].to_numpy() == 0)
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


def _names(frame: pd.DataFrame, key: str) -> dict[str, str]:
    row = frame.loc[key]
    return {"fr": str(row["name_fr"]), "ar": str(row["name_ar"]), "en": str(row["name_en"])}


def recommend(
    profile: Profile,
    *,
    reference: Reference,
    scorer: Scorer,
    top_k: int = DEFAULT_TOP_K,
    with_gaps: bool = True,
) -> RecommendationResult:
    """Recommend project types for one person, with reasons, gaps and exclusions.

    Parameters
    ----------
    profile : Profile
    reference : Reference
    scorer : Scorer
    top_k : int
        How many eligible types to rank (1-50).
    with_gaps : bool
        Compute qualification gaps (one extra batched scoring call).

    Raises
    ------
    InvalidProfileError
        If the profile names unknown regions, trades, sectors or communes.
    """
    _check_top_k(top_k)
    frame = profiles_frame([profile], reference)
    pairs = score_eligible_pairs(frame, reference=reference, scorer=scorer)
    top = pairs.loc[pairs[c.RANK] <= top_k]
    features = scorer.features(top.drop(columns=["_row"]))
    _, effects = factor_effects(features, scorer)
    evidence = evidence_count(scorer, features)
    types = reference.project_types
    recs = []
    for i, row in enumerate(top.itertuples(index=False)):
        ptype = str(getattr(row, c.PROJECT_TYPE_ID))
        cost = float(types.loc[ptype, "typical_cost_mad"])
        recs.append(
            Recommendation(
                rank=int(getattr(row, c.RANK)),
                project_type_id=ptype,
                score=float(getattr(row, c.SCORE)),
                sector_id=str(types.loc[ptype, "sector_id"]),
                cost_mad=cost,
                budget_mad=float(profile.budget_mad),
                margin_mad=float(profile.budget_mad) - cost,
                evidence_n=int(evidence[i]),
                evidence=evidence_level(int(evidence[i])),
                reasons=tuple(top_reasons(effects[i])),
                names=_names(types, ptype),
            )
        )
    elig = check_eligibility(frame, types)
    excluded = []
    for j, ptype in enumerate(elig.project_type_ids):
        if elig.eligible[0, j]:
            continue
        codes = tuple(elig.reasons(0, j))
        excluded.append(
            Exclusion(
                project_type_id=ptype,
                reason=codes[0],
                reasons=codes,
                text=EXCLUSION_TEXT[codes[0]],
            )
        )
    gaps = qualification_gaps(frame, pairs, reference=reference, scorer=scorer, top_k=top_k)
    result = RecommendationResult(
        beneficiary_id=profile.beneficiary_id,
        model_version=scorer.version,
        top_k=top_k,
        n_eligible=len(pairs),
        recommendations=tuple(recs),
        excluded=tuple(excluded),
        qualification_gaps=tuple(gaps) if with_gaps else (),
    )
    logger.info(
        "recommend beneficiary=%s model=%s top_k=%d eligible=%d excluded=%d",
        profile.beneficiary_id,
        scorer.version,
        top_k,
        len(pairs),
        len(excluded),
    )
    return result


def qualification_gaps(
    frame: pd.DataFrame,
    pairs: pd.DataFrame,
    *,
    reference: Reference,
    scorer: Scorer,
    top_k: int,
    max_gaps: int = 3,
) -> list[QualificationGap]:
    """Trainings that would lift an eligible type into (or up) the short list.

    Each candidate (type, missing required trade) is re-scored with that
    training added to the profile, all in one batched call; a gap is reported
    when the gain is at least :data:`MIN_GAP_GAIN` and the new score would rank
    the type higher than it ranks now, ideally inside the top-k.
    """
    if pairs.empty:
        return []
    types = reference.project_types
    person = frame.iloc[0]
    have = set(split_list(str(person[c.TRAININGS])))
    scores = pairs.set_index(c.PROJECT_TYPE_ID)[c.SCORE]
    ranks = pairs.set_index(c.PROJECT_TYPE_ID)[c.RANK]
    candidates: list[tuple[str, str]] = []
    for ptype in pairs[c.PROJECT_TYPE_ID]:
        required = types.loc[ptype, "required_trades"]
        if not required or have & set(required):
            continue
        candidates.extend((str(ptype), str(t)) for t in required)
    if not candidates:
        return []
    trial = pd.DataFrame([person] * len(candidates)).reset_index(drop=True)
    trial[c.TRAININGS] = [
        join_list([*split_list(str(person[c.TRAININGS])), t]) for _, t in candidates
    ]
    trial[c.PROJECT_TYPE_ID] = pd.array([p for p, _ in candidates], dtype="str")
    new_scores = scorer.score_pairs(trial)
    sorted_scores = np.sort(scores.to_numpy())[::-1]
    gaps = []
    for (ptype, trade), new in zip(candidates, new_scores, strict=True):
        old = float(scores[ptype])
        if new - old < MIN_GAP_GAIN:
            continue
        new_rank = int((sorted_scores > new).sum()) + 1
        if new_rank >= int(ranks[ptype]):
            continue
        gaps.append(
            QualificationGap(
                project_type_id=ptype,
                trade_id=trade,
                score_without=round(old, 6),
                score_with=round(float(new), 6),
                rank_without=int(ranks[ptype]),
                rank_with=new_rank,
                names=_names(types, ptype),
                trade_names=_names(reference.trades, trade),
            )
        )
    best: dict[str, QualificationGap] = {}
    for gap in sorted(gaps, key=lambda g: (-g.score_with, g.project_type_id, g.trade_id)):
        best.setdefault(gap.project_type_id, gap)
    ordered = sorted(best.values(), key=lambda g: (g.rank_with > top_k, -g.score_with))
    return ordered[:max_gaps]


__all__ = [
    "DEFAULT_TOP_K",
    "RULES",
    "evidence_level",
    "qualification_gaps",
    "rank_cohort",
    "recommend",
    "score_eligible_pairs",
]
