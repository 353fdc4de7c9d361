"""Tests of matcher.contract.eligibility: the three hard rules of contract section 3."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from matcher.contract.eligibility import (
    MILIEU_MISMATCH,
    OVER_BUDGET,
    RULES,
    TOO_PHYSICAL,
    TypeRules,
    check_eligibility,
)


def types(*rows: tuple[str, float, str, str]) -> pd.DataFrame:
    frame = pd.DataFrame(
        rows, columns=["project_type_id", "typical_cost_mad", "milieu", "physical_demand"]
    )
    return frame.set_index("project_type_id", drop=False)


def people(*rows: tuple[float, str, str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["budget_mad", "milieu", "health_constraint"])


def one(budget, milieu, health, cost, type_milieu, demand):
    elig = check_eligibility(
        people((budget, milieu, health)), types(("t", cost, type_milieu, demand))
    )
    return bool(elig.eligible[0, 0]), elig.reasons(0, 0)


def test_rule_codes_in_report_order():
    assert RULES == ("over_budget", "milieu_mismatch", "too_physical")


@pytest.mark.parametrize(
    ("budget", "cost", "eligible"),
    [(20000, 20000, True), (20000, 20000.01, False), (20000, 5000, True), (0, 1, False)],
)
def test_budget_rule(budget, cost, eligible):
    ok, reasons = one(budget, "urban", "none", cost, "both", "low")
    assert ok is eligible
    assert reasons == ([] if eligible else [OVER_BUDGET])


@pytest.mark.parametrize(
    ("person", "project", "eligible"),
    [
        ("urban", "urban", True),
        ("urban", "both", True),
        ("urban", "rural", False),
        ("rural", "rural", True),
        ("rural", "both", True),
        ("rural", "urban", False),
    ],
)
def test_milieu_rule(person, project, eligible):
    ok, reasons = one(50000, person, "none", 10000, project, "medium")
    assert ok is eligible
    assert reasons == ([] if eligible else [MILIEU_MISMATCH])


@pytest.mark.parametrize(
    ("health", "demand", "eligible"),
    [
        ("none", "high", True),
        ("none", "low", True),
        ("no_heavy_work", "high", False),
        ("no_heavy_work", "medium", True),
        ("no_heavy_work", "low", True),
    ],
)
def test_health_rule(health, demand, eligible):
    ok, reasons = one(50000, "rural", health, 10000, "both", demand)
    assert ok is eligible
    assert reasons == ([] if eligible else [TOO_PHYSICAL])


def test_all_three_rules_reported_in_order():
    ok, reasons = one(1000, "urban", "no_heavy_work", 30000, "rural", "high")
    assert not ok
    assert reasons == [OVER_BUDGET, MILIEU_MISMATCH, TOO_PHYSICAL]


@pytest.mark.parametrize(
    ("budget", "milieu", "health", "expected"),
    [
        (10000, "rural", "no_heavy_work", [OVER_BUDGET, TOO_PHYSICAL]),
        (10000, "urban", "none", [OVER_BUDGET, MILIEU_MISMATCH]),
        (50000, "urban", "no_heavy_work", [MILIEU_MISMATCH, TOO_PHYSICAL]),
    ],
)
def test_pairs_of_rules(budget, milieu, health, expected):
    ok, reasons = one(budget, milieu, health, 35000, "rural", "high")
    assert not ok
    assert reasons == expected


def test_matrix_shape_and_order():
    catalogue = types(
        ("cheap_urban", 5000, "urban", "low"),
        ("dear_both", 60000, "both", "medium"),
        ("rural_heavy", 20000, "rural", "high"),
    )
    cohort = people(
        (10000, "urban", "none"),
        (100000, "rural", "no_heavy_work"),
        (100000, "rural", "none"),
    )
    elig = check_eligibility(cohort, catalogue)
    assert elig.project_type_ids == ["cheap_urban", "dear_both", "rural_heavy"]
    assert elig.eligible.dtype == bool
    assert elig.failed.shape == (3, 3, 3)
    np.testing.assert_array_equal(
        elig.eligible,
        [
            [True, False, False],
            [False, True, False],
            [False, True, True],
        ],
    )
    assert elig.reasons(0, 1) == [OVER_BUDGET]
    assert elig.reasons(0, 2) == [OVER_BUDGET, MILIEU_MISMATCH]
    assert elig.reasons(1, 0) == [MILIEU_MISMATCH]
    assert elig.reasons(1, 2) == [TOO_PHYSICAL]
    assert elig.reasons(2, 2) == []
    # eligible exactly when no rule fails
    np.testing.assert_array_equal(elig.eligible, ~elig.failed.any(axis=-1))


def test_empty_cohort():
    elig = check_eligibility(
        people().astype({"budget_mad": float}), types(("t", 1.0, "both", "low"))
    )
    assert elig.eligible.shape == (0, 1)


def test_shipped_catalogue(reference):
    cohort = people((15000, "urban", "no_heavy_work"))
    elig = check_eligibility(cohort, reference.project_types)
    got = {t for t, ok in zip(elig.project_type_ids, elig.eligible[0], strict=True) if ok}
    pt = reference.project_types
    expected = set(
        pt.index[
            (pt["typical_cost_mad"] <= 15000)
            & pt["milieu"].isin(["urban", "both"])
            & (pt["physical_demand"] != "high")
        ]
    )
    assert got == expected
    assert "traditional_street_food" in got  # 15000, both, medium
    assert "painting_plaster_gypsum" not in got  # 10000, urban, high


def test_type_rules_and_plain_columns_give_the_same_answer(reference):
    """The serving path passes cached arrays and one person as plain columns."""
    cohort = people(
        (15000, "urban", "no_heavy_work"), (90000, "rural", "none"), (40000, "urban", "none")
    )
    expected = check_eligibility(cohort, reference.project_types)
    for rules in (TypeRules.of(reference.project_types), reference.type_rules):
        got = check_eligibility(cohort, rules)
        np.testing.assert_array_equal(got.failed, expected.failed)
        assert got.project_type_ids == expected.project_type_ids
    one = {col: cohort[col].to_numpy()[1:2] for col in cohort.columns}
    np.testing.assert_array_equal(
        check_eligibility(one, reference.type_rules).failed, expected.failed[1:2]
    )
