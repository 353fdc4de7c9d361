"""Domain vocabulary: the beneficiary profile (contract section 2) and its enums.

The profile is a pydantic model so the API, the page and the batch path share one
definition of what a well-formed profile is. Rules that need the reference
catalogue (known region, trades, sectors, commune inside its region) live in
:mod:`matcher.cohort`.
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Annotated, Final

from pydantic import BaseModel, ConfigDict, Field, field_validator

EDUCATION_LEVELS: Final[tuple[str, ...]] = (
    "none",
    "primary",
    "lower_secondary",
    "upper_secondary",
    "higher",
)
"""Education levels in increasing order (contract section 1)."""

SECTOR_IDS: Final[tuple[str, ...]] = (
    "catering",
    "crafts",
    "services",
    "commerce",
    "agriculture",
    "construction",
)
"""The six sectors of the contract."""

PHYSICAL_DEMANDS: Final[tuple[str, ...]] = ("low", "medium", "high")

BENEFICIARY_ID_PATTERN: Final = r"^[A-Za-z0-9_-]{1,64}$"


class Sex(StrEnum):
    """Sex as recorded at diagnosis (audit only, never a model feature)."""

    F = "F"
    M = "M"


class Milieu(StrEnum):
    """Where the person lives."""

    URBAN = "urban"
    RURAL = "rural"


class EducationLevel(StrEnum):
    """Highest education level reached."""

    NONE = "none"
    PRIMARY = "primary"
    LOWER_SECONDARY = "lower_secondary"
    UPPER_SECONDARY = "upper_secondary"
    HIGHER = "higher"


class HealthConstraint(StrEnum):
    """A health limit that rules out heavy physical work."""

    NONE = "none"
    NO_HEAVY_WORK = "no_heavy_work"


TradeId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$")]


class Experience(BaseModel):
    """Years of work experience in one trade."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    trade_id: TradeId
    years: float = Field(ge=0, le=60, allow_inf_nan=False)


class Profile(BaseModel):
    """A beneficiary profile at diagnosis (contract section 2).

    ``beneficiary_id`` is a pseudonym: never a name.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    beneficiary_id: str = Field(pattern=BENEFICIARY_ID_PATTERN)
    sex: Sex
    age: int = Field(ge=18, le=75)
    region_id: str = Field(min_length=1, max_length=16)
    milieu: Milieu
    education_level: EducationLevel
    trainings: tuple[TradeId, ...] = Field(default=(), max_length=50)
    experience: tuple[Experience, ...] = Field(default=(), max_length=50)
    budget_mad: float = Field(ge=0, le=10_000_000, allow_inf_nan=False)
    preferred_sectors: tuple[str, ...] = Field(default=(), max_length=6)
    health_constraint: HealthConstraint = HealthConstraint.NONE
    commune_code: str | None = Field(default=None, max_length=32)

    @field_validator("commune_code")
    @classmethod
    def _blank_commune_is_none(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        return value.strip()

    @field_validator("budget_mad")
    @classmethod
    def _finite_budget(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("budget_mad must be a finite number")
        return value
