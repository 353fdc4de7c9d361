"""Column names and required-column sets for each file kind of the contract."""

from __future__ import annotations

from typing import Final

BENEFICIARY_ID: Final = "beneficiary_id"
SEX: Final = "sex"
AGE: Final = "age"
REGION_ID: Final = "region_id"
MILIEU: Final = "milieu"
EDUCATION_LEVEL: Final = "education_level"
TRAININGS: Final = "trainings"
EXPERIENCE: Final = "experience"
BUDGET_MAD: Final = "budget_mad"
PREFERRED_SECTORS: Final = "preferred_sectors"
HEALTH_CONSTRAINT: Final = "health_constraint"
COMMUNE_CODE: Final = "commune_code"

PROJECT_TYPE_ID: Final = "project_type_id"
FUNDED_MAD: Final = "funded_mad"
START_DATE: Final = "start_date"
ACTIVE_12M: Final = "active_12m"
MONTHLY_INCOME_MAD: Final = "monthly_income_mad"

RANK: Final = "rank"
SCORE: Final = "score"
ROW_NUMBER: Final = "row_number"
ERROR: Final = "error"
COST_MAD: Final = "cost_mad"

PROFILE_COLUMNS: Final[tuple[str, ...]] = (
    BENEFICIARY_ID,
    SEX,
    AGE,
    REGION_ID,
    MILIEU,
    EDUCATION_LEVEL,
    TRAININGS,
    EXPERIENCE,
    BUDGET_MAD,
    PREFERRED_SECTORS,
    HEALTH_CONSTRAINT,
    COMMUNE_CODE,
)
"""Every profile column, in contract order (section 2)."""

PROFILE_REQUIRED: Final[frozenset[str]] = frozenset(
    {BENEFICIARY_ID, SEX, AGE, REGION_ID, MILIEU, EDUCATION_LEVEL, BUDGET_MAD}
)
"""Columns a cohort file must carry (the others may be absent: empty lists/none)."""

HISTORY_COLUMNS: Final[tuple[str, ...]] = (
    *PROFILE_COLUMNS,
    PROJECT_TYPE_ID,
    FUNDED_MAD,
    START_DATE,
    ACTIVE_12M,
    MONTHLY_INCOME_MAD,
)
HISTORY_REQUIRED: Final[frozenset[str]] = PROFILE_REQUIRED | {
    PROJECT_TYPE_ID,
    FUNDED_MAD,
    START_DATE,
    ACTIVE_12M,
}

REGIONS_REQUIRED: Final = (
    "region_id",
    "name_fr",
    "name_ar",
    "name_en",
    "population",
    "urban_share",
    "unemployment_rate",
    "poverty_rate",
)
SECTORS_REQUIRED: Final = ("sector_id", "name_fr", "name_ar", "name_en")
TRADES_REQUIRED: Final = ("trade_id", "name_fr", "name_ar", "name_en", "sector_id")
PROJECT_TYPES_REQUIRED: Final = (
    "project_type_id",
    "name_fr",
    "name_ar",
    "name_en",
    "sector_id",
    "required_trades",
    "typical_cost_mad",
    "milieu",
    "physical_demand",
    "home_based",
    "min_education",
)
LOCAL_PROFILES_COLUMNS: Final = (
    "level",
    "code",
    "region_id",
    "province_code",
    "name_fr",
    "name_ar",
    "population",
    "urban_share",
    "unemployment_rate",
    "activity_rate",
    "self_employed_share",
    "illiteracy_rate",
    "one_person_estab_share",
    "estab_commerce_per_1000",
    "estab_services_per_1000",
    "estab_industry_per_1000",
    "estab_construction_per_1000",
)
"""Columns of ``local_profiles.csv``, in file order."""
LOCAL_PROFILES_REQUIRED: Final = tuple(col for col in LOCAL_PROFILES_COLUMNS if col != "name_ar")
CENTRES_REQUIRED: Final = ("centre_id", "name_fr", "name_ar", "region_ids")
"""``centres.csv`` (contract section 8): the Foundation's regional centres."""
