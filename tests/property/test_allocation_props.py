"""Property tests of matcher.allocation.problem."""

from __future__ import annotations

import math

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.allocation.problem import allocate

TYPES = ["a", "b", "c", "d"]


@st.composite
def cohorts(draw):
    n = draw(st.integers(1, 12))
    rows = []
    for p in range(n):
        for t in draw(st.lists(st.sampled_from(TYPES), max_size=3, unique=True)):
            rows.append(
                {
                    "beneficiary_id": f"p{p}",
                    "project_type_id": t,
                    "score": draw(st.floats(0.0, 1.0)),
                    "cost_mad": float(draw(st.integers(1, 80))) * 500.0,
                    "sector_id": "s",
                    "region_id": f"R{p % 2}",
                    "commune_code": draw(st.sampled_from(["", "C1", "C2"])),
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
    envelope = draw(st.floats(0.0, 200_000.0, allow_nan=False))
    return pd.DataFrame(rows, columns=columns), [f"p{p}" for p in range(n)], envelope


@settings(deadline=None, max_examples=50)
@given(
    cohorts(),
    st.sampled_from(["exact", "greedy"]),
    st.sampled_from([(None, None), (0.5, None), (None, 1)]),
)
def test_envelope_one_per_person_and_baseline(cohort, method, caps):
    candidates, ids, envelope = cohort
    share, per_commune = caps
    result = allocate(
        candidates,
        envelope_mad=envelope,
        all_beneficiary_ids=ids,
        max_share_per_type=share,
        max_per_type_per_commune=per_commune,
        method=method,
    )
    a = result.assignments
    assert a.cost_mad.sum() <= envelope
    assert result.spend_mad <= envelope
    assert a.beneficiary_id.tolist() == ids  # exactly one row, so at most one type, each
    funded = a[a.status == "funded"]
    pairs = set(zip(candidates.beneficiary_id, candidates.project_type_id, strict=True))
    assert all(
        (b, t) in pairs for b, t in zip(funded.beneficiary_id, funded.project_type_id, strict=True)
    )
    if share is not None and len(funded):
        assert funded.project_type_id.value_counts().max() <= math.ceil(share * len(ids) - 1e-9)
    # the top-1 baseline is a feasible policy, so the optimum (and the greedy) beat it
    assert result.expected_successes >= result.baseline.expected_successes - 1e-9
    assert result.upper_bound >= result.expected_successes - 1e-9
    assert 0.0 <= result.gap <= 1.0
    if method == "exact":
        assert result.optimal
        assert result.gap <= 1e-5
