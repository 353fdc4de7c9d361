"""Record counsellor decisions on diagnoses (conventions: :mod:`matcher.store.repository`)."""

from __future__ import annotations

import json

from sqlalchemy.orm import Session

from matcher.contract.free_text import clean_free_text
from matcher.errors import DecisionRuleError, NotRecommendedError, WasRecommendedError
from matcher.store.records import DecisionChoice, recommended_ids
from matcher.store.repository import checked_actor, require_diagnosis
from matcher.store.tables import REASON_MAX_LENGTH, Decision, Diagnosis, utc_now


def record_decision(
    *,
    session: Session,
    diagnosis_id: str,
    choice: DecisionChoice | str,
    project_type_id: str | None,
    reason: str,
    actor: str,
) -> int:
    """Record a counsellor decision on a diagnosis (a later one supersedes it).

    Rules: ``recommended`` names a type that was shown; ``other`` names a type
    that was not; ``none`` names no type. ``reason`` is required (1-1000
    characters).

    Returns
    -------
    int
        The decision id.

    Raises
    ------
    NotFoundError
        If the diagnosis does not exist.
    NotRecommendedError, WasRecommendedError
        If ``recommended``/``other`` contradicts what was shown.
    DecisionRuleError
        If another rule above is broken.
    """
    diagnosis = require_diagnosis(session, diagnosis_id)
    choice = _checked_choice(choice)
    reason = _checked_reason(reason)
    project_type_id = (project_type_id or "").strip() or None
    _check_project_type(choice, project_type_id, diagnosis)
    row = Decision(
        diagnosis_id=diagnosis_id,
        choice=choice.value,
        project_type_id=project_type_id,
        reason=reason,
        decided_at=utc_now(),
        decided_by=checked_actor(actor),
    )
    session.add(row)
    session.flush()
    return row.id


def _checked_choice(choice: DecisionChoice | str) -> DecisionChoice:
    try:
        return DecisionChoice(choice)
    except ValueError:
        raise DecisionRuleError(
            f"choice must be one of {', '.join(c.value for c in DecisionChoice)}",
            details={"field": "choice"},
        ) from None


def _checked_reason(reason: str) -> str:
    if not reason.strip():
        raise DecisionRuleError("reason is required", details={"field": "reason"})
    return clean_free_text(reason, field="reason", max_length=REASON_MAX_LENGTH)


def _check_project_type(
    choice: DecisionChoice, project_type_id: str | None, diagnosis: Diagnosis
) -> None:
    """``none`` names no type; ``recommended`` a type shown; ``other`` a type not shown."""
    field = {"field": "project_type_id"}
    if choice is DecisionChoice.NONE:
        if project_type_id is not None:
            raise DecisionRuleError("choice 'none' must not name a project type", details=field)
        return
    if project_type_id is None:
        raise DecisionRuleError(
            f"choice {choice.value!r} requires a project_type_id", details=field
        )
    shown = recommended_ids(json.loads(diagnosis.recommendations_json))
    if choice is DecisionChoice.RECOMMENDED and project_type_id not in shown:
        raise NotRecommendedError(
            f"{project_type_id!r} was not among the recommendations shown; use choice 'other'",
            details=field,
        )
    if choice is DecisionChoice.OTHER and project_type_id in shown:
        raise WasRecommendedError(
            f"{project_type_id!r} was recommended; use choice 'recommended'", details=field
        )
