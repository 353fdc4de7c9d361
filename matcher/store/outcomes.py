"""Record the follow-up of funded projects (conventions: :mod:`matcher.store.repository`)."""

from __future__ import annotations

import math
from datetime import date, datetime

from sqlalchemy.orm import Session

from matcher.store.repository import checked_actor, require_diagnosis
from matcher.store.tables import Outcome, utc_now


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
    require_diagnosis(session, diagnosis_id)
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
        recorded_by=checked_actor(actor),
    )
    session.add(row)
    session.flush()
    return row.id
