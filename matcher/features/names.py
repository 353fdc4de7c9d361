"""The feature vocabulary: the names of the pair features, by group.

:class:`~matcher.features.builder.PairFeatureBuilder` returns the columns named here, in
:data:`FEATURE_NAMES` order (numeric features, then categories). The training
pipeline reads the groups to encode the categories and to constrain the
monotonic effects; the linear form reads them to lay out the model's inputs.
Every name is re-exported by :mod:`matcher.features.builder`; changing one changes the
builder's output, so it means bumping :data:`matcher.features.builder.FEATURE_VERSION`.
"""

from __future__ import annotations

from typing import Final

CATEGORICAL_FEATURES: Final[tuple[str, ...]] = (
    "project_type",
    "sector",
    "region",
    "region_sector",
)
PERSON_FIT_FEATURES: Final[tuple[str, ...]] = (
    "trained_in_trade",
    "trained_in_sector",
    "experience_trade_years",
    "experience_sector_years",
    "needs_trade",
    "education_shortfall",
    "education_margin",
    "age",
    "physical_demand",
    "age_over_40_x_demand",
    "age_over_50_x_demand",
    "no_heavy_work",
    "prefers_sector",
    "has_preferences",
    "budget_slack",
)
PROJECT_FEATURES: Final[tuple[str, ...]] = (
    "cost_log",
    "home_based",
    "type_milieu_both",
    "rural",
    "outside_natural_milieu",
)
LOCAL_FEATURES: Final[tuple[str, ...]] = (
    "region_unemployment",
    "region_poverty",
    "local_urban_share",
    "local_unemployment",
    "local_activity",
    "local_self_employed",
    "local_one_person",
    "competition_index",
    "local_density_all",
    "agri_rural_share",
)
INCOME_RECORD_FEATURES: Final[tuple[str, ...]] = (
    "type_income_record",
    "market_income_record",
)
"""Learned at fit from the incomes of active projects (0 when none were given)."""
NUMERIC_FEATURES: Final[tuple[str, ...]] = (
    PERSON_FIT_FEATURES + PROJECT_FEATURES + LOCAL_FEATURES + INCOME_RECORD_FEATURES
)
FEATURE_NAMES: Final[tuple[str, ...]] = NUMERIC_FEATURES + CATEGORICAL_FEATURES

MONOTONIC_INCREASING: Final[frozenset[str]] = frozenset(
    {
        "trained_in_trade",
        "trained_in_sector",
        "experience_trade_years",
        "experience_sector_years",
        "education_margin",
        "prefers_sector",
        "budget_slack",
    }
)
"""Features whose effect on success the domain knows to be non-negative."""

MONOTONIC_DECREASING: Final[frozenset[str]] = frozenset({"education_shortfall"})
"""Features whose effect on success the domain knows to be non-positive."""
