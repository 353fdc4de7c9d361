"""matcher: which income-generating project suits each person leaving prison.

The public surface: the profile and its enums, the catalogue, the registry and scorer,
the one use case (:func:`recommend` for a person, :func:`rank_cohort` for a frame), its
result types, and the error base class.
"""

from matcher.domain import (
    EducationLevel,
    Exclusion,
    Experience,
    HealthConstraint,
    Milieu,
    Profile,
    QualificationGap,
    Recommendation,
    RecommendationResult,
    Sex,
)
from matcher.errors import MatcherError
from matcher.model.registry import Registry
from matcher.model.scorer import Scorer
from matcher.reference import Reference, load_reference
from matcher.service import rank_cohort, recommend

__all__ = [
    "EducationLevel",
    "Exclusion",
    "Experience",
    "HealthConstraint",
    "MatcherError",
    "Milieu",
    "Profile",
    "QualificationGap",
    "Recommendation",
    "RecommendationResult",
    "Reference",
    "Registry",
    "Scorer",
    "Sex",
    "load_reference",
    "rank_cohort",
    "recommend",
]
