"""The profile rules (contract section 2): the one place that says what a valid profile is.

Every door reads its rules from here:

- the bounds and patterns (:data:`AGE_MIN`, :data:`BUDGET_MAX_MAD`,
  :data:`BENEFICIARY_ID_PATTERN`…) and the annotated field types built on them
  (:data:`Age`, :data:`BudgetMad`…), which the domain :class:`Profile` below and the
  API's strict wire schema both use;
- :func:`check_profile`, the rules that need the catalogue (known region, trades,
  sectors; a commune inside its region), for one person;
- :mod:`matcher.contract.profile_table`, which applies the same rules, with the same
  field names and messages, to a whole file at once.

An error always starts with the field it is about (``"budget_mad: ..."``) and, for one
person, carries ``details={"field": "profile.<field>"}``.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from typing import Annotated, Final, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from matcher.contract import columns as c
from matcher.contract.tables import join_experience, join_list
from matcher.contract.vocabulary import EducationLevel, HealthConstraint, Milieu, Sex
from matcher.errors import InvalidProfileError

BENEFICIARY_ID_PATTERN: Final = r"^[A-Za-z0-9_-]{1,64}$"
"""A pseudonym: 1-64 of ``A-Za-z0-9_-``, never a name."""
TRADE_ID_PATTERN: Final = r"^[a-z0-9_]+$"
AGE_MIN: Final = 18
AGE_MAX: Final = 75
BUDGET_MAX_MAD: Final = 1_000_000
"""Ten times the largest envelope a person gets with co-financing (INDH ARIEJ and the Forsa
honour loan reach 100,000 MAD; Foundation grants run 35,000-70,000 MAD): a larger figure
is a typing error."""
BUDGET_MIN_MAD: Final = 1_000
"""A budget is 0 (no envelope yet) or at least this: below it, ``45.000`` read as 45 is far
likelier than a real 45 MAD envelope (the cheapest project type costs several thousand)."""
EXPERIENCE_YEARS_MAX: Final = 60
WORK_START_AGE: Final = 14
"""Years in a trade count from this age at the earliest: ``years <= age - 14``."""
EXPERIENCE_TOTAL_FACTOR: Final = 2
"""All trades together: at most twice the working years (two trades held at once)."""
MAX_TRAININGS: Final = 50
MAX_EXPERIENCES: Final = 50
MAX_PREFERRED_SECTORS: Final = 6
REGION_ID_MAX_LENGTH: Final = 16
COMMUNE_CODE_MAX_LENGTH: Final = 32

BeneficiaryId = Annotated[str, Field(pattern=BENEFICIARY_ID_PATTERN)]
TradeId = Annotated[str, Field(min_length=1, max_length=64, pattern=TRADE_ID_PATTERN)]
Age = Annotated[int, Field(ge=AGE_MIN, le=AGE_MAX)]
Years = Annotated[float, Field(ge=0, le=EXPERIENCE_YEARS_MAX, allow_inf_nan=False)]
BudgetMad = Annotated[float, Field(ge=0, le=BUDGET_MAX_MAD, allow_inf_nan=False)]
RegionId = Annotated[str, Field(min_length=1, max_length=REGION_ID_MAX_LENGTH)]
CommuneCode = Annotated[str | None, Field(max_length=COMMUNE_CODE_MAX_LENGTH)]

# The messages a file's rejects carry; the single-profile path says the same.
ID_MESSAGE: Final = "must be 1-64 of A-Za-z0-9_- (a pseudonym)"
AGE_MESSAGE: Final = f"is not a whole number from {AGE_MIN} to {AGE_MAX}"
BUDGET_MESSAGE: Final = f"is not a number from 0 to {BUDGET_MAX_MAD:,}".replace(",", " ")
YEARS_MESSAGE: Final = f"years must be at most {EXPERIENCE_YEARS_MAX}"


class Catalogue(Protocol):
    """What the profile rules need of the catalogue (a :class:`~matcher.reference.Reference`)."""

    @property
    def region_ids(self) -> Collection[str]:
        """Known region ids."""

    @property
    def trade_ids(self) -> Collection[str]:
        """Known trade ids."""

    @property
    def sector_ids(self) -> Collection[str]:
        """Known sector ids."""

    def commune_region(self) -> dict[str, str]:
        """Each known commune (and province) code, mapped to its region id."""


def experience_problem(age: float, items: Sequence[tuple[str, float]]) -> str:
    """Why these years of experience are impossible at this age ("" when plausible).

    Each trade counts at most ``age - 14`` years (:data:`WORK_START_AGE`); all
    trades together at most twice that (:data:`EXPERIENCE_TOTAL_FACTOR`).
    """
    span = max(float(age) - WORK_START_AGE, 0.0)
    for trade, years in items:
        if years > span:
            return (
                f"{years:g} years in {trade} is more than a {age:g}-year-old can have worked "
                f"(at most {span:g}: work counts from age {WORK_START_AGE})"
            )
    total = sum(years for _, years in items)
    if total > EXPERIENCE_TOTAL_FACTOR * span:
        return (
            f"{total:g} years in all trades is more than twice the {span:g} years a "
            f"{age:g}-year-old can have worked since age {WORK_START_AGE}"
        )
    return ""


def budget_problem(budget: float) -> str:
    """Why a budget within bounds is implausible ("" when it is plausible)."""
    if 0 < budget < BUDGET_MIN_MAD:
        return (
            f"{budget:g} MAD is below {BUDGET_MIN_MAD:,} MAD: a typing slip such as 45.000 "
            f"read as 45? (write 45000; 0 means no envelope yet)"
        ).replace(",", " ")
    return ""


class Experience(BaseModel):
    """Years of work experience in one trade."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    trade_id: TradeId
    years: Years


class Profile(BaseModel):
    """A beneficiary profile at diagnosis (contract section 2).

    ``beneficiary_id`` is a pseudonym: never a name.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    beneficiary_id: BeneficiaryId
    sex: Sex
    age: Age
    region_id: RegionId
    milieu: Milieu
    education_level: EducationLevel
    trainings: tuple[TradeId, ...] = Field(default=(), max_length=MAX_TRAININGS)
    experience: tuple[Experience, ...] = Field(default=(), max_length=MAX_EXPERIENCES)
    budget_mad: BudgetMad
    preferred_sectors: tuple[str, ...] = Field(default=(), max_length=MAX_PREFERRED_SECTORS)
    health_constraint: HealthConstraint = HealthConstraint.NONE
    commune_code: CommuneCode = None

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
        if problem := budget_problem(value):
            raise ValueError(problem)
        return value

    @field_validator("experience")
    @classmethod
    def _plausible_experience(
        cls, value: tuple[Experience, ...], info: ValidationInfo
    ) -> tuple[Experience, ...]:
        age = info.data.get("age")
        items = [(e.trade_id, e.years) for e in value]
        if age is not None and (problem := experience_problem(age, items)):
            raise ValueError(problem)
        return value


def unknown_items(items: list[str], known: object, what: str) -> str:
    """``"unknown trade 'x', 'y'"`` for the items not in ``known``, else ``""``."""
    unknown = [i for i in items if i not in known]  # type: ignore[operator]
    return f"unknown {what} {', '.join(map(repr, unknown))}" if unknown else ""


def check_profile(profile: Profile, reference: Catalogue) -> None:
    """Check a schema-valid profile against the catalogue (one person).

    The same rules as :func:`matcher.contract.profile_table.validate_profiles` that
    need the catalogue: known region, trades and sectors, a trade listed once in the
    experience, and a commune that lies in the region.

    Raises
    ------
    InvalidProfileError
        Naming the field at fault (e.g. ``profile.region_id``).
    """

    def fail(field: str, message: str) -> InvalidProfileError:
        return InvalidProfileError(f"{field}: {message}", details={"field": f"profile.{field}"})

    if profile.region_id not in reference.region_ids:
        raise fail("region_id", f"unknown region {profile.region_id!r}")
    if problem := unknown_items(list(profile.trainings), reference.trade_ids, "trade"):
        raise fail("trainings", problem)
    trades = [e.trade_id for e in profile.experience]
    if problem := unknown_items(trades, reference.trade_ids, "trade"):
        raise fail("experience", problem)
    if len(set(trades)) != len(trades):
        raise fail("experience", "a trade is listed twice")
    if problem := unknown_items(list(profile.preferred_sectors), reference.sector_ids, "sector"):
        raise fail("preferred_sectors", problem)
    if profile.commune_code:
        communes = reference.commune_region()
        if communes:
            region = communes.get(profile.commune_code)
            if region is None:
                raise fail("commune_code", f"unknown commune {profile.commune_code!r}")
            if region != profile.region_id:
                raise fail(
                    "commune_code",
                    f"{profile.commune_code!r} does not lie in region {profile.region_id}",
                )


def profile_to_row(profile: Profile) -> dict[str, object]:
    """Write a profile as one row of the canonical profile frame."""
    return {
        c.BENEFICIARY_ID: profile.beneficiary_id,
        c.SEX: profile.sex.value,
        c.AGE: profile.age,
        c.REGION_ID: profile.region_id,
        c.MILIEU: profile.milieu.value,
        c.EDUCATION_LEVEL: profile.education_level.value,
        c.TRAININGS: join_list(list(dict.fromkeys(profile.trainings))),
        c.EXPERIENCE: join_experience((e.trade_id, e.years) for e in profile.experience),
        c.BUDGET_MAD: float(profile.budget_mad),
        c.PREFERRED_SECTORS: join_list(list(dict.fromkeys(profile.preferred_sectors))),
        c.HEALTH_CONSTRAINT: profile.health_constraint.value,
        c.COMMUNE_CODE: profile.commune_code or "",
    }
