"""Response bodies of the HTTP API (contract section 6 and the admin routes)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from api.schemas.fields import Education


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
    fact: str = Field(
        default="",
        description="What the words state of this person and project type: for training and "
        "experience 'trade' (a trade the project needs), 'sector' (another trade of its "
        "sector), 'no_trade' (the project needs no trade); see matcher.model.facts",
    )
    trade_ids: list[str] = Field(default=[], description="The person's trades the words name")


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
    missing_trades: list[str] = Field(
        default=[],
        description="The trades this type needs when the person holds none of them "
        "(neither trained nor worked in)",
    )
    missing_trade_text: Names | None = Field(
        default=None, description="'Needs a trade the person does not hold: X', when one is missing"
    )
    livelihood: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="P(active at 12 months and net monthly income >= the livelihood "
        "threshold); null when the model version has no income part",
    )
    expected_income_mad: float | None = Field(
        default=None, description="Expected net monthly income if active (MAD)"
    )
    score_low: float | None = Field(
        default=None, ge=0, le=1, description="Lower end of a 90 % interval of score"
    )
    score_high: float | None = Field(
        default=None, ge=0, le=1, description="Upper end of a 90 % interval of score"
    )


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
    objective: Literal["livelihood", "survival"] = Field(
        default="survival", description="What score_without and score_with measure"
    )


class RecommendationResponse(BaseModel):
    """Contract section 6 plus reasons, evidence and qualification gaps."""

    model_version: str
    beneficiary_id: str
    top_k: int
    n_eligible: int
    recommendations: list[RecommendationOut]
    excluded: list[ExclusionOut]
    qualification_gaps: list[QualificationGapOut]
    objective: Literal["livelihood", "survival"] = Field(
        default="survival", description="What the ranking, reasons and gaps follow"
    )
    livelihood_mad: float | None = Field(
        default=None, description="Net monthly income (MAD) a livelihood must reach"
    )


class PreviousAdviceOut(BaseModel):
    """The person's latest earlier diagnosis in this centre and its decision."""

    diagnosis_id: str
    created_at: datetime
    recommended: list[str]
    decision: dict[str, Any] | None


class DiagnosisCreated(RecommendationResponse):
    """A stored diagnosis: its id and what was shown (and, for a known person, before)."""

    diagnosis_id: str
    previous: PreviousAdviceOut | None = Field(
        default=None, description="The person's previous diagnosis and decision in this centre"
    )


class DecisionOut(BaseModel):
    """A stored decision."""

    decision_id: int
    diagnosis_id: str
    choice: Literal["recommended", "other", "none"]
    project_type_id: str | None
    reason: str
    decided_at: datetime
    decided_by: str
    etag: str | None = Field(
        default=None, description="The diagnosis's ETag after this decision (for If-Match)"
    )


class OutcomeOut(BaseModel):
    """A stored follow-up."""

    outcome_id: int
    diagnosis_id: str
    project_type_id: str
    funded_mad: float
    start_date: date
    active_3m: bool | None = None
    active_6m: bool | None
    active_12m: bool | None
    active_24m: bool | None
    monthly_income_mad: float | None
    recorded_at: datetime
    recorded_by: str
    horizon_months: int | None = None
    version: int = 1
    changed_to_reason: str | None = None
    correction_reason: str | None = None
    note: str | None = None


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
    centre_id: str | None = None
    etag: str = Field(description="Send it back in If-Match to change the decision")


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
