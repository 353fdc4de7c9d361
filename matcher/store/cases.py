"""The case file of a person: search by pseudonym, and the timeline of everything recorded.

A case is every diagnosis of one ``beneficiary_id`` made in one centre (a new
diagnosis of a known pseudonym joins its case). Conventions as in
:mod:`matcher.store.repository`: keyword-only ``session``, a ``scope`` (the
caller's centre), frozen records out; a case of another centre is a
:class:`~matcher.errors.NotFoundError` exactly like a missing one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matcher.errors import NotFoundError
from matcher.store.records import recommended_ids
from matcher.store.repository import EVERY_CENTRE, in_scope
from matcher.store.tables import Decision, Diagnosis, Outcome

SEARCH_LIMIT: Final = 50


@dataclass(frozen=True)
class CaseSummary:
    """One line of a search: a person of the centre and where their case stands."""

    beneficiary_id: str
    n_diagnoses: int
    last_diagnosis_at: datetime
    last_diagnosis_id: str


@dataclass(frozen=True)
class CaseEvent:
    """One thing that happened in a case, in time order."""

    at: datetime
    kind: str
    """``diagnosis``, ``decision`` or ``outcome``."""
    diagnosis_id: str
    by: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PreviousAdvice:
    """What the person was last shown and what was decided (for a new diagnosis)."""

    diagnosis_id: str
    created_at: datetime
    recommended: tuple[str, ...]
    decision: dict[str, Any] | None


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _scoped(scope: str | None) -> Any:
    return True if scope == EVERY_CENTRE else Diagnosis.centre_id == scope


def search_cases(*, session: Session, scope: str | None, query: str) -> list[CaseSummary]:
    """People of the centre whose pseudonym starts with ``query`` (most recent first).

    Returns at most :data:`SEARCH_LIMIT` people; an empty ``query`` lists the
    centre's most recent cases.
    """
    pattern = _escape_like(query.strip()) + "%"
    rows = session.execute(
        select(Diagnosis.beneficiary_id, func.count(Diagnosis.id), func.max(Diagnosis.created_at))
        .where(_scoped(scope), Diagnosis.beneficiary_id.like(pattern, escape="\\"))
        .group_by(Diagnosis.beneficiary_id)
        .order_by(func.max(Diagnosis.created_at).desc(), Diagnosis.beneficiary_id)
        .limit(SEARCH_LIMIT)
    ).all()
    found = {str(b): int(n) for b, n, _ in rows}
    last: dict[str, Diagnosis] = {}
    for diagnosis in session.scalars(
        select(Diagnosis)
        .where(_scoped(scope), Diagnosis.beneficiary_id.in_(list(found)))
        .order_by(Diagnosis.created_at, Diagnosis.id)
    ):
        last[diagnosis.beneficiary_id] = diagnosis
    return [
        CaseSummary(
            beneficiary_id=b,
            n_diagnoses=n,
            last_diagnosis_at=last[b].created_at,
            last_diagnosis_id=last[b].id,
        )
        for b, n in found.items()
    ]


def _diagnoses(session: Session, scope: str | None, beneficiary_id: str) -> list[Diagnosis]:
    return list(
        session.scalars(
            select(Diagnosis)
            .where(_scoped(scope), Diagnosis.beneficiary_id == beneficiary_id)
            .order_by(Diagnosis.created_at, Diagnosis.id)
        )
    )


def _decision_details(row: Decision, earlier: Decision | None) -> dict[str, Any]:
    return {
        "choice": row.choice,
        "project_type_id": row.project_type_id,
        "reason": row.reason,
        "changes": None
        if earlier is None
        else {"choice": earlier.choice, "project_type_id": earlier.project_type_id},
    }


def _outcome_details(row: Outcome) -> dict[str, Any]:
    return {
        "outcome_id": row.id,
        "horizon_months": row.horizon_months,
        "version": row.version,
        "project_type_id": row.project_type_id,
        "funded_mad": row.funded_mad,
        "start_date": row.start_date.isoformat(),
        "active_3m": row.active_3m,
        "active_6m": row.active_6m,
        "active_12m": row.active_12m,
        "active_24m": row.active_24m,
        "monthly_income_mad": row.monthly_income_mad,
        "changed_to_reason": row.changed_to_reason,
        "correction_reason": row.correction_reason,
        "note": row.note,
    }


def _events_of(session: Session, diagnosis: Diagnosis) -> list[CaseEvent]:
    shown = json.loads(diagnosis.recommendations_json)
    events = [
        CaseEvent(
            at=diagnosis.created_at,
            kind="diagnosis",
            diagnosis_id=diagnosis.id,
            by=diagnosis.created_by,
            details={
                "model_version": diagnosis.model_version,
                "recommended": list(recommended_ids(shown)),
                "excluded": [e.get("project_type_id") for e in shown.get("excluded") or []],
            },
        )
    ]
    earlier: Decision | None = None
    for row in session.scalars(
        select(Decision)
        .where(Decision.diagnosis_id == diagnosis.id)
        .order_by(Decision.decided_at, Decision.id)
    ):
        events.append(
            CaseEvent(
                row.decided_at,
                "decision",
                diagnosis.id,
                row.decided_by,
                _decision_details(row, earlier),
            )
        )
        earlier = row
    for outcome in session.scalars(
        select(Outcome).where(Outcome.diagnosis_id == diagnosis.id).order_by(Outcome.id)
    ):
        events.append(
            CaseEvent(
                outcome.recorded_at,
                "outcome",
                diagnosis.id,
                outcome.recorded_by,
                _outcome_details(outcome),
            )
        )
    return events


def case_timeline(*, session: Session, scope: str | None, beneficiary_id: str) -> list[CaseEvent]:
    """Every diagnosis, decision (each change, its reason) and outcome of a person, oldest first.

    Raises
    ------
    NotFoundError
        If the centre has no diagnosis of ``beneficiary_id``.
    """
    diagnoses = _diagnoses(session, scope, beneficiary_id)
    if not diagnoses:
        raise NotFoundError(
            f"no case {beneficiary_id!r}", details={"beneficiary_id": beneficiary_id}
        )
    events = [event for d in diagnoses for event in _events_of(session, d)]
    order = {"diagnosis": 0, "decision": 1, "outcome": 2}
    return sorted(events, key=lambda e: (e.at, order[e.kind]))


def previous_advice(
    *, session: Session, scope: str | None, beneficiary_id: str, before: str
) -> PreviousAdvice | None:
    """The latest diagnosis of the same person in the centre other than ``before``, if any."""
    earlier = [
        d
        for d in _diagnoses(session, scope, beneficiary_id)
        if d.id != before and in_scope(d.centre_id, scope)
    ]
    if not earlier:
        return None
    last = earlier[-1]
    decision = session.scalars(
        select(Decision)
        .where(Decision.diagnosis_id == last.id)
        .order_by(Decision.decided_at.desc(), Decision.id.desc())
        .limit(1)
    ).first()
    return PreviousAdvice(
        diagnosis_id=last.id,
        created_at=last.created_at,
        recommended=recommended_ids(json.loads(last.recommendations_json)),
        decision=None if decision is None else _decision_details(decision, None),
    )
