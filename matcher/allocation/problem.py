"""Share a budget envelope across a cohort so as to maximise expected active businesses.

The problem is a multiple-choice knapsack with side constraints. Each allowed
(beneficiary, project type) option ``i`` has a calibrated ``score`` (probability that
the business is active at 12 months) and a ``cost_mad``. Choose at most one option per
beneficiary so as to maximise the sum of chosen scores (the expected number of active
businesses) subject to

* the total cost staying within the envelope;
* optionally, at most ``ceil(F x n_beneficiaries)`` people on the same project type;
* optionally, at most ``N`` people of one locality on the same project type (locality =
  ``commune_code``, or the ``region_id`` when the commune is unknown);
* optionally, at least ``min(M, people of the region with an option)`` people funded in
  every region (a floor per region; solved by the exact solver only).

The exact solver is a binary programme solved by ``scipy.optimize.milp`` (HiGHS); the
fallback is a Lagrangian ratio greedy whose distance to the LP-relaxation bound is
reported, so the quality of any answer is known.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Final, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from matcher.allocation.result import (
    ASSIGNMENT_COLUMNS,
    CAP_REACHED,
    ENVELOPE_EXHAUSTED,
    FUNDED,
    NO_ELIGIBLE_OPTION,
    REASON,
    STATUS,
    UNFUNDED,
    Allocation,
    Baseline,
    assignments_frame,
    baseline_figures,
)
from matcher.allocation.solvers import (
    Problem,
    State,
    chosen_options,
    fill,
    polished_best,
    ratio_greedy,
    rebuild,
    solve_exact,
    spend_of,
    top1_baseline,
)
from matcher.contract.columns import (
    BENEFICIARY_ID,
    COMMUNE_CODE,
    COST_MAD,
    PROJECT_TYPE_ID,
    REGION_ID,
    SCORE,
)
from matcher.errors import DataSchemaError

SECTOR_ID: Final = "sector_id"

CANDIDATE_COLUMNS: Final[tuple[str, ...]] = (
    BENEFICIARY_ID,
    PROJECT_TYPE_ID,
    SCORE,
    COST_MAD,
    SECTOR_ID,
    REGION_ID,
    COMMUNE_CODE,
)
"""Columns ``allocate`` requires in its ``candidates`` frame."""

# The result types and their constants live in ``matcher.allocation.result``; they
# stay importable from here, where ``allocate`` is.
__all__ = [
    "ASSIGNMENT_COLUMNS",
    "CANDIDATE_COLUMNS",
    "CAP_REACHED",
    "ENVELOPE_EXHAUSTED",
    "FUNDED",
    "NO_ELIGIBLE_OPTION",
    "REASON",
    "SECTOR_ID",
    "STATUS",
    "UNFUNDED",
    "Allocation",
    "Baseline",
    "Method",
    "allocate",
]


Method = Literal["auto", "exact", "greedy"]
IntArray = npt.NDArray[np.intp]
FloatArray = npt.NDArray[np.float64]


def allocate(
    candidates: pd.DataFrame,
    *,
    envelope_mad: float,
    all_beneficiary_ids: Sequence[str] | None = None,
    max_share_per_type: float | None = None,
    max_per_type_per_commune: int | None = None,
    method: Method = "auto",
    exact_limit: int = 2000,
    time_limit_s: float = 60.0,
    min_per_region: int | None = None,
) -> Allocation:
    """Choose at most one project per beneficiary to maximise expected active businesses.

    Parameters
    ----------
    candidates : pandas.DataFrame
        One row per allowed (beneficiary, project type) option, with the columns
        ``CANDIDATE_COLUMNS``: ``score`` in [0, 1], ``cost_mad`` > 0, ``commune_code``
        ``""`` when unknown (the ``region_id`` is then the locality). Not modified.
    envelope_mad : float
        Money to share (MAD), finite and >= 0.
    all_beneficiary_ids : sequence of str, optional
        The whole cohort, in output order. People without candidate rows appear
        unfunded with reason ``no_eligible_option``. Default: the candidates' ids in
        order of first appearance.
    max_share_per_type : float, optional
        ``F`` in (0, 1]: at most ``ceil(F x n_beneficiaries)`` people on one type
        (the product is rounded down first when within 1e-9 of an integer).
    max_per_type_per_commune : int, optional
        ``N`` >= 0: at most ``N`` people of one locality on one type.
    method : {"auto", "exact", "greedy"}
        ``"exact"`` always runs the binary programme; ``"auto"`` runs it when at most
        ``exact_limit`` people have options, the greedy otherwise; ``"greedy"`` never
        runs it. When the binary programme stops at the time limit, the better of its
        incumbent and the greedy is returned; when it finds nothing, the greedy is.
    exact_limit : int
        Largest number of people with options that ``"auto"`` solves exactly.
    time_limit_s : float
        Time limit given to each HiGHS solve (binary programme, LP bound).
    min_per_region : int, optional
        ``M`` >= 0: fund at least ``min(M, people of the region with an option)`` people
        in every region. Needs the exact solver (``method`` ``"auto"`` or ``"exact"``).

    Returns
    -------
    Allocation
        Assignments, objective, spend, bound, gap and the top-1 baseline.

    Raises
    ------
    DataSchemaError
        On a missing column, a score outside [0, 1], a cost <= 0, a duplicated
        (beneficiary, type) row, a negative or non-finite envelope, a bad parameter,
        or candidates naming people absent from ``all_beneficiary_ids``; when the
        floors per region cannot be met within the envelope and caps.

    Notes
    -----
    Greedy (Lagrangian ratio greedy for the multiple-choice knapsack): start with
    everyone unfunded; repeatedly apply the move -- fund a person, or upgrade them to
    a higher-scoring option -- with the largest score gained per extra MAD among the
    moves that fit the money left and the caps (lazy priority queue). Then spend what
    is left: apply the feasible upgrades with the largest score gain, and fund anybody
    whose option still fits. The same polishing is run from two other starts -- the
    top-1 baseline, and the LP relaxation rounded (options with x > 0.5, re-added by
    descending score while they fit) -- and the best of the three is kept, so the
    greedy never does worse than the baseline. The LP relaxation also gives the upper
    bound, so the greedy's distance to the optimum is known (``gap``).
    """
    started = time.perf_counter()
    _check_parameters(envelope_mad, max_share_per_type, max_per_type_per_commune, method)
    cohort, frame = _validated(candidates, all_beneficiary_ids)
    type_cap = _type_cap(max_share_per_type, len(cohort))
    problem = _problem(frame, cohort, float(envelope_mad), type_cap, max_per_type_per_commune)
    if min_per_region is not None:
        problem = _with_floors(problem, min_per_region, method)

    baseline_state = top1_baseline(problem)
    state, method_used, optimal, bound = _solve(
        problem, baseline_state, method=method, exact_limit=exact_limit, time_limit_s=time_limit_s
    )
    value = state.value()
    bound = max(_finite_bound(problem, bound), value)
    baseline = baseline_figures(baseline_state)
    return Allocation(
        assignments=assignments_frame(state, cohort),
        expected_successes=value,
        spend_mad=spend_of(state),
        envelope_mad=float(envelope_mad),
        method_used="exact" if method_used == "exact" else "greedy",
        optimal=optimal,
        upper_bound=bound,
        gap=(bound - value) / bound if bound > 0 else 0.0,
        solve_seconds=time.perf_counter() - started,
        baseline=baseline,
        gain_over_baseline=value - baseline.expected_successes,
        type_cap=type_cap,
        max_per_type_per_commune=max_per_type_per_commune,
    )


def _with_floors(problem: Problem, floor: int, method: str) -> Problem:
    """The problem with a floor of funded people per region (exact solver only)."""
    if isinstance(floor, bool) or not isinstance(floor, int | np.integer) or floor < 0:
        raise DataSchemaError(f"min_per_region must be an integer >= 0, got {floor!r}")
    if method == "greedy":
        raise DataSchemaError("min_per_region needs the exact solver: use method auto or exact")
    assert problem.region_idx is not None
    people = np.zeros(int(problem.region_idx.max(initial=-1)) + 1, dtype=np.intp)
    for opts in problem.options:
        if len(opts):
            people[problem.region_idx[opts[0]]] += 1
    return replace(problem, region_floor=np.minimum(people, int(floor)).astype(np.intp))


def _type_cap(max_share_per_type: float | None, n_beneficiaries: int) -> int | None:
    """``ceil(F x n)``, the product rounded down first when within 1e-9 of an integer."""
    if max_share_per_type is None:
        return None
    return math.ceil(max_share_per_type * n_beneficiaries - 1e-9)


def _solve(
    problem: Problem,
    baseline_state: State,
    *,
    method: Method,
    exact_limit: int,
    time_limit_s: float,
) -> tuple[State, str, bool, float]:
    """Run the exact solver when asked, the greedy when it is not proven optimal.

    Returns the state kept, the method that produced it, whether it is proven
    optimal, and the best bound found so far (``inf`` when none).
    """
    n_with_options = sum(1 for opts in problem.options if len(opts))
    use_exact = method == "exact" or (method == "auto" and n_with_options <= exact_limit)
    if problem.region_floor is not None:
        return _solve_with_floors(problem, time_limit_s)
    state, method_used, optimal, bound = None, "greedy", False, math.inf
    if use_exact:
        state, optimal, bound = _exact(problem, time_limit_s)
        if state is not None:
            method_used = "exact"
    if state is None or not optimal:
        greedy_state, lp_bound = _greedy(problem, baseline_state, time_limit_s)
        bound = min(bound, lp_bound)
        if state is None or greedy_state.value() > state.value():
            state, method_used = greedy_state, "greedy"
    return state, method_used, optimal, bound


def _solve_with_floors(problem: Problem, time_limit_s: float) -> tuple[State, str, bool, float]:
    """The exact solver alone (the greedy knows no floors); a clear error when infeasible."""
    state, optimal, bound = _exact(problem, time_limit_s)
    assert problem.region_floor is not None
    assert problem.region_idx is not None
    if state is not None:
        chosen = state.choice[state.choice >= 0]
        funded = np.bincount(problem.region_idx[chosen], minlength=len(problem.region_floor))
        if (funded >= problem.region_floor).all():
            return state, "exact", optimal, bound
    raise DataSchemaError(
        "the floor of people funded per region cannot be met within the envelope and caps "
        f"(it asks for {int(problem.region_floor.sum())} people in "
        f"{int((problem.region_floor > 0).sum())} regions): lower --min-per-region or "
        "raise the envelope"
    )


def _exact(problem: Problem, time_limit_s: float) -> tuple[State | None, bool, float]:
    """The binary programme's (filled) incumbent, whether optimal, and its dual bound."""
    x, is_optimal, dual_bound = solve_exact(problem, time_limit_s, integral=True)
    if x is None:
        return None, False, math.inf
    state = rebuild(problem, np.flatnonzero(x > 0.5))
    fill(state)
    return state, is_optimal, dual_bound


def _greedy(problem: Problem, baseline_state: State, time_limit_s: float) -> tuple[State, float]:
    """Best polished start (ratio greedy, baseline, rounded LP) and the LP bound."""
    lp_x, _, lp_bound = solve_exact(problem, time_limit_s, integral=False)
    starts = [ratio_greedy(problem), rebuild(problem, chosen_options(baseline_state))]
    if lp_x is not None:
        starts.append(rebuild(problem, np.flatnonzero(lp_x > 0.5)))
    return polished_best(starts), lp_bound


def _finite_bound(problem: Problem, bound: float) -> float:
    """The bound, or the sum of everyone's best score when no solver gave one."""
    if math.isfinite(bound):
        return bound
    return math.fsum(problem.score[opts[0]] for opts in problem.options if len(opts))


def _check_parameters(
    envelope_mad: float,
    max_share_per_type: float | None,
    max_per_type_per_commune: int | None,
    method: str,
) -> None:
    try:
        envelope = float(envelope_mad)
    except (TypeError, ValueError):
        raise DataSchemaError(f"envelope_mad must be a number, got {envelope_mad!r}") from None
    if not math.isfinite(envelope) or envelope < 0:
        raise DataSchemaError(
            f"envelope_mad must be a finite amount >= 0 MAD, got {envelope_mad!r}"
        )
    if max_share_per_type is not None and not 0 < max_share_per_type <= 1:
        raise DataSchemaError(f"max_share_per_type must be in (0, 1], got {max_share_per_type!r}")
    if max_per_type_per_commune is not None and (
        isinstance(max_per_type_per_commune, bool)
        or not isinstance(max_per_type_per_commune, int | np.integer)
        or max_per_type_per_commune < 0
    ):
        raise DataSchemaError(
            f"max_per_type_per_commune must be an integer >= 0, got {max_per_type_per_commune!r}"
        )
    if method not in ("auto", "exact", "greedy"):
        raise DataSchemaError(f"method must be 'auto', 'exact' or 'greedy', got {method!r}")


def _validated(
    candidates: pd.DataFrame, all_beneficiary_ids: Sequence[str] | None
) -> tuple[list[str], pd.DataFrame]:
    """Check the candidates; return the cohort and a clean copy of the needed columns."""
    missing = [c for c in CANDIDATE_COLUMNS if c not in candidates.columns]
    if missing:
        raise DataSchemaError(
            f"candidates lack required column(s): {', '.join(missing)}",
            details={"missing": missing},
        )
    text = {
        col: _text(candidates[col])
        for col in (BENEFICIARY_ID, PROJECT_TYPE_ID, SECTOR_ID, REGION_ID, COMMUNE_CODE)
    }
    score = pd.to_numeric(candidates[SCORE], errors="coerce").astype(float)
    cost = pd.to_numeric(candidates[COST_MAD], errors="coerce").astype(float)
    frame = pd.DataFrame({**text, SCORE: score.to_numpy(), COST_MAD: cost.to_numpy()})
    if (frame[BENEFICIARY_ID] == "").any() or (frame[PROJECT_TYPE_ID] == "").any():
        raise DataSchemaError("candidates have an empty beneficiary_id or project_type_id")
    bad = ~frame[SCORE].between(0.0, 1.0)
    if bad.any():
        raise DataSchemaError(
            f"score must be a number in [0, 1]; {int(bad.sum())} row(s) are not "
            f"(first: {candidates[SCORE].iloc[int(np.argmax(bad.to_numpy()))]!r})"
        )
    bad = ~(np.isfinite(frame[COST_MAD]) & (frame[COST_MAD] > 0))
    if bad.any():
        raise DataSchemaError(
            f"cost_mad must be a finite amount > 0; {int(bad.sum())} row(s) are not"
        )
    dup = frame.duplicated([BENEFICIARY_ID, PROJECT_TYPE_ID])
    if dup.any():
        first = frame.loc[dup, [BENEFICIARY_ID, PROJECT_TYPE_ID]].iloc[0].tolist()
        raise DataSchemaError(
            f"candidates repeat (beneficiary_id, project_type_id) pairs, e.g. {tuple(first)}"
        )
    present = list(dict.fromkeys(frame[BENEFICIARY_ID]))
    if all_beneficiary_ids is None:
        return present, frame
    cohort = [str(b) for b in all_beneficiary_ids]
    if len(set(cohort)) != len(cohort):
        raise DataSchemaError("all_beneficiary_ids contains duplicates")
    unknown = sorted(set(present) - set(cohort))
    if unknown:
        raise DataSchemaError(
            f"candidates name {len(unknown)} beneficiary id(s) absent from "
            f"all_beneficiary_ids, e.g. {unknown[0]!r}"
        )
    return cohort, frame


def _text(column: pd.Series) -> npt.NDArray[np.str_]:
    """A column as strings, missing values as ``""``."""
    values = column.to_numpy(dtype=object)
    out: npt.NDArray[np.str_] = values.astype(str)
    out[pd.isna(values)] = ""
    return out


def _problem(
    frame: pd.DataFrame,
    cohort: list[str],
    envelope: float,
    type_cap: int | None,
    group_cap: int | None,
) -> Problem:
    person = pd.Index(cohort).get_indexer(frame[BENEFICIARY_ID]).astype(np.intp)
    type_codes, type_ids = pd.factorize(frame[PROJECT_TYPE_ID])
    locality = np.where(
        frame[COMMUNE_CODE] != "", "c:" + frame[COMMUNE_CODE], "r:" + frame[REGION_ID]
    )
    group_codes, _ = pd.factorize(pd.Series(locality) + "\x1f" + frame[PROJECT_TYPE_ID].to_numpy())
    region_codes, _ = pd.factorize(frame[REGION_ID])
    score = frame[SCORE].to_numpy(dtype=np.float64)
    cost = frame[COST_MAD].to_numpy(dtype=np.float64)
    names = frame[PROJECT_TYPE_ID].to_numpy(dtype=object)
    order = np.lexsort((names, cost, -score, person))
    person = person[order]
    starts = np.searchsorted(person, np.arange(len(cohort) + 1))
    idx = np.arange(len(order), dtype=np.intp)
    return Problem(
        person=person,
        score=score[order],
        cost=cost[order],
        type_idx=np.asarray(type_codes, dtype=np.intp)[order],
        group_idx=np.asarray(group_codes, dtype=np.intp)[order],
        type_ids=[str(t) for t in type_ids],
        options=[idx[starts[p] : starts[p + 1]] for p in range(len(cohort))],
        envelope=envelope,
        type_cap=type_cap,
        group_cap=group_cap,
        region_idx=np.asarray(region_codes, dtype=np.intp)[order],
    )
