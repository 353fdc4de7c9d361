"""What :func:`~matcher.allocation.problem.allocate` returns: the allocation and its baseline.

Also turns a solver state into those results (the per-person assignments table and
the baseline's figures).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
import pandas as pd

from matcher.allocation.solvers import State, spend_of
from matcher.contract.columns import BENEFICIARY_ID, COST_MAD, PROJECT_TYPE_ID, SCORE

STATUS: Final = "status"
REASON: Final = "reason"

ASSIGNMENT_COLUMNS: Final[tuple[str, ...]] = (
    BENEFICIARY_ID,
    PROJECT_TYPE_ID,
    COST_MAD,
    SCORE,
    STATUS,
    REASON,
)
"""Columns of ``Allocation.assignments``, in order."""

FUNDED: Final = "funded"
UNFUNDED: Final = "unfunded"
ENVELOPE_EXHAUSTED: Final = "envelope_exhausted"
NO_ELIGIBLE_OPTION: Final = "no_eligible_option"
CAP_REACHED: Final = "cap_reached"


@dataclass(frozen=True)
class Baseline:
    """The naive policy: each person gets their own top-1 option while money lasts.

    People are taken in order of descending top-1 score (ties: cheaper first, then
    cohort order). A person whose top-1 option does not fit the remaining envelope, or
    a cap, is skipped and the next person is tried; nobody is offered a second choice.

    Attributes
    ----------
    expected_successes : float
        Sum of the funded top-1 scores.
    spend_mad : float
        Money the policy spends (never above the envelope).
    n_funded : int
        People the policy funds.
    """

    expected_successes: float
    spend_mad: float
    n_funded: int


@dataclass(frozen=True)
class Allocation:
    """The result of ``allocate``.

    Attributes
    ----------
    assignments : pandas.DataFrame
        One row per beneficiary, in cohort order, with columns ``ASSIGNMENT_COLUMNS``:
        ``project_type_id`` is ``""`` and ``cost_mad`` and ``score`` are 0 when the
        person is unfunded; ``status`` is ``funded`` or ``unfunded``; ``reason`` is
        ``""``, ``envelope_exhausted`` (they had options, but none fits the money
        left), ``cap_reached`` (an option fits the money left, but caps block every
        such option) or ``no_eligible_option``.
    expected_successes : float
        Sum of the chosen scores: the expected number of businesses active at 12 months.
    spend_mad : float
        Sum of ``cost_mad`` over funded people; never above ``envelope_mad``.
    envelope_mad : float
        The envelope shared.
    method_used : {"exact", "greedy"}
        The solver whose answer is returned.
    optimal : bool
        True when the exact solver proved optimality (to a relative gap of 1e-6).
    upper_bound : float
        A proven upper bound on the best achievable ``expected_successes``.
    gap : float
        ``(upper_bound - expected_successes) / upper_bound`` (0 when the bound is 0).
    solve_seconds : float
        Wall-clock time of the whole call.
    baseline : Baseline
        The top-1 policy under the same envelope and caps.
    gain_over_baseline : float
        ``expected_successes - baseline.expected_successes``.
    type_cap : int or None
        The resolved per-type head-count cap ``ceil(F x n_beneficiaries)``.
    max_per_type_per_commune : int or None
        The per-locality, per-type cap.
    """

    assignments: pd.DataFrame
    expected_successes: float
    spend_mad: float
    envelope_mad: float
    method_used: Literal["exact", "greedy"]
    optimal: bool
    upper_bound: float
    gap: float
    solve_seconds: float
    baseline: Baseline
    gain_over_baseline: float
    type_cap: int | None
    max_per_type_per_commune: int | None

    @property
    def n_funded(self) -> int:
        """Number of funded beneficiaries."""
        return int((self.assignments[STATUS] == FUNDED).sum())


def baseline_figures(state: State) -> Baseline:
    """The baseline's figures from its solver state."""
    return Baseline(
        expected_successes=state.value(),
        spend_mad=spend_of(state),
        n_funded=int((state.choice >= 0).sum()),
    )


def assignments_frame(state: State, cohort: list[str]) -> pd.DataFrame:
    """One row per beneficiary of ``cohort``: the chosen option, or why there is none."""
    pb = state.pb
    left = pb.envelope - spend_of(state)
    type_ids, costs, scores, statuses, reasons = [], [], [], [], []
    for p, opts in enumerate(pb.options):
        b = int(state.choice[p])
        if b >= 0:
            type_ids.append(pb.type_ids[pb.type_idx[b]])
            costs.append(float(pb.cost[b]))
            scores.append(float(pb.score[b]))
            statuses.append(FUNDED)
            reasons.append("")
            continue
        type_ids.append("")
        costs.append(0.0)
        scores.append(0.0)
        statuses.append(UNFUNDED)
        if len(opts) == 0:
            reasons.append(NO_ELIGIBLE_OPTION)
        elif (pb.cost[opts] <= left).any():
            reasons.append(CAP_REACHED)
        else:
            reasons.append(ENVELOPE_EXHAUSTED)
    return pd.DataFrame(
        {
            BENEFICIARY_ID: cohort,
            PROJECT_TYPE_ID: type_ids,
            COST_MAD: np.asarray(costs, dtype=np.float64),
            SCORE: np.asarray(scores, dtype=np.float64),
            STATUS: statuses,
            REASON: reasons,
        },
        columns=list(ASSIGNMENT_COLUMNS),
    )
