"""Record the follow-up of funded projects (conventions: :mod:`matcher.store.repository`).

One current record per project (diagnosis) and horizon: a second record for
the same horizon is a correction, stored as the next version beside the first
(nothing is overwritten). The rules are in :mod:`matcher.store.outcome_rules`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.errors import OutcomeRuleError
from matcher.store.outcome_rules import (
    HORIZONS,
    OutcomeFacts,
    OutcomeIn,
    PriorOutcome,
    check_outcome,
)
from matcher.store.repository import EVERY_CENTRE, checked_actor, require_diagnosis
from matcher.store.tables import NOTE_MAX_LENGTH, REASON_MAX_LENGTH, Decision, Diagnosis, Outcome
from matcher.store.tables import utc_now as utc_now


def _optional_amount(value: float | None, name: str) -> float | None:
    if value is None:
        return None
    value = float(value)
    if not math.isfinite(value) or value < 0:
        raise OutcomeRuleError(f"{name} must be a number >= 0", details={"field": name})
    return value


def _optional_text(value: str | None, name: str, limit: int) -> str | None:
    value = (value or "").strip() or None
    if value is not None and len(value) > limit:
        raise OutcomeRuleError(
            f"{name} must be at most {limit} characters", details={"field": name}
        )
    return value


def flags_of(row: Outcome) -> dict[int, bool | None]:
    """The ``active_Xm`` flags of a stored outcome, by horizon."""
    return {3: row.active_3m, 6: row.active_6m, 12: row.active_12m, 24: row.active_24m}


def current_outcome_rows(session: Session, diagnosis_id: str) -> list[Outcome]:
    """The latest version of each horizon's outcome of a diagnosis (legacy rows kept)."""
    rows = session.scalars(
        select(Outcome)
        .where(Outcome.diagnosis_id == diagnosis_id)
        .order_by(Outcome.version, Outcome.recorded_at, Outcome.id)
    )
    latest: dict[object, Outcome] = {}
    for row in rows:
        latest[row.horizon_months if row.horizon_months is not None else f"id{row.id}"] = row
    return list(latest.values())


def _facts(session: Session, diagnosis: Diagnosis) -> OutcomeFacts:
    decision = session.scalars(
        select(Decision)
        .where(Decision.diagnosis_id == diagnosis.id)
        .order_by(Decision.decided_at.desc(), Decision.id.desc())
        .limit(1)
    ).first()
    profile = json.loads(diagnosis.profile_json)
    response = json.loads(diagnosis.recommendations_json)
    excluded = frozenset(
        str(item.get("project_type_id"))
        for item in response.get("excluded") or []
        if isinstance(item, Mapping)
    )
    prior = [
        PriorOutcome(
            horizon_months=row.horizon_months,
            version=row.version,
            project_type_id=row.project_type_id,
            start_date=row.start_date,
            flags=flags_of(row),
        )
        for row in current_outcome_rows(session, diagnosis.id)
    ]
    return OutcomeFacts(
        decided_type=None if decision is None else decision.project_type_id,
        decided_on=None if decision is None else decision.decided_at.date(),
        budget_mad=float(profile.get("budget_mad") or 0.0),
        excluded_types=excluded,
        prior=prior,
    )


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
    active_3m: bool | None = None,
    horizon_months: int | None = None,
    changed_to_reason: str | None = None,
    correction_reason: str | None = None,
    note: str | None = None,
    scope: str | None = EVERY_CENTRE,
    type_cost: Mapping[str, float] | None = None,
    today: date | None = None,
    now: datetime | None = None,
) -> int:
    """Check and record one follow-up of the project funded after a diagnosis.

    Parameters
    ----------
    horizon_months : int, optional
        The follow-up answered (3, 6, 12 or 24); by default the latest horizon
        whose ``active_Xm`` flag is given.
    changed_to_reason : str, optional
        Why the funded type is not the decided one (required then).
    correction_reason : str, optional
        Why an already recorded horizon is recorded again (required then).
    scope : str
        The caller's centre (:data:`matcher.store.repository.EVERY_CENTRE` for all).
    type_cost : mapping, optional
        ``typical_cost_mad`` by project type (the catalogue's); without it the
        amount is only checked to be > 0.
    today : date, optional
        The date the rules check against (the date of ``now`` by default).
    now : datetime, optional
        When the follow-up is recorded (UTC now by default).

    Returns
    -------
    int
        The outcome id.

    Raises
    ------
    NotFoundError
        If the diagnosis does not exist in ``scope``.
    OutcomeRuleError
        If a rule of :mod:`matcher.store.outcome_rules` is broken; nothing is stored.
    """
    diagnosis = require_diagnosis(session, diagnosis_id, scope)
    project_type_id = project_type_id.strip()
    if not project_type_id:
        raise OutcomeRuleError("project_type_id is required", details={"field": "project_type_id"})
    funded = float(funded_mad)
    if not math.isfinite(funded) or funded <= 0:
        raise OutcomeRuleError("funded_mad must be a number > 0", details={"field": "funded_mad"})
    if isinstance(start_date, datetime):
        start_date = start_date.date()
    flags = {3: active_3m, 6: active_6m, 12: active_12m, 24: active_24m}
    incoming = OutcomeIn(
        project_type_id=project_type_id,
        funded_mad=funded,
        start_date=start_date,
        horizon_months=horizon_months,
        flags=flags,
        monthly_income_mad=_optional_amount(monthly_income_mad, "monthly_income_mad"),
        changed_to_reason=_optional_text(changed_to_reason, "changed_to_reason", REASON_MAX_LENGTH),
        correction_reason=_optional_text(correction_reason, "correction_reason", REASON_MAX_LENGTH),
    )
    horizon, version = check_outcome(
        incoming,
        _facts(session, diagnosis),
        type_cost=type_cost or {},
        today=today or (now or utc_now()).date(),
    )
    row = Outcome(
        diagnosis_id=diagnosis_id,
        project_type_id=project_type_id,
        funded_mad=funded,
        start_date=start_date,
        active_3m=active_3m,
        active_6m=active_6m,
        active_12m=active_12m,
        active_24m=active_24m,
        monthly_income_mad=incoming.monthly_income_mad,
        horizon_months=horizon,
        version=version,
        changed_to_reason=incoming.changed_to_reason,
        correction_reason=incoming.correction_reason,
        note=_optional_text(note, "note", NOTE_MAX_LENGTH),
        recorded_at=now or utc_now(),
        recorded_by=checked_actor(actor),
    )
    session.add(row)
    session.flush()
    return row.id


__all__ = ["HORIZONS", "current_outcome_rows", "flags_of", "record_outcome"]
