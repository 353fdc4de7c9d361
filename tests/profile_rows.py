"""Cohort file rows as the API's JSON profiles (contract section 2), for the end-to-end tests."""

from __future__ import annotations

from typing import Any

import pandas as pd

from matcher.contract.tables import parse_experience, split_list


def profile_json(row: pd.Series) -> dict[str, Any]:
    """A cohort CSV row as the API's JSON profile."""
    return {
        "beneficiary_id": row["beneficiary_id"],
        "sex": row["sex"],
        "age": int(row["age"]),
        "region_id": row["region_id"],
        "milieu": row["milieu"],
        "education_level": row["education_level"],
        "trainings": split_list(row["trainings"]),
        "experience": [{"trade_id": t, "years": y} for t, y in parse_experience(row["experience"])],
        "budget_mad": float(row["budget_mad"]),
        "preferred_sectors": split_list(row["preferred_sectors"]),
        "health_constraint": row["health_constraint"] or "none",
        "commune_code": row["commune_code"] or None,
    }
