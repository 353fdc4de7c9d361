"""Ranking: one order for every door, and the top-k table with costs.

Within a person, options are ordered by descending score, ties broken by
``project_type_id`` (so the same input and model always give the same list).
:func:`rank_pairs` applies it to many people at once, :func:`rank_order` to one
person's arrays; :func:`top_k_options` keeps the first ``top_k`` with the cost and
sector read from the catalogue.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from matcher.contract import columns as c

if TYPE_CHECKING:
    from matcher.reference import Reference

ROW: Final = "_row"
"""Column of a pairs frame holding the position of the person in the input."""


def rank_order(scores: NDArray[np.float64], type_ids: Sequence[str]) -> NDArray[np.intp]:
    """Positions of one person's options, best first (descending score, then id)."""
    if len(type_ids) == 0:
        return np.zeros(0, dtype=np.intp)
    order: NDArray[np.intp] = np.lexsort((np.asarray(type_ids, dtype=object), -scores))
    return order


def rank_pairs(pairs: pd.DataFrame, *, by: str = c.SCORE) -> pd.DataFrame:
    """Sort scored pairs within each person (:data:`ROW`) and number them in ``rank``.

    Within a person, descending ``by`` (``score``, or ``livelihood`` when the
    objective is livelihood), ties broken by ``project_type_id``.
    """
    ranked = pairs.sort_values(
        [ROW, by, c.PROJECT_TYPE_ID], ascending=[True, False, True], kind="stable"
    ).reset_index(drop=True)
    ranked[c.RANK] = ranked.groupby(ROW, sort=False).cumcount().to_numpy() + 1
    return ranked


def top_k_options(
    ranked: pd.DataFrame,
    *,
    reference: Reference,
    top_k: int,
    keep: Sequence[str] = (),
) -> pd.DataFrame:
    """The first ``top_k`` options of each person, with ``sector_id`` and ``cost_mad``.

    Parameters
    ----------
    ranked : pandas.DataFrame
        Output of :func:`rank_pairs`.
    reference : Reference
        Where costs and sectors are read.
    top_k : int
    keep : sequence of str
        Further columns of ``ranked`` to carry over, after the standard ones.

    Returns
    -------
    pandas.DataFrame
        ``beneficiary_id``, ``rank``, ``project_type_id``, ``score``, ``sector_id``,
        ``cost_mad``, then ``keep``; the index is reset, the row order kept.
    """
    top = ranked.loc[ranked[c.RANK] <= top_k]
    types = reference.project_types
    type_ids = top[c.PROJECT_TYPE_ID]
    out = pd.DataFrame(
        {
            c.BENEFICIARY_ID: top[c.BENEFICIARY_ID].to_numpy(),
            c.RANK: top[c.RANK].to_numpy(dtype=np.int64),
            c.PROJECT_TYPE_ID: type_ids.to_numpy(),
            c.SCORE: top[c.SCORE].to_numpy(),
            "sector_id": types["sector_id"].reindex(type_ids).to_numpy(),
            c.COST_MAD: types["typical_cost_mad"].reindex(type_ids).to_numpy(),
        }
    )
    for name in keep:
        out[name] = top[name].to_numpy()
    return out
