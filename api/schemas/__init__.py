"""Wire schemas of the HTTP API (contract section 6), separate from the domain types.

Request bodies are in :mod:`api.schemas.requests` (strict: ``strict=True,
extra="forbid"``; they convert to domain objects with ``to_domain()``), response
bodies in :mod:`api.schemas.responses`, and the shared field types and patterns in
:mod:`api.schemas.fields`. Everything is re-exported here.
"""

from __future__ import annotations

from api.schemas.fields import (
    DIAGNOSIS_ID_PATTERN,
    MODEL_VERSION_PATTERN,
    STRICT,
    Education,
    TopK,
    WholeInt,
)
from api.schemas.requests import (
    ActivateIn,
    DecisionIn,
    ExperienceIn,
    OutcomeIn,
    ProfileIn,
    RecommendationRequest,
    RollbackIn,
)
from api.schemas.responses import (
    ActivationOut,
    ActivationResult,
    DecisionOut,
    DiagnosisCreated,
    DiagnosisOut,
    ExclusionOut,
    HealthOut,
    ModelDetailOut,
    ModelListOut,
    ModelSummaryOut,
    Names,
    OutcomeOut,
    PlaceOut,
    ProjectTypeOut,
    QualificationGapOut,
    ReadyOut,
    ReasonOut,
    RecommendationOut,
    RecommendationResponse,
    RegionOut,
    SectorOut,
    TradeOut,
)

__all__ = [
    "DIAGNOSIS_ID_PATTERN",
    "MODEL_VERSION_PATTERN",
    "STRICT",
    "ActivateIn",
    "ActivationOut",
    "ActivationResult",
    "DecisionIn",
    "DecisionOut",
    "DiagnosisCreated",
    "DiagnosisOut",
    "Education",
    "ExclusionOut",
    "ExperienceIn",
    "HealthOut",
    "ModelDetailOut",
    "ModelListOut",
    "ModelSummaryOut",
    "Names",
    "OutcomeIn",
    "OutcomeOut",
    "PlaceOut",
    "ProfileIn",
    "ProjectTypeOut",
    "QualificationGapOut",
    "ReadyOut",
    "ReasonOut",
    "RecommendationOut",
    "RecommendationRequest",
    "RecommendationResponse",
    "RegionOut",
    "RollbackIn",
    "SectorOut",
    "TopK",
    "TradeOut",
    "WholeInt",
]
