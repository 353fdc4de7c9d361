"""The hard rules of contract section 3, applied before any scoring.

A project type is eligible for a beneficiary if and only if its cost fits the
budget, its milieu is ``both`` or the person's, and a ``no_heavy_work`` health
constraint rules out ``high`` physical demand. Everything else is for the score.
Each exclusion carries the rule that caused it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from matcher import columns as c

OVER_BUDGET: Final = "over_budget"
MILIEU_MISMATCH: Final = "milieu_mismatch"
TOO_PHYSICAL: Final = "too_physical"
RULES: Final[tuple[str, ...]] = (OVER_BUDGET, MILIEU_MISMATCH, TOO_PHYSICAL)
"""Reason codes, in the order they are reported."""


@dataclass(frozen=True)
class Eligibility:
    """Eligibility of every (beneficiary, project type) pair.

    Attributes
    ----------
    eligible : ndarray of bool, shape (n_beneficiaries, n_types)
    failed : ndarray of bool, shape (n_beneficiaries, n_types, 3)
        Which of :data:`RULES` each pair fails.
    project_type_ids : list of str
        Column order of the matrices.
    """

    eligible: NDArray[np.bool_]
    failed: NDArray[np.bool_]
    project_type_ids: list[str]

    def reasons(self, row: int, col: int) -> list[str]:
        """Reason codes that exclude pair ``(row, col)`` (empty if eligible)."""
        return [rule for k, rule in enumerate(RULES) if self.failed[row, col, k]]


def check_eligibility(profiles: pd.DataFrame, project_types: pd.DataFrame) -> Eligibility:
    """Apply the contract's hard rules to every pair, vectorised.

    Parameters
    ----------
    profiles : pandas.DataFrame
        Canonical profile frame (``budget_mad``, ``milieu``, ``health_constraint``).
    project_types : pandas.DataFrame
        Catalogue rows (``typical_cost_mad``, ``milieu``, ``physical_demand``).

    Returns
    -------
    Eligibility
    """
    budget = profiles[c.BUDGET_MAD].to_numpy(dtype=np.float64)[:, None]
    cost = project_types["typical_cost_mad"].to_numpy(dtype=np.float64)[None, :]
    person_milieu = profiles[c.MILIEU].to_numpy(dtype=object)[:, None]
    type_milieu = project_types["milieu"].to_numpy(dtype=object)[None, :]
    no_heavy = (profiles[c.HEALTH_CONSTRAINT].to_numpy(dtype=object) == "no_heavy_work")[:, None]
    heavy = (project_types["physical_demand"].to_numpy(dtype=object) == "high")[None, :]

    over_budget = cost > budget
    milieu_mismatch = (type_milieu != "both") & (type_milieu != person_milieu)
    too_physical = no_heavy & heavy
    failed = np.stack(np.broadcast_arrays(over_budget, milieu_mismatch, too_physical), axis=-1)
    return Eligibility(
        eligible=np.asarray(~failed.any(axis=-1), dtype=bool),
        failed=failed,
        project_type_ids=[str(i) for i in project_types.index],
    )
