"""The hard rules of contract section 3, applied before any scoring.

A project type is eligible for a beneficiary if and only if its cost fits the
budget, its milieu is ``both`` or the person's, and a ``no_heavy_work`` health
constraint rules out ``high`` physical demand. Everything else is for the score.
Each exclusion carries the rule that caused it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from matcher.contract import columns as c

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


@dataclass(frozen=True)
class TypeRules:
    """The catalogue columns the rules read, as arrays (build once per catalogue)."""

    project_type_ids: list[str]
    cost: NDArray[np.float64]
    milieu: NDArray[np.object_]
    heavy: NDArray[np.bool_]

    @classmethod
    def of(cls, project_types: pd.DataFrame) -> TypeRules:
        """Read the rules' columns of a catalogue table."""
        return cls(
            project_type_ids=[str(i) for i in project_types.index],
            cost=project_types["typical_cost_mad"].to_numpy(dtype=np.float64),
            milieu=project_types["milieu"].to_numpy(dtype=object),
            heavy=project_types["physical_demand"].to_numpy(dtype=object) == "high",
        )


def check_eligibility(
    profiles: pd.DataFrame | Mapping[str, Any], project_types: pd.DataFrame | TypeRules
) -> Eligibility:
    """Apply the contract's hard rules to every pair, vectorised.

    Parameters
    ----------
    profiles : pandas.DataFrame or mapping of str to array
        Canonical profile columns (``budget_mad``, ``milieu``, ``health_constraint``).
    project_types : pandas.DataFrame or TypeRules
        Catalogue rows (``typical_cost_mad``, ``milieu``, ``physical_demand``), or
        their :class:`TypeRules` (``Reference.type_rules``) on hot paths.

    Returns
    -------
    Eligibility
    """
    rules = project_types if isinstance(project_types, TypeRules) else TypeRules.of(project_types)
    budget = np.asarray(profiles[c.BUDGET_MAD], dtype=np.float64)[:, None]
    person_milieu = np.asarray(profiles[c.MILIEU], dtype=object)[:, None]
    no_heavy = (np.asarray(profiles[c.HEALTH_CONSTRAINT], dtype=object) == "no_heavy_work")[:, None]
    type_milieu = rules.milieu[None, :]

    over_budget = rules.cost[None, :] > budget
    milieu_mismatch = (type_milieu != "both") & (type_milieu != person_milieu)
    too_physical = no_heavy & rules.heavy[None, :]
    failed = np.stack(np.broadcast_arrays(over_budget, milieu_mismatch, too_physical), axis=-1)
    return Eligibility(
        eligible=np.asarray(~failed.any(axis=-1), dtype=bool),
        failed=failed,
        project_type_ids=rules.project_type_ids,
    )
