"""Tests of matcher.allocation.problem against brute force, a DP and the contract."""

from __future__ import annotations

import itertools
import math
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from matcher.allocation.problem import allocate
from matcher.allocation.report import plot_allocation, render_markdown, summarise
from matcher.allocation.result import (
    ASSIGNMENT_COLUMNS,
    CAP_REACHED,
    ENVELOPE_EXHAUSTED,
    NO_ELIGIBLE_OPTION,
)
from matcher.errors import DataSchemaError

REFERENCE = Path(__file__).resolve().parents[3] / "data_samples" / "reference"
TYPES = [f"t{i}" for i in range(5)]


def random_candidates(rng, n_people, max_options, *, n_localities=3):
    rows = []
    for p in range(n_people):
        k = int(rng.integers(0, max_options + 1))
        for t in rng.choice(TYPES, size=k, replace=False):
            unknown = rng.random() < 0.3
            rows.append(
                {
                    "beneficiary_id": f"b{p}",
                    "project_type_id": str(t),
                    "score": float(rng.uniform(0.01, 0.99)),
                    "cost_mad": float(rng.integers(5, 60)) * 1000.0,
                    "sector_id": f"s{str(t)[-1]}",
                    "region_id": f"R{p % 2}",
                    "commune_code": "" if unknown else f"C{int(rng.integers(n_localities))}",
                }
            )
    columns = [
        "beneficiary_id",
        "project_type_id",
        "score",
        "cost_mad",
        "sector_id",
        "region_id",
        "commune_code",
    ]
    return pd.DataFrame(rows, columns=columns), [f"b{p}" for p in range(n_people)]


def locality(row):
    return row["commune_code"] if row["commune_code"] else "region:" + row["region_id"]


def records_by_person(candidates):
    options_of = defaultdict(list)
    for record in candidates.to_dict("records"):
        options_of[record["beneficiary_id"]].append(record)
    return options_of


def brute_force(candidates, ids, envelope, share, per_commune):
    """Best objective by enumerating every assignment."""
    options_of = records_by_person(candidates)
    per_person = [options_of.get(b, []) for b in ids]
    type_cap = None if share is None else math.ceil(share * len(ids) - 1e-9)
    best = 0.0
    for combo in itertools.product(*[[None, *opts] for opts in per_person]):
        chosen = [r for r in combo if r is not None]
        if sum(r["cost_mad"] for r in chosen) > envelope:
            continue
        if not caps_ok(chosen, type_cap, per_commune):
            continue
        best = max(best, sum(r["score"] for r in chosen))
    return best


def caps_ok(chosen, type_cap, per_commune):
    by_type = Counter(r["project_type_id"] for r in chosen)
    by_place = Counter((locality(r), r["project_type_id"]) for r in chosen)
    if type_cap is not None and any(v > type_cap for v in by_type.values()):
        return False
    return per_commune is None or all(v <= per_commune for v in by_place.values())


def check_invariants(result, candidates, ids, envelope, share, per_commune):
    a = result.assignments
    assert list(a.columns) == list(ASSIGNMENT_COLUMNS)
    assert a.beneficiary_id.tolist() == list(ids)  # one row per person, cohort order
    assert a.cost_mad.sum() <= envelope
    assert math.isclose(result.spend_mad, a.cost_mad.sum(), abs_tol=1e-6)
    funded = a[a.status == "funded"]
    merged = funded.merge(
        candidates,
        on=["beneficiary_id", "project_type_id"],
        suffixes=("", "_c"),
        validate="one_to_one",
    )
    assert len(merged) == len(funded)  # every funded type is one of the person's options
    assert np.allclose(merged.score.astype(float), merged.score_c.astype(float))
    assert np.allclose(merged.cost_mad.astype(float), merged.cost_mad_c.astype(float))
    chosen = merged.to_dict("records")
    type_cap = None if share is None else math.ceil(share * len(ids) - 1e-9)
    assert caps_ok(chosen, type_cap, per_commune)
    unfunded = a[a.status == "unfunded"]
    assert (unfunded.cost_mad == 0).all()
    assert (unfunded.score == 0).all()
    assert (unfunded.project_type_id == "").all()
    assert (funded.reason == "").all()
    left = envelope - a.cost_mad.sum()
    options_of = records_by_person(candidates)
    for row in unfunded.itertuples():
        options = options_of.get(row.beneficiary_id, [])
        if not options:
            assert row.reason == NO_ELIGIBLE_OPTION
            continue
        # unfunded only when nothing else fits: every option breaks the envelope or a cap
        for option in options:
            fits_money = option["cost_mad"] <= left
            assert not (fits_money and caps_ok([*chosen, option], type_cap, per_commune))
        affordable = any(o["cost_mad"] <= left for o in options)
        assert row.reason == (CAP_REACHED if affordable else ENVELOPE_EXHAUSTED)


CAP_SETTINGS = [(None, None), (0.3, None), (None, 1), (0.4, 2)]
CAP_SEEDS = {(None, None): 101, (0.3, None): 202, (None, 1): 303, (0.4, 2): 404}
"""A fixed seed per cap setting: the same random cases on every run and interpreter."""


@pytest.mark.parametrize(("share", "per_commune"), CAP_SETTINGS)
def test_exact_matches_brute_force(share, per_commune):
    rng = np.random.default_rng(CAP_SEEDS[share, per_commune])
    for _ in range(12):
        n = int(rng.integers(1, 8))
        candidates, ids = random_candidates(rng, n, 3)
        envelope = float(rng.integers(0, 40 * n)) * 1000.0
        result = allocate(
            candidates,
            envelope_mad=envelope,
            all_beneficiary_ids=ids,
            max_share_per_type=share,
            max_per_type_per_commune=per_commune,
            method="exact",
        )
        best = brute_force(candidates, ids, envelope, share, per_commune)
        assert result.method_used == "exact"
        assert result.optimal
        assert result.expected_successes == pytest.approx(best, abs=1e-6)
        assert result.upper_bound >= best - 1e-6
        assert result.expected_successes >= result.baseline.expected_successes - 1e-9
        check_invariants(result, candidates, ids, envelope, share, per_commune)


@pytest.mark.parametrize(("share", "per_commune"), CAP_SETTINGS)
def test_greedy_small_is_feasible_and_bounded(share, per_commune):
    rng = np.random.default_rng(7)
    for _ in range(12):
        n = int(rng.integers(1, 8))
        candidates, ids = random_candidates(rng, n, 3)
        envelope = float(rng.integers(0, 40 * n)) * 1000.0
        result = allocate(
            candidates,
            envelope_mad=envelope,
            all_beneficiary_ids=ids,
            max_share_per_type=share,
            max_per_type_per_commune=per_commune,
            method="greedy",
        )
        best = brute_force(candidates, ids, envelope, share, per_commune)
        assert result.method_used == "greedy"
        assert result.expected_successes <= best + 1e-9 <= result.upper_bound + 2e-9
        assert result.expected_successes >= result.baseline.expected_successes - 1e-9
        check_invariants(result, candidates, ids, envelope, share, per_commune)


@pytest.mark.parametrize(("share", "per_commune"), [(None, None), (0.1, 2)])
def test_greedy_close_to_exact_on_300_people(share, per_commune):
    rng = np.random.default_rng(300)
    candidates, ids = random_candidates(rng, 300, 5, n_localities=20)
    envelope = 300 * 15_000.0
    kwargs = {
        "envelope_mad": envelope,
        "all_beneficiary_ids": ids,
        "max_share_per_type": share,
        "max_per_type_per_commune": per_commune,
    }
    exact = allocate(candidates, method="exact", **kwargs)
    greedy = allocate(candidates, method="greedy", **kwargs)
    assert exact.optimal
    assert greedy.expected_successes >= 0.98 * exact.expected_successes
    assert greedy.expected_successes <= exact.expected_successes + 1e-6
    assert greedy.upper_bound >= exact.expected_successes - 1e-6
    assert greedy.gap == pytest.approx(
        (greedy.upper_bound - greedy.expected_successes) / greedy.upper_bound
    )
    check_invariants(greedy, candidates, ids, envelope, share, per_commune)
    # auto above exact_limit takes the greedy path
    auto = allocate(candidates, method="auto", exact_limit=10, **kwargs)
    assert auto.method_used == "greedy"


def dp_optimum(candidates, ids, envelope, unit=500.0):
    """Multiple-choice knapsack by dynamic programming over the budget (costs in units)."""
    budget = int(envelope // unit)
    best = np.zeros(budget + 1)
    for b in ids:
        options = candidates[candidates.beneficiary_id == b]
        new = best.copy()
        for cost, score in zip(options.cost_mad, options.score, strict=True):
            c = round(cost / unit)
            assert c * unit == cost
            new[c:] = np.maximum(new[c:], best[: budget + 1 - c] + score)
        best = new
    return best[-1]


def reference_cohort(seed=27):
    types = pd.read_csv(REFERENCE / "project_types.csv")
    regions = pd.read_csv(REFERENCE / "regions.csv").region_id.tolist()
    rng = np.random.default_rng(seed)
    rows = []
    ids = [f"FM6-{i:03d}" for i in range(27)]
    for i, b in enumerate(ids):
        if i == 26:
            continue  # nobody eligible for this one
        region = regions[i % len(regions)]
        for _, t in types.sample(n=5, random_state=int(rng.integers(1 << 30))).iterrows():
            rows.append(
                {
                    "beneficiary_id": b,
                    "project_type_id": t.project_type_id,
                    "score": float(rng.uniform(0.3, 0.9)),
                    "cost_mad": float(t.typical_cost_mad),
                    "sector_id": t.sector_id,
                    "region_id": region,
                    "commune_code": "",
                }
            )
    return pd.DataFrame(rows), ids


def test_reference_operation_27_people():
    candidates, ids = reference_cohort()
    envelope = 1_233_737.62
    result = allocate(candidates, envelope_mad=envelope, all_beneficiary_ids=ids)
    assert result.method_used == "exact"
    assert result.optimal
    assert result.expected_successes == pytest.approx(
        dp_optimum(candidates, ids, envelope), abs=1e-6
    )
    check_invariants(result, candidates, ids, envelope, None, None)
    assert result.assignments.set_index("beneficiary_id").loc["FM6-026", "reason"] == (
        NO_ELIGIBLE_OPTION
    )
    assert result.gain_over_baseline >= -1e-9
    assert result.baseline.spend_mad <= envelope
    assert result.envelope_mad == envelope
    greedy = allocate(candidates, envelope_mad=envelope, all_beneficiary_ids=ids, method="greedy")
    assert greedy.expected_successes >= 0.97 * result.expected_successes
    # a scarcer envelope leaves people unfunded with a reason
    scarce = allocate(candidates, envelope_mad=300_000.0, all_beneficiary_ids=ids)
    assert scarce.expected_successes == pytest.approx(
        dp_optimum(candidates, ids, 300_000.0), abs=1e-6
    )
    assert (scarce.assignments.reason == ENVELOPE_EXHAUSTED).sum() > 0


def test_baseline_is_top1_in_descending_score_order():
    candidates = pd.DataFrame(
        {
            "beneficiary_id": ["a", "a", "b", "c"],
            "project_type_id": ["x", "y", "x", "y"],
            "score": [0.9, 0.8, 0.7, 0.5],
            "cost_mad": [100.0, 10.0, 100.0, 10.0],
            "sector_id": "s",
            "region_id": "R",
            "commune_code": "",
        }
    )
    result = allocate(candidates, envelope_mad=120.0)
    # top-1: a(x, 0.9, 100) then b(x, 100) does not fit -> skipped, c(y, 10) fits
    assert result.baseline.expected_successes == pytest.approx(1.4)
    assert result.baseline.spend_mad == 110.0
    assert result.baseline.n_funded == 2
    # optimum: a->y (0.8, 10) + b->x (0.7, 100) + c->y (0.5, 10) = 2.0
    assert result.expected_successes == pytest.approx(2.0)
    assert result.gain_over_baseline == pytest.approx(0.6)


def test_caps_block_with_cap_reached_reason():
    candidates = pd.DataFrame(
        {
            "beneficiary_id": ["a", "b", "c"],
            "project_type_id": ["x", "x", "x"],
            "score": [0.9, 0.8, 0.7],
            "cost_mad": [10.0, 10.0, 10.0],
            "sector_id": "s",
            "region_id": "R",
            "commune_code": ["K", "K", ""],
        }
    )
    result = allocate(candidates, envelope_mad=1000.0, max_per_type_per_commune=1)
    a = result.assignments.set_index("beneficiary_id")
    assert a.status.tolist() == ["funded", "unfunded", "funded"]  # c's locality is region R
    assert a.loc["b", "reason"] == CAP_REACHED
    shared = allocate(candidates, envelope_mad=1000.0, max_share_per_type=0.34)
    assert shared.type_cap == 2  # ceil(0.34 * 3)
    assert shared.n_funded == 2
    exact_third = allocate(candidates, envelope_mad=1000.0, max_share_per_type=1 / 3 * 3 / 3)
    assert exact_third.type_cap == 1


def test_does_not_mutate_input_and_handles_edge_cases():
    rng = np.random.default_rng(1)
    candidates, ids = random_candidates(rng, 6, 3)
    before = candidates.copy(deep=True)
    allocate(candidates, envelope_mad=50_000.0, all_beneficiary_ids=[*ids, "ghost"])
    pd.testing.assert_frame_equal(candidates, before)
    empty = allocate(candidates.iloc[0:0], envelope_mad=1000.0, all_beneficiary_ids=["p", "q"])
    assert empty.assignments.reason.tolist() == [NO_ELIGIBLE_OPTION] * 2
    assert empty.expected_successes == 0
    assert empty.gap == 0
    zero = allocate(candidates, envelope_mad=0.0)
    assert zero.n_funded == 0
    assert set(zero.assignments.reason) == {ENVELOPE_EXHAUSTED}


def valid():
    return pd.DataFrame(
        {
            "beneficiary_id": ["a", "b"],
            "project_type_id": ["x", "y"],
            "score": [0.5, 0.6],
            "cost_mad": [10.0, 20.0],
            "sector_id": "s",
            "region_id": "R",
            "commune_code": "",
        }
    )


@pytest.mark.parametrize(
    ("change", "kwargs", "message"),
    [
        (None, {"envelope_mad": -1.0}, "envelope_mad"),
        (None, {"envelope_mad": float("nan")}, "envelope_mad"),
        (None, {"envelope_mad": float("inf")}, "envelope_mad"),
        (lambda f: f.drop(columns=["cost_mad", "sector_id"]), {}, "cost_mad, sector_id"),
        (lambda f: f.assign(score=[0.5, 1.2]), {}, "score"),
        (lambda f: f.assign(score=[0.5, float("nan")]), {}, "score"),
        (lambda f: f.assign(score=[-0.1, 0.5]), {}, "score"),
        (lambda f: f.assign(cost_mad=[0.0, 10.0]), {}, "cost_mad"),
        (lambda f: f.assign(cost_mad=[-5.0, 10.0]), {}, "cost_mad"),
        (lambda f: f.assign(beneficiary_id=["a", "a"], project_type_id=["x", "x"]), {}, "repeat"),
        (None, {"all_beneficiary_ids": ["a"]}, "absent"),
        (None, {"all_beneficiary_ids": ["a", "b", "a"]}, "duplicates"),
        (None, {"max_share_per_type": 0.0}, "max_share_per_type"),
        (None, {"max_per_type_per_commune": -1}, "max_per_type_per_commune"),
        (None, {"method": "fast"}, "method"),
    ],
)
def test_validation_errors(change, kwargs, message):
    frame = valid() if change is None else change(valid())
    arguments = {"envelope_mad": 100.0, **kwargs}
    with pytest.raises(DataSchemaError, match=message) as caught:
        allocate(frame, **arguments)
    assert caught.value.code == "data_schema"


def test_report_tables_plot_and_markdown(tmp_path):
    candidates, ids = reference_cohort()
    result = allocate(candidates, envelope_mad=1_233_737.62, all_beneficiary_ids=ids)
    tables = summarise(result, candidates)
    region, sector = tables["region"], tables["sector"]
    assert region.n_people.sum() == 27
    assert region.n_funded.sum() == result.n_funded
    assert "unknown" in set(region.region_id)  # FM6-026 has no candidate row
    assert region.spend_mad.sum() == pytest.approx(result.spend_mad)
    assert sector.expected_successes.sum() == pytest.approx(result.expected_successes)
    assert sector.n_funded.sum() == result.n_funded
    path = plot_allocation(result, candidates, tmp_path / "allocation.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = render_markdown(result, tables)
    assert f"{result.expected_successes:.2f}" in text
    assert "proven optimal" in text
    assert "1,233,737.62" in text
    assert "## By region" in text
    assert "## By sector" in text


def two_regions() -> pd.DataFrame:
    """Region N: three cheap, likely options; region S: two dearer, less likely ones."""
    return pd.DataFrame(
        {
            "beneficiary_id": ["n1", "n2", "n3", "s1", "s2"],
            "project_type_id": ["x", "x", "x", "y", "y"],
            "score": [0.9, 0.85, 0.8, 0.5, 0.45],
            "cost_mad": [10.0, 10.0, 10.0, 20.0, 20.0],
            "sector_id": "s",
            "region_id": ["N", "N", "N", "S", "S"],
            "commune_code": "",
        }
    )


def test_a_floor_per_region_funds_people_the_optimum_alone_would_not():
    candidates = two_regions()
    free = allocate(candidates, envelope_mad=30.0, method="exact")
    assert set(free.assignments.loc[free.assignments.status == "funded", "beneficiary_id"]) == {
        "n1",
        "n2",
        "n3",
    }
    floored = allocate(candidates, envelope_mad=30.0, method="exact", min_per_region=1)
    funded = floored.assignments.loc[floored.assignments.status == "funded", "beneficiary_id"]
    assert set(funded) == {"n1", "s1"}  # 10 + 20 MAD: one person in each region
    assert floored.spend_mad <= 30.0
    assert floored.expected_successes == pytest.approx(1.4)
    # a floor above the people a region has asks only for those people
    both = allocate(candidates, envelope_mad=1000.0, min_per_region=5)
    assert both.n_funded == 5


def test_a_floor_that_cannot_be_met_or_the_greedy_is_a_clear_error():
    with pytest.raises(DataSchemaError, match="cannot be met within the envelope"):
        allocate(two_regions(), envelope_mad=25.0, min_per_region=1)
    with pytest.raises(DataSchemaError, match="needs the exact solver"):
        allocate(two_regions(), envelope_mad=30.0, method="greedy", min_per_region=1)
    with pytest.raises(DataSchemaError, match="min_per_region must be an integer >= 0"):
        allocate(two_regions(), envelope_mad=30.0, min_per_region=-1)
