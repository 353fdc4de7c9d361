"""Domain vocabulary: the profile (contract section 2) and what a recommendation returns.

The profile and its enums are defined with their rules in
:mod:`matcher.contract.profile_rules` and :mod:`matcher.contract.vocabulary`, and named
here too, so the core and its callers read one vocabulary. The result types (ranked
types, reasons, qualification gaps, exclusions) are defined below.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from matcher.contract.profile_rules import Experience, Profile
from matcher.contract.vocabulary import (
    EDUCATION_LEVELS,
    PHYSICAL_DEMANDS,
    SECTOR_IDS,
    EducationLevel,
    HealthConstraint,
    Milieu,
    Sex,
)


@dataclass(frozen=True)
class Reason:
    """One factor behind a score, with its measured effect."""

    factor: str
    group: str
    effect: float
    text: dict[str, str]
    fact: str = ""
    """What the words state of the pair (:mod:`matcher.model.facts`), "" when none."""
    trade_ids: tuple[str, ...] = ()
    """The person's trades the words name."""

    @property
    def direction(self) -> str:
        """``raises`` or ``lowers``."""
        return "raises" if self.effect > 0 else "lowers"


@dataclass(frozen=True)
class Recommendation:
    """One eligible project type, ranked, with its estimate and why."""

    rank: int
    project_type_id: str
    score: float
    sector_id: str
    cost_mad: float
    budget_mad: float
    margin_mad: float
    evidence_n: int
    evidence: str
    reasons: tuple[Reason, ...] = ()
    names: dict[str, str] = field(default_factory=dict)
    missing_trades: tuple[str, ...] = ()
    """The trades the type needs when the person holds none of them (trained or worked)."""
    missing_trade_text: dict[str, str] | None = None
    """"Needs a trade the person does not hold: X" in fr/ar/en (None when none is missing)."""
    livelihood: float | None = None
    """P(active at 12 months and income >= the threshold); None without an income part."""
    expected_income_mad: float | None = None
    """Expected net monthly income if active; None without an income part."""
    score_low: float | None = None
    """Lower end of the 90 % interval of ``score``; None for a version without one."""
    score_high: float | None = None
    """Upper end of the 90 % interval of ``score``."""


@dataclass(frozen=True)
class Exclusion:
    """An ineligible project type and the contract rule(s) that excluded it."""

    project_type_id: str
    reason: str
    reasons: tuple[str, ...]
    text: dict[str, str]


@dataclass(frozen=True)
class QualificationGap:
    """A training the person lacks that would open a better option."""

    project_type_id: str
    trade_id: str
    score_without: float
    score_with: float
    rank_without: int
    rank_with: int
    names: dict[str, str] = field(default_factory=dict)
    trade_names: dict[str, str] = field(default_factory=dict)
    objective: str = "survival"
    """What ``score_without`` and ``score_with`` measure: survival or livelihood."""


@dataclass(frozen=True)
class RecommendationResult:
    """Everything one diagnosis shows for one person."""

    beneficiary_id: str
    model_version: str
    top_k: int
    n_eligible: int
    recommendations: tuple[Recommendation, ...]
    excluded: tuple[Exclusion, ...]
    qualification_gaps: tuple[QualificationGap, ...]
    objective: str = "survival"
    """What the ranking, reasons and gaps follow: ``survival`` or ``livelihood``."""
    livelihood_mad: float | None = None
    """The livelihood threshold (net MAD per month) used."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (reasons keep their direction)."""
        out = asdict(self)
        for rec, obj in zip(out["recommendations"], self.recommendations, strict=True):
            for reason, robj in zip(rec["reasons"], obj.reasons, strict=True):
                reason["direction"] = robj.direction
        return out


__all__ = [
    "EDUCATION_LEVELS",
    "PHYSICAL_DEMANDS",
    "SECTOR_IDS",
    "EducationLevel",
    "Exclusion",
    "Experience",
    "HealthConstraint",
    "Milieu",
    "Profile",
    "QualificationGap",
    "Reason",
    "Recommendation",
    "RecommendationResult",
    "Sex",
]
