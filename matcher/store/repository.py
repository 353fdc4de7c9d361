"""Read and write diagnoses, decisions, outcomes and the audit log.

Plain functions with a keyword-only ``session``; they flush but never commit
(the caller's :func:`matcher.store.db.session_scope` or request dependency
does), and they return ids or frozen records, never ORM rows.

Errors: a missing diagnosis or job raises :class:`matcher.errors.NotFoundError`;
a broken business rule (empty reason, ``funded_mad <= 0``...) raises
``ValueError`` with a sentence the caller can show.

The job functions live in :mod:`matcher.store.jobs` and are re-exported here.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from matcher.domain import Profile
from matcher.errors import (
    DecisionRuleError,
    NotFoundError,
    NotRecommendedError,
    WasRecommendedError,
)
from matcher.store.jobs import JobRecord as JobRecord
from matcher.store.jobs import JobStatus as JobStatus
from matcher.store.jobs import create_job as create_job
from matcher.store.jobs import get_job as get_job
from matcher.store.jobs import update_job as update_job
from matcher.store.tables import (
    REASON_MAX_LENGTH,
    AuditEntry,
    Decision,
    Diagnosis,
    Outcome,
    utc_now,
)

logger = logging.getLogger(__name__)


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

    @property
    def latest_decision(self) -> DecisionRecord | None:
        """The decision that counts (the most recent), if any."""
        return self.decisions[-1] if self.decisions else None

    @property
    def recommended_ids(self) -> tuple[str, ...]:
        """The ``project_type_id`` of each recommendation shown, in rank order."""
        return _recommended_ids(self.response)


def canonical_profile_json(profile: Profile) -> str:
    """Serialise a profile deterministically (sorted keys, no spaces, UTF-8 text)."""
    return json.dumps(
        profile.model_dump(mode="json"),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )


def profile_hash(profile: Profile) -> str:
    """Return the sha256 hex digest of :func:`canonical_profile_json` (the ``input_hash``)."""
    return hashlib.sha256(canonical_profile_json(profile).encode("utf-8")).hexdigest()


def _recommended_ids(response: Mapping[str, Any]) -> tuple[str, ...]:
    items = response.get("recommendations") or []
    return tuple(
        str(item["project_type_id"])
        for item in items
        if isinstance(item, Mapping) and "project_type_id" in item
    )


def _require_diagnosis(session: Session, diagnosis_id: str) -> Diagnosis:
    row = session.get(Diagnosis, diagnosis_id)
    if row is None:
        raise NotFoundError(
            f"no diagnosis {diagnosis_id!r}", details={"diagnosis_id": diagnosis_id}
        )
    return row


def _actor(actor: str) -> str:
    actor = actor.strip()
    if not actor:
        raise ValueError("actor (the key label) must not be empty")
    return actor


def save_diagnosis(
    *,
    session: Session,
    profile: Profile,
    model_version: str,
    top_k: int,
    response: Mapping[str, Any],
    actor: str,
) -> str:
    """Store what was shown to a counsellor for ``profile``.

    Parameters
    ----------
    session : Session
    profile : Profile
        The profile as diagnosed (kept whole, so history can be rebuilt).
    model_version : str
    top_k : int
    response : mapping
        The response body as sent (JSON-serialisable: contract section 6).
    actor : str
        Label of the key that asked.

    Returns
    -------
    str
        The new diagnosis id (uuid4 hex).
    """
    if top_k < 1:
        raise ValueError("top_k must be at least 1")
    diagnosis_id = uuid.uuid4().hex
    session.add(
        Diagnosis(
            id=diagnosis_id,
            beneficiary_id=profile.beneficiary_id,
            profile_json=canonical_profile_json(profile),
            input_hash=profile_hash(profile),
            model_version=model_version,
            top_k=top_k,
            recommendations_json=json.dumps(response, ensure_ascii=False, allow_nan=False),
            created_at=utc_now(),
            created_by=_actor(actor),
        )
    )
    session.flush()
    logger.info(
        "saved diagnosis %s for beneficiary %s (model %s)",
        diagnosis_id,
        profile.beneficiary_id,
        model_version,
    )
    return diagnosis_id


def _decision(row: Decision) -> DecisionRecord:
    return DecisionRecord(
        id=row.id,
        diagnosis_id=row.diagnosis_id,
        choice=DecisionChoice(row.choice),
        project_type_id=row.project_type_id,
        reason=row.reason,
        decided_at=row.decided_at,
        decided_by=row.decided_by,
    )


def _outcome(row: Outcome) -> OutcomeRecord:
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
    )


def get_diagnosis(*, session: Session, diagnosis_id: str) -> DiagnosisRecord:
    """Return a diagnosis with its decisions and outcomes.

    Raises
    ------
    NotFoundError
        If there is no such diagnosis.
    """
    row = _require_diagnosis(session, diagnosis_id)
    decisions = session.scalars(
        select(Decision)
        .where(Decision.diagnosis_id == diagnosis_id)
        .order_by(Decision.decided_at, Decision.id)
    )
    outcomes = session.scalars(
        select(Outcome)
        .where(Outcome.diagnosis_id == diagnosis_id)
        .order_by(Outcome.recorded_at, Outcome.id)
    )
    return DiagnosisRecord(
        id=row.id,
        beneficiary_id=row.beneficiary_id,
        profile=Profile.model_validate_json(row.profile_json),
        input_hash=row.input_hash,
        model_version=row.model_version,
        top_k=row.top_k,
        response=json.loads(row.recommendations_json),
        created_at=row.created_at,
        created_by=row.created_by,
        decisions=tuple(_decision(d) for d in decisions),
        outcomes=tuple(_outcome(o) for o in outcomes),
    )


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
    diagnosis = _require_diagnosis(session, diagnosis_id)
    try:
        choice = DecisionChoice(choice)
    except ValueError:
        raise DecisionRuleError(
            f"choice must be one of {', '.join(c.value for c in DecisionChoice)}",
            details={"field": "choice"},
        ) from None
    reason = reason.strip()
    if not reason:
        raise DecisionRuleError("reason is required", details={"field": "reason"})
    if len(reason) > REASON_MAX_LENGTH:
        raise DecisionRuleError(
            f"reason must be at most {REASON_MAX_LENGTH} characters", details={"field": "reason"}
        )
    project_type_id = (project_type_id or "").strip() or None
    field = {"field": "project_type_id"}
    if choice is DecisionChoice.NONE:
        if project_type_id is not None:
            raise DecisionRuleError("choice 'none' must not name a project type", details=field)
    else:
        if project_type_id is None:
            raise DecisionRuleError(
                f"choice {choice.value!r} requires a project_type_id", details=field
            )
        shown = _recommended_ids(json.loads(diagnosis.recommendations_json))
        if choice is DecisionChoice.RECOMMENDED and project_type_id not in shown:
            raise NotRecommendedError(
                f"{project_type_id!r} was not among the recommendations shown; use choice 'other'",
                details=field,
            )
        if choice is DecisionChoice.OTHER and project_type_id in shown:
            raise WasRecommendedError(
                f"{project_type_id!r} was recommended; use choice 'recommended'", details=field
            )
    row = Decision(
        diagnosis_id=diagnosis_id,
        choice=choice.value,
        project_type_id=project_type_id,
        reason=reason,
        decided_at=utc_now(),
        decided_by=_actor(actor),
    )
    session.add(row)
    session.flush()
    return row.id


def _optional_amount(value: float | None, name: str) -> float | None:
    if value is None:
        return None
    value = float(value)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a number >= 0")
    return value


def record_outcome(
    *,
    session: Session,
    diagnosis_id: str,
    project_type_id: str,
    funded_mad: float,
    start_date: date,
    active_6m: bool | None,
    active_12m: bool | None,
    active_24m: bool | None,
    monthly_income_mad: float | None,
    actor: str,
) -> int:
    """Record the follow-up of the project funded after a diagnosis.

    Follow-ups are appended, never overwritten: a later record for the same
    diagnosis (e.g. at 24 months) supersedes earlier ones for the same fields.

    Returns
    -------
    int
        The outcome id.

    Raises
    ------
    NotFoundError
        If the diagnosis does not exist.
    ValueError
        If ``project_type_id`` is empty, ``funded_mad`` is not > 0, or
        ``monthly_income_mad`` is negative.
    """
    _require_diagnosis(session, diagnosis_id)
    project_type_id = project_type_id.strip()
    if not project_type_id:
        raise ValueError("project_type_id is required")
    funded = float(funded_mad)
    if not math.isfinite(funded) or funded <= 0:
        raise ValueError("funded_mad must be a number > 0")
    if isinstance(start_date, datetime):
        start_date = start_date.date()
    row = Outcome(
        diagnosis_id=diagnosis_id,
        project_type_id=project_type_id,
        funded_mad=funded,
        start_date=start_date,
        active_6m=active_6m,
        active_12m=active_12m,
        active_24m=active_24m,
        monthly_income_mad=_optional_amount(monthly_income_mad, "monthly_income_mad"),
        recorded_at=utc_now(),
        recorded_by=_actor(actor),
    )
    session.add(row)
    session.flush()
    return row.id


def log_request(
    *,
    session: Session,
    key_label: str | None,
    role: str | None,
    method: str,
    path: str,
    status_code: int,
    duration_ms: float,
    model_version: str | None = None,
    input_hash: str | None = None,
) -> int:
    """Append one line to the audit log (no key, no profile: labels and hashes only).

    ``key_label`` and ``role`` are ``None`` for requests without a valid key.

    Returns
    -------
    int
        The audit entry id.
    """
    row = AuditEntry(**_audit_values(locals()))
    session.add(row)
    session.flush()
    return row.id


def log_requests(*, session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Append many audit lines in one INSERT (the API's writer batches them).

    Each row has the keyword arguments of :func:`log_request` but ``session``.
    """
    if rows:
        session.execute(insert(AuditEntry), [_audit_values(row) for row in rows])


def _audit_values(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "at": utc_now(),
        "key_label": row["key_label"],
        "role": row["role"],
        "method": str(row["method"]).upper()[:16],
        "path": str(row["path"])[:512],
        "status_code": int(row["status_code"]),
        "model_version": row.get("model_version"),
        "input_hash": row.get("input_hash"),
        "duration_ms": float(row["duration_ms"]),
    }
