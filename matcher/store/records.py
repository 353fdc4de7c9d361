"""The frozen records the store returns: diagnoses, their decisions and outcomes.

Built from ORM rows by the reading functions (:func:`matcher.store.repository.get_diagnosis`);
callers never see the rows themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from matcher.domain import Profile
from matcher.store.tables import Decision, Outcome


class DecisionChoice(StrEnum):
    """What the counsellor chose: a recommended type, another type, or nothing."""

    RECOMMENDED = "recommended"
    OTHER = "other"
    NONE = "none"


@dataclass(frozen=True)
class DecisionRecord:
    """A stored counsellor decision."""

    id: int
    diagnosis_id: str
    choice: DecisionChoice
    project_type_id: str | None
    reason: str
    decided_at: datetime
    decided_by: str


@dataclass(frozen=True)
class OutcomeRecord:
    """A stored follow-up of a funded project."""

    id: int
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
    horizon_months: int | None = None
    version: int = 1
    active_3m: bool | None = None
    changed_to_reason: str | None = None
    correction_reason: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class DiagnosisRecord:
    """A stored diagnosis with its decisions and outcomes, oldest first."""

    id: str
    beneficiary_id: str
    profile: Profile
    input_hash: str
    model_version: str
    top_k: int
    response: dict[str, Any]
    created_at: datetime
    created_by: str
    decisions: tuple[DecisionRecord, ...] = ()
    outcomes: tuple[OutcomeRecord, ...] = ()
    centre_id: str | None = None
    decision_version: int = 0

    @property
    def etag(self) -> str:
        """The entity tag of the decision state: a change of decision must send it back."""
        return f'"{self.id}.{self.decision_version}"'

    @property
    def current_outcomes(self) -> tuple[OutcomeRecord, ...]:
        """The latest version of each horizon's outcome (records without a horizon kept)."""
        latest: dict[object, OutcomeRecord] = {}
        for outcome in self.outcomes:
            key = outcome.horizon_months if outcome.horizon_months is not None else outcome.id
            latest[key] = outcome
        return tuple(latest.values())

    @property
    def latest_decision(self) -> DecisionRecord | None:
        """The decision that counts (the most recent), if any."""
        return self.decisions[-1] if self.decisions else None

    @property
    def recommended_ids(self) -> tuple[str, ...]:
        """The ``project_type_id`` of each recommendation shown, in rank order."""
        return recommended_ids(self.response)


def recommended_ids(response: Mapping[str, Any]) -> tuple[str, ...]:
    """The ``project_type_id`` of each recommendation of a stored response, in rank order."""
    items = response.get("recommendations") or []
    return tuple(
        str(item["project_type_id"])
        for item in items
        if isinstance(item, Mapping) and "project_type_id" in item
    )


def decision_record(row: Decision) -> DecisionRecord:
    """The record of a decision row."""
    return DecisionRecord(
        id=row.id,
        diagnosis_id=row.diagnosis_id,
        choice=DecisionChoice(row.choice),
        project_type_id=row.project_type_id,
        reason=row.reason,
        decided_at=row.decided_at,
        decided_by=row.decided_by,
    )


def outcome_record(row: Outcome) -> OutcomeRecord:
    """The record of an outcome row."""
    return OutcomeRecord(
        id=row.id,
        diagnosis_id=row.diagnosis_id,
        project_type_id=row.project_type_id,
        funded_mad=row.funded_mad,
        start_date=row.start_date,
        active_6m=row.active_6m,
        active_12m=row.active_12m,
        active_24m=row.active_24m,
        monthly_income_mad=row.monthly_income_mad,
        recorded_at=row.recorded_at,
        recorded_by=row.recorded_by,
        horizon_months=row.horizon_months,
        version=row.version,
        active_3m=row.active_3m,
        changed_to_reason=row.changed_to_reason,
        correction_reason=row.correction_reason,
        note=row.note,
    )
