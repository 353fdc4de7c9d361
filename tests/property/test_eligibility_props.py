"""Property tests of the contract section 3 rules on generated catalogues and people."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from matcher.contract.eligibility import RULES, check_eligibility

MILIEUX = ["urban", "rural", "both"]
DEMANDS = ["low", "medium", "high"]


@st.composite
def catalogues(draw) -> pd.DataFrame:
    n = draw(st.integers(1, 12))
    rows = [
        {
            "project_type_id": f"t{i:02d}",
            "typical_cost_mad": float(draw(st.integers(1, 200)) * 500),
            "milieu": draw(st.sampled_from(MILIEUX)),
            "physical_demand": draw(st.sampled_from(DEMANDS)),
        }
        for i in range(n)
    ]
    return pd.DataFrame(rows).set_index("project_type_id", drop=False)


@st.composite
def cohorts(draw) -> pd.DataFrame:
    n = draw(st.integers(1, 8))
    rows = [
        {
            "budget_mad": float(draw(st.integers(0, 220)) * 500)
            if draw(st.booleans())
            else draw(st.floats(0, 120_000, allow_nan=False)),
            "milieu": draw(st.sampled_from(["urban", "rural"])),
            "health_constraint": draw(st.sampled_from(["none", "no_heavy_work"])),
        }
        for _ in range(n)
    ]
    return pd.DataFrame(rows)


def by_hand(person, ptype) -> list[str]:
    failed = []
    if ptype["typical_cost_mad"] > person["budget_mad"]:
        failed.append("over_budget")
    if ptype["milieu"] not in ("both", person["milieu"]):
        failed.append("milieu_mismatch")
    if person["health_constraint"] == "no_heavy_work" and ptype["physical_demand"] == "high":
        failed.append("too_physical")
    return failed


@given(cohorts(), catalogues())
def test_eligible_iff_all_three_rules_hold(people, types):
    elig = check_eligibility(people, types)
    assert elig.eligible.shape == (len(people), len(types))
    for i, (_, person) in enumerate(people.iterrows()):
        for j, (_, ptype) in enumerate(types.iterrows()):
            expected = by_hand(person, ptype)
            assert elig.reasons(i, j) == expected
            assert bool(elig.eligible[i, j]) is (not expected)
            assert all(r in RULES for r in elig.reasons(i, j))


@given(cohorts(), catalogues(), st.floats(0, 100_000, allow_nan=False))
def test_raising_the_budget_never_removes_a_type(people, types, raise_by):
    before = check_eligibility(people, types).eligible
    richer = people.assign(budget_mad=people["budget_mad"] + raise_by)
    after = check_eligibility(richer, types).eligible
    assert not (before & ~after).any()


@given(cohorts(), catalogues(), st.randoms(use_true_random=False))
def test_invariant_to_catalogue_row_order(people, types, rnd):
    order = list(range(len(types)))
    rnd.shuffle(order)
    shuffled = types.iloc[order]
    a = check_eligibility(people, types)
    b = check_eligibility(people, shuffled)
    assert b.project_type_ids == [a.project_type_ids[k] for k in order]
    np.testing.assert_array_equal(b.eligible, a.eligible[:, order])
    np.testing.assert_array_equal(b.failed, a.failed[:, order, :])


@given(cohorts(), catalogues())
def test_each_person_is_judged_alone(people, types):
    together = check_eligibility(people, types).eligible
    for i in range(len(people)):
        alone = check_eligibility(people.iloc[[i]], types).eligible
        np.testing.assert_array_equal(alone[0], together[i])
