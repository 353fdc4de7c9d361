"""Qualification gaps: a training the person lacks that would open a better option.

For every eligible type whose required trades the person has none of, the
service scores the profile with each such training added (in the same model
call as the options themselves); :func:`select_gaps` keeps the trainings that
would lift a type into (or up) the short list, in the terms of the objective
being ranked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import numpy as np
from numpy.typing import NDArray

from matcher.contract.tables import split_list
from matcher.domain import QualificationGap

if TYPE_CHECKING:
    from matcher.model.livelihood import Objective
    from matcher.reference import Reference

MIN_GAP_GAIN: Final = 0.02


def gap_candidates(
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


def select_gaps(
    trials: list[tuple[str, str]],
    trial_scores: NDArray[np.float64],
    scores: dict[str, float],
    ranks: dict[str, int],
    *,
    reference: Reference,
    top_k: int,
    objective: Objective = "survival",
    max_gaps: int = 3,
) -> list[QualificationGap]:
    """Trainings that would lift an eligible type into (or up) the short list.

    ``scores`` are in the objective's terms (survival or livelihood). A gap is
    kept when adding the training raises the type's value by at least
    :data:`MIN_GAP_GAIN` and the new value would rank it higher than now; the
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
            objective=objective,
        )
        current = best.get(ptype)
        if current is None or (gap.score_with, trade) > (current.score_with, current.trade_id):
            best[ptype] = gap
    ordered = sorted(best.values(), key=lambda g: (g.rank_with > top_k, -g.score_with))
    return ordered[:max_gaps]


__all__ = ["MIN_GAP_GAIN", "gap_candidates", "select_gaps"]
