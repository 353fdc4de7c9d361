"""Record counsellor decisions on diagnoses (conventions: :mod:`matcher.store.repository`).

One decision counts per diagnosis: the latest. Every earlier one stays in the
table (the change history, each with its reason). A change is a
compare-and-swap on ``diagnoses.decision_version``: the caller sends back the
``ETag`` it read (:attr:`matcher.store.records.DiagnosisRecord.etag`), and when
another decision got in first the change is refused, so no decision is lost to
a race.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from matcher.contract.free_text import clean_free_text
from matcher.errors import (
    DecisionConflictError,
    DecisionRuleError,
    NotRecommendedError,
    WasRecommendedError,
)
from matcher.store.records import DecisionChoice, recommended_ids
from matcher.store.repository import EVERY_CENTRE, checked_actor, require_diagnosis
from matcher.store.tables import REASON_MAX_LENGTH, Decision, Diagnosis, utc_now


def _etag(diagnosis: Diagnosis) -> str:
    return f'"{diagnosis.id}.{diagnosis.decision_version}"'


def _check_if_match(diagnosis: Diagnosis, if_match: str | None) -> None:
    """No ``If-Match`` is fine for the first decision; otherwise it must be the current ETag."""
    current = _etag(diagnosis)
    if if_match is None:
        if diagnosis.decision_version == 0:
            return
        raise DecisionConflictError(
            "a decision was already recorded: read the diagnosis and send its ETag in"
            " If-Match to change it",
            details={"field": "If-Match", "etag": current},
        )
    tags = [t.strip().removeprefix("W/") for t in if_match.split(",")]
    if current not in tags and "*" not in tags:
        raise DecisionConflictError(
            "the decision changed since you read it (stale If-Match): read it again",
            details={"field": "If-Match", "etag": current},
        )


def _bump(session: Session, diagnosis: Diagnosis) -> None:
    """Compare-and-swap the decision counter; a concurrent winner makes this a conflict."""
    seen = diagnosis.decision_version
    result = session.execute(
        update(Diagnosis)
        .where(Diagnosis.id == diagnosis.id, Diagnosis.decision_version == seen)
        .values(decision_version=seen + 1)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        raise DecisionConflictError(
            "another decision was recorded at the same moment: read it again",
            details={"field": "If-Match"},
        )
    session.expire(diagnosis, ["decision_version"])


def record_decision(
    *,
    session: Session,
    diagnosis_id: str,
    choice: DecisionChoice | str,
    project_type_id: str | None,
    reason: str,
    actor: str,
    scope: str | None = EVERY_CENTRE,
    if_match: str | None = None,
    now: datetime | None = None,
) -> int:
    """Record a counsellor decision on a diagnosis (a later one supersedes it).

    Rules: ``recommended`` names a type that was shown; ``other`` names a type
    that was not; ``none`` names no type. ``reason`` is required (1-1000
    characters). The first decision needs no ``if_match``; a change needs the
    diagnosis's current ETag.

    Returns
    -------
    int
        The decision id.

    Raises
    ------
    NotFoundError
        If the diagnosis does not exist in ``scope``.
    DecisionConflictError
        If ``if_match`` is missing (for a change) or stale; nothing is stored.
    NotRecommendedError, WasRecommendedError
        If ``recommended``/``other`` contradicts what was shown.
    DecisionRuleError
        If another rule above is broken.
    """
    diagnosis = require_diagnosis(session, diagnosis_id, scope)
    choice = _checked_choice(choice)
    reason = _checked_reason(reason)
    project_type_id = (project_type_id or "").strip() or None
    _check_project_type(choice, project_type_id, diagnosis)
    _check_if_match(diagnosis, if_match)
    _bump(session, diagnosis)
    row = Decision(
        diagnosis_id=diagnosis_id,
        choice=choice.value,
        project_type_id=project_type_id,
        reason=reason,
        decided_at=now or utc_now(),
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
