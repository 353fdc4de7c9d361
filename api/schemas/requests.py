"""Request bodies of the HTTP API (contract section 6).

Request models are strict (``strict=True, extra="forbid"``): a JSON string is
not an integer, ``true`` is not a number, an unknown key is an error. The one
leniency is a whole float for an integer (``84.0``), which JSON Schema calls an
integer too. Requests convert to domain objects with ``to_domain()``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Final, Literal

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

from api.schemas.fields import (
    DIAGNOSIS_ID_PATTERN,
    STRICT,
    Education,
    FreeText,
    TopK,
    _whole_float_to_int,
)
from matcher.contract.profile_rules import (
    MAX_EXPERIENCES,
    MAX_PREFERRED_SECTORS,
    MAX_TRAININGS,
    Age,
    BeneficiaryId,
    BudgetMad,
    CommuneCode,
    RegionId,
    TradeId,
    Years,
)
from matcher.domain import Profile


class ExperienceIn(BaseModel):
    """Years of work experience in one trade."""

    model_config = STRICT

    trade_id: TradeId
    years: Years


class ProfileIn(BaseModel):
    """A beneficiary profile (contract section 2); ``beneficiary_id`` is a pseudonym."""

    model_config = STRICT

    beneficiary_id: BeneficiaryId = Field(examples=["B-2026-0042"])
    sex: Literal["F", "M"]
    age: Annotated[Age, BeforeValidator(_whole_float_to_int)]
    region_id: RegionId = Field(examples=["MA-06"])
    milieu: Literal["urban", "rural"]
    education_level: Education
    trainings: list[TradeId] = Field(default_factory=list, max_length=MAX_TRAININGS)
    experience: list[ExperienceIn] = Field(default_factory=list, max_length=MAX_EXPERIENCES)
    budget_mad: BudgetMad
    preferred_sectors: list[Annotated[str, Field(min_length=1, max_length=32)]] = Field(
        default_factory=list, max_length=MAX_PREFERRED_SECTORS
    )
    health_constraint: Literal["none", "no_heavy_work"] = "none"
    commune_code: CommuneCode = None

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
    objective: Literal["livelihood", "survival"] | None = Field(
        default=None,
        description="What the ranking, reasons and gaps follow; omitted or null = "
        "livelihood when the model version has an income part, survival otherwise",
    )


CHOICE_RULE: Final[dict[str, Any]] = {
    "oneOf": [
        {
            "properties": {"choice": {"const": "none"}, "project_type_id": {"type": "null"}},
            "required": ["choice"],
        },
        {
            "properties": {
                "choice": {"enum": ["recommended", "other"]},
                "project_type_id": {"type": "string"},
            },
            "required": ["choice", "project_type_id"],
        },
    ]
}
"""``project_type_id`` is required with ``recommended``/``other`` and null or absent with
``none``, said in the schema so that generated clients know it."""


class DecisionIn(BaseModel):
    """The counsellor's decision on a diagnosis."""

    model_config = ConfigDict(**STRICT, json_schema_extra=CHOICE_RULE)

    choice: Literal["recommended", "other", "none"]
    project_type_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        validate_default=True,
        description="Required unless choice is none; must be absent or null for none",
    )
    reason: FreeText

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
    active_3m: bool | None = None
    active_6m: bool | None = None
    active_12m: bool | None = None
    active_24m: bool | None = None
    monthly_income_mad: float | None = Field(default=None, ge=0, le=10_000_000, allow_inf_nan=False)
    horizon_months: Literal[0, 3, 6, 12, 24] | None = Field(
        default=None,
        description="The follow-up this answers (0: the project started); by default the"
        " latest active_Xm flag given",
    )
    changed_to_reason: str | None = Field(
        default=None,
        max_length=1000,
        description="Required when project_type_id is not the decided type: why it changed",
    )
    correction_reason: str | None = Field(
        default=None,
        max_length=1000,
        description="Required to record a horizon again: the new record is the next version",
    )
    note: str | None = Field(default=None, max_length=2000, description="What changed, a note")

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

    reason: FreeText
    force: bool = False


class RollbackIn(BaseModel):
    """Why the previous version is brought back."""

    model_config = STRICT

    reason: FreeText
