"""Wire types of the case file and the follow-ups due (contract section 8)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel


class CaseSummaryOut(BaseModel):
    """A person of the centre found by pseudonym."""

    beneficiary_id: str
    n_diagnoses: int
    last_diagnosis_at: datetime
    last_diagnosis_id: str


class CaseEventOut(BaseModel):
    """One event of a case: a diagnosis, a decision (or a change) or an outcome."""

    at: datetime
    kind: Literal["diagnosis", "decision", "outcome"]
    diagnosis_id: str
    by: str
    details: dict[str, Any]


class FollowUpOut(BaseModel):
    """A follow-up visit overdue or due this week."""

    diagnosis_id: str
    beneficiary_id: str
    project_type_id: str
    start_date: date
    horizon_months: int
    due_date: date
    status: Literal["overdue", "due"]


class CaseOut(BaseModel):
    """A person's timeline, oldest first, and their follow-ups due."""

    beneficiary_id: str
    events: list[CaseEventOut]
    follow_ups: list[FollowUpOut]
