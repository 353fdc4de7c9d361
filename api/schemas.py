"""Wire schemas of the HTTP API (contract section 6), separate from the domain types.

Request models are strict (``strict=True, extra="forbid"``): a JSON string is
not an integer, ``true`` is not a number, an unknown key is an error. The one
leniency is a whole float for an integer (``84.0``), which JSON Schema calls an
integer too. Requests convert to domain objects with ``to_domain()``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi.exceptions import RequestValidationError
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from matcher.domain import BENEFICIARY_ID_PATTERN, Profile
from matcher.service import MAX_TOP_K

STRICT = ConfigDict(strict=True, extra="forbid")
DIAGNOSIS_ID_PATTERN = r"^[0-9a-f]{32}$"
MODEL_VERSION_PATTERN = r"^\d{8}T\d{6}Z-[0-9a-f]{6}$"


def _whole_float_to_int(value: object) -> object:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


WholeInt = Annotated[int, BeforeValidator(_whole_float_to_int)]
"""An integer that also accepts ``84.0`` (JSON Schema's integer), never ``"84"``."""

Education = Literal["none", "primary", "lower_secondary", "upper_secondary", "higher"]
TradeIdIn = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$")]
TopK = Annotated[WholeInt, Field(ge=1, le=MAX_TOP_K)]


# -- requests -----------------------------------------------------------------------------
class ExperienceIn(BaseModel):
    """Years of work experience in one trade."""

    model_config = STRICT

    trade_id: TradeIdIn
    years: float = Field(ge=0, le=60, allow_inf_nan=False)


class ProfileIn(BaseModel):
    """A beneficiary profile (contract section 2); ``beneficiary_id`` is a pseudonym."""

    model_config = STRICT

    beneficiary_id: str = Field(pattern=BENEFICIARY_ID_PATTERN, examples=["B-2026-0042"])
    sex: Literal["F", "M"]
    age: WholeInt = Field(ge=18, le=75)
    region_id: str = Field(min_length=1, max_length=16, examples=["MA-06"])
    milieu: Literal["urban", "rural"]
    education_level: Education
    trainings: list[TradeIdIn] = Field(default_factory=list, max_length=50)
    experience: list[ExperienceIn] = Field(default_factory=list, max_length=50)
    budget_mad: float = Field(ge=0, le=10_000_000, allow_inf_nan=False)
    preferred_sectors: list[Annotated[str, Field(min_length=1, max_length=32)]] = Field(
        default_factory=list, max_length=6
    )
    health_constraint: Literal["none", "no_heavy_work"] = "none"
    commune_code: str | None = Field(default=None, max_length=32)

    def to_domain(self) -> Profile:
        """The domain profile; a domain-level type error is reported like a wire error."""
        try:
            return Profile.model_validate(self.model_dump())
        except ValidationError as exc:
            raise RequestValidationError(
                [
                    {**e, "loc": ("body", "profile", *e["loc"])}
                    for e in exc.errors(include_url=False, include_context=False)
                ]
            ) from exc


class RecommendationRequest(BaseModel):
    """``{"profile": {...}, "top_k": 5}``; ``top_k`` defaults to the server's setting."""

    model_config = STRICT

    profile: ProfileIn
    top_k: TopK | None = Field(
        default=None, description="1-50; omitted or null = the server default (5)"
    )


class DecisionIn(BaseModel):
    """The counsellor's decision on a diagnosis."""

    model_config = STRICT

    choice: Literal["recommended", "other", "none"]
    project_type_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        validate_default=True,
        description="Required unless choice is none; must be absent or null for none",
    )
    reason: str = Field(min_length=1, max_length=1000, pattern=r"\S")

    @field_validator("project_type_id")
    @classmethod
    def _type_matches_choice(cls, value: str | None, info: ValidationInfo) -> str | None:
        choice = info.data.get("choice")
        if choice == "none" and value is not None:
            raise ValueError("must be null when choice is 'none'")
        if choice in {"recommended", "other"} and value is None:
            raise ValueError(f"is required when choice is {choice!r}")
        return value


class OutcomeIn(BaseModel):
    """The follow-up of the project funded after a diagnosis."""

    model_config = STRICT

    diagnosis_id: str = Field(pattern=DIAGNOSIS_ID_PATTERN)
    project_type_id: str = Field(min_length=1, max_length=64)
    funded_mad: float = Field(gt=0, le=10_000_000, allow_inf_nan=False)
    start_date: str = Field(
        pattern=r"^\d{4}-\d{2}-\d{2}$",
        json_schema_extra={"format": "date"},
        description="YYYY-MM-DD",
    )
    active_6m: bool | None = None
    active_12m: bool | None = None
    active_24m: bool | None = None
    monthly_income_mad: float | None = Field(default=None, ge=0, le=10_000_000, allow_inf_nan=False)

    @field_validator("start_date")
    @classmethod
    def _real_date(cls, value: str) -> str:
        date.fromisoformat(value)
        return value

    @property
    def start(self) -> date:
        """``start_date`` as a date."""
        return date.fromisoformat(self.start_date)


class ActivateIn(BaseModel):
    """Why a version is activated; ``force`` overrides the promotion gate."""

    model_config = STRICT

    reason: str = Field(min_length=1, max_length=1000, pattern=r"\S")
    force: bool = False


class RollbackIn(BaseModel):
    """Why the previous version is brought back."""

    model_config = STRICT

    reason: str = Field(min_length=1, max_length=1000, pattern=r"\S")


# -- responses ----------------------------------------------------------------------------
class Names(BaseModel):
    """A label in French, Arabic and English."""

    fr: str
    ar: str
    en: str


class ReasonOut(BaseModel):
    """One factor behind a score and how much it moved it."""

    factor: str
    group: Literal["person", "market"]
    effect: float
    direction: str
    text: Names


class RecommendationOut(BaseModel):
    """One ranked, eligible project type."""

    rank: int
    project_type_id: str
    score: float = Field(ge=0, le=1, description="P(business active at 12 months)")
    sector_id: str
    cost_mad: float
    budget_mad: float
    margin_mad: float
    evidence_n: int
    evidence: Literal["thin", "moderate", "solid"]
    reasons: list[ReasonOut]
    names: Names


class ExclusionOut(BaseModel):
    """An ineligible project type and the contract rule(s) that excluded it."""

    project_type_id: str
    reason: str
    reasons: list[str]
    text: Names


class QualificationGapOut(BaseModel):
    """A training that would open a better option."""

    project_type_id: str
    trade_id: str
    score_without: float
    score_with: float
    rank_without: int
    rank_with: int
    names: Names
    trade_names: Names


class RecommendationResponse(BaseModel):
    """Contract section 6 plus reasons, evidence and qualification gaps."""

    model_version: str
    beneficiary_id: str
    top_k: int
    n_eligible: int
    recommendations: list[RecommendationOut]
    excluded: list[ExclusionOut]
    qualification_gaps: list[QualificationGapOut]


class DiagnosisCreated(RecommendationResponse):
    """A stored diagnosis: its id and what was shown."""

    diagnosis_id: str


class DecisionOut(BaseModel):
    """A stored decision."""

    decision_id: int
    diagnosis_id: str
    choice: Literal["recommended", "other", "none"]
    project_type_id: str | None
    reason: str
    decided_at: datetime
    decided_by: str


class OutcomeOut(BaseModel):
    """A stored follow-up."""

    outcome_id: int
    diagnosis_id: str
    project_type_id: str
    funded_mad: float
    start_date: date
    active_6m: bool | None
    active_12m: bool | None
    active_24m: bool | None
    monthly_income_mad: float | None
    recorded_at: datetime
    recorded_by: str


class DiagnosisOut(BaseModel):
    """A stored diagnosis with its decisions and follow-ups, oldest first."""

    diagnosis_id: str
    beneficiary_id: str
    profile: dict[str, Any]
    model_version: str
    top_k: int
    created_at: datetime
    created_by: str
    result: RecommendationResponse
    decisions: list[DecisionOut]
    outcomes: list[OutcomeOut]


class ProjectTypeOut(BaseModel):
    """A catalogue project type."""

    project_type_id: str
    names: Names
    sector_id: str
    required_trades: list[str]
    typical_cost_mad: float
    milieu: Literal["urban", "rural", "both"]
    physical_demand: Literal["low", "medium", "high"]
    home_based: bool
    min_education: Education


class TradeOut(BaseModel):
    """A trade (vocational skill)."""

    trade_id: str
    names: Names
    sector_id: str


class SectorOut(BaseModel):
    """A sector."""

    sector_id: str
    names: Names


class RegionOut(BaseModel):
    """A region with its published indicators."""

    region_id: str
    names: Names
    population: float
    urban_share: float
    unemployment_rate: float
    poverty_rate: float


class PlaceOut(BaseModel):
    """A province or commune (HCP code) for the forms."""

    code: str
    province_code: str
    name_fr: str
    name_ar: str


class ActivationOut(BaseModel):
    """One line of the activation history."""

    at: str
    version: str
    previous: str | None
    actor: str
    reason: str
    forced: bool
    action: str


class ModelSummaryOut(BaseModel):
    """A registered version with its headline metrics."""

    version: str
    created_at: str | None
    active: bool
    serving: bool
    metrics: dict[str, float]


class ModelListOut(BaseModel):
    """Every registered version, the active and serving ones, and the history."""

    active_version: str | None
    serving_version: str | None
    versions: list[ModelSummaryOut]
    history: list[ActivationOut]


class ModelDetailOut(BaseModel):
    """One version's manifest and metrics."""

    version: str
    active: bool
    serving: bool
    manifest: dict[str, Any]
    metrics: dict[str, Any]


class ActivationResult(BaseModel):
    """What an activation or rollback did."""

    activation: ActivationOut
    serving_version: str


class HealthOut(BaseModel):
    """Liveness."""

    status: Literal["ok"]


class ReadyOut(BaseModel):
    """Readiness: the model is loaded and the database answers."""

    ready: bool
    model_version: str | None
    checks: dict[str, bool]
