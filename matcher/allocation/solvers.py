"""Solvers behind :func:`~matcher.allocation.problem.allocate`: exact MILP, greedy, LP bound.

Split out of ``matcher.allocation.problem`` to keep each module small; the public surface stays
``matcher.allocation.problem.allocate``.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

IntArray = npt.NDArray[np.intp]
FloatArray = npt.NDArray[np.float64]

MIP_REL_GAP: Final = 1e-6
"""Relative gap at which HiGHS may declare the binary programme solved."""


@dataclass(frozen=True)
class Problem:
    """Options as arrays, sorted by person, then descending score, cost, type id."""

    person: IntArray
    score: FloatArray
    cost: FloatArray
    type_idx: IntArray
    group_idx: IntArray
    type_ids: list[str]
    options: list[IntArray]
    envelope: float
    type_cap: int | None
    group_cap: int | None
    region_idx: IntArray | None = None
    """Region of each option's person (only with regional floors)."""
    region_floor: IntArray | None = None
    """Least number of people to fund in each region (only with regional floors)."""


class State:
    """A mutable, always-feasible selection (one option per person at most)."""

    def __init__(self, problem: Problem) -> None:
        self.pb = problem
        self.choice = np.full(len(problem.options), -1, dtype=np.intp)
        self.type_count = np.zeros(len(problem.type_ids), dtype=np.intp)
        self.group_count = np.zeros(int(problem.group_idx.max(initial=-1)) + 1, dtype=np.intp)
        self.spend = 0.0

    def can_switch(self, p: int, b: int) -> bool:
        """Whether person ``p`` may move from their current choice to option ``b``."""
        pb, a = self.pb, int(self.choice[p])
        cost_a = pb.cost[a] if a >= 0 else 0.0
        if self.spend - cost_a + pb.cost[b] > pb.envelope:
            return False
        same_type = a >= 0 and pb.type_idx[a] == pb.type_idx[b]
        if (
            pb.type_cap is not None
            and not same_type
            and self.type_count[pb.type_idx[b]] >= pb.type_cap
        ):
            return False
        same_group = a >= 0 and pb.group_idx[a] == pb.group_idx[b]
        return not (
            pb.group_cap is not None
            and not same_group
            and self.group_count[pb.group_idx[b]] >= pb.group_cap
        )

    def switch(self, p: int, b: int) -> None:
        """Move person ``p`` to option ``b`` (feasibility is the caller's check)."""
        pb, a = self.pb, int(self.choice[p])
        if a >= 0:
            self.spend -= pb.cost[a]
            self.type_count[pb.type_idx[a]] -= 1
            self.group_count[pb.group_idx[a]] -= 1
        self.spend += pb.cost[b]
        self.type_count[pb.type_idx[b]] += 1
        self.group_count[pb.group_idx[b]] += 1
        self.choice[p] = b

    def value(self) -> float:
        """Sum of chosen scores."""
        chosen = self.choice[self.choice >= 0]
        return math.fsum(self.pb.score[chosen])


def solve_exact(
    problem: Problem, time_limit_s: float, *, integral: bool
) -> tuple[FloatArray | None, bool, float]:
    """Solve the binary programme (or its LP relaxation) with HiGHS.

    Returns the solution (None when none was found), whether it is proven optimal,
    and an upper bound on the objective (``inf`` when none is known).
    """
    n = len(problem.score)
    if n == 0:
        return np.zeros(0), True, 0.0
    cols = np.arange(n)
    rows = [sparse.csr_array((np.ones(n), (problem.person, cols)), shape=(len(problem.options), n))]
    upper = [np.ones(len(problem.options))]
    scale = float(problem.cost.max())
    rows.append(sparse.csr_array(problem.cost.reshape(1, -1) / scale))
    upper.append(np.array([problem.envelope / scale]))
    for index, cap in (
        (problem.type_idx, problem.type_cap),
        (problem.group_idx, problem.group_cap),
    ):
        if cap is None:
            continue
        counts = np.bincount(index)
        binding = np.flatnonzero(counts > cap)
        if len(binding) == 0:
            continue
        mask = np.isin(index, binding)
        row_of = np.searchsorted(binding, index[mask])
        rows.append(
            sparse.csr_array((np.ones(mask.sum()), (row_of, cols[mask])), shape=(len(binding), n))
        )
        upper.append(np.full(len(binding), float(cap)))
    lower = [np.full(len(u), -np.inf) for u in upper]
    if problem.region_idx is not None and problem.region_floor is not None:
        regions = len(problem.region_floor)
        rows.append(sparse.csr_array((np.ones(n), (problem.region_idx, cols)), shape=(regions, n)))
        upper.append(np.full(regions, np.inf))
        lower.append(problem.region_floor.astype(np.float64))
    constraint = LinearConstraint(
        sparse.vstack(rows, format="csr"), np.concatenate(lower), np.concatenate(upper)
    )
    options: dict[str, float | bool] = {"time_limit": float(time_limit_s), "presolve": True}
    if integral:
        options["mip_rel_gap"] = MIP_REL_GAP
    res = milp(
        c=-problem.score,
        constraints=constraint,
        integrality=np.full(n, 1 if integral else 0),
        bounds=Bounds(0, 1),
        options=options,
    )
    x = None if res.x is None else np.asarray(res.x, dtype=np.float64)
    if res.status == 0 and not integral:
        return x, True, -float(res.fun)
    dual = getattr(res, "mip_dual_bound", None)
    bound = -float(dual) if dual is not None and np.isfinite(dual) else math.inf
    return x, res.status == 0, bound


def rebuild(problem: Problem, chosen: IntArray) -> State:
    """A feasible state from chosen options, added by descending score if they fit."""
    state = State(problem)
    for b in sorted(chosen.tolist(), key=lambda i: -problem.score[i]):
        p = int(problem.person[b])
        if state.choice[p] < 0 and state.can_switch(p, b):
            state.switch(p, b)
    return state


def top1_baseline(problem: Problem) -> State:
    """Top-1 policy: people by descending top-1 score (then cheaper, then cohort order)."""
    people = [p for p, opts in enumerate(problem.options) if len(opts)]
    people.sort(
        key=lambda p: (
            -problem.score[problem.options[p][0]],
            problem.cost[problem.options[p][0]],
            p,
        )
    )
    state = State(problem)
    for p in people:
        top = int(problem.options[p][0])
        if state.can_switch(p, top):
            state.switch(p, top)
    return state


def best_move(state: State, p: int) -> tuple[float, float, int] | None:
    """The feasible move of ``p`` with the best (score gained per MAD, score gained)."""
    pb, a = state.pb, int(state.choice[p])
    score_a = pb.score[a] if a >= 0 else 0.0
    cost_a = pb.cost[a] if a >= 0 else 0.0
    best: tuple[float, float, int] | None = None
    for b in pb.options[p].tolist():
        gain = pb.score[b] - score_a
        if b == a or gain <= 0 or not state.can_switch(p, b):
            continue
        extra = pb.cost[b] - cost_a
        move = (math.inf if extra <= 0 else gain / extra, gain, b)
        if best is None or move[:2] > best[:2]:
            best = move
    return best


def ratio_greedy(problem: Problem) -> State:
    """Lagrangian ratio greedy: repeatedly take the feasible move with most score per MAD."""
    state = State(problem)
    heap: list[tuple[float, float, int]] = []
    for p in range(len(problem.options)):
        move = best_move(state, p)
        if move is not None:
            heap.append((-move[0], -move[1], p))
    heapq.heapify(heap)
    while heap:
        _, _, p = heapq.heappop(heap)
        move = best_move(state, p)  # lazy: moves only get worse as money and caps run out
        if move is None:
            continue
        if heap and (-move[0], -move[1]) > heap[0][:2]:
            heapq.heappush(heap, (-move[0], -move[1], p))
            continue
        state.switch(p, move[2])
        move = best_move(state, p)
        if move is not None:
            heapq.heappush(heap, (-move[0], -move[1], p))
    return state


def upgrade(state: State, max_passes: int = 50) -> None:
    """Spend what is left on the feasible moves with the largest score gain."""
    pb = state.pb
    for _ in range(max_passes):
        moves: list[tuple[float, int, int]] = []
        for p, opts in enumerate(pb.options):
            a = int(state.choice[p])
            base = pb.score[a] if a >= 0 else 0.0
            moves.extend((pb.score[b] - base, p, b) for b in opts.tolist() if pb.score[b] > base)
        moves.sort(key=lambda m: -m[0])
        changed = set()
        for _gain, p, b in moves:
            if p not in changed and state.can_switch(p, b):
                state.switch(p, b)
                changed.add(p)
        if not changed:
            return


def fill(state: State) -> None:
    """Fund anybody unfunded whose best-scoring option still fits (score 0 included)."""
    for p, opts in enumerate(state.pb.options):
        if state.choice[p] < 0:
            for b in opts.tolist():
                if state.can_switch(p, b):
                    state.switch(p, b)
                    break


def chosen_options(state: State) -> IntArray:
    """Indices of the chosen options."""
    return state.choice[state.choice >= 0]


def polished_best(starts: list[State]) -> State:
    """Upgrade and fill every start; keep the best."""
    best: State | None = None
    for start in starts:
        upgrade(start)
        fill(start)
        if best is None or start.value() > best.value():
            best = start
    assert best is not None
    return best


def spend_of(state: State) -> float:
    """Exact total cost of the chosen options."""
    chosen = state.choice[state.choice >= 0]
    return math.fsum(state.pb.cost[chosen])
