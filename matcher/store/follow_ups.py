"""Follow-ups due: each funded project is visited 3, 6, 12 and 24 months after its start.

A project is *funded* when the current decision of its diagnosis chose a type;
its start is the ``start_date`` of its latest outcome record (the record at
horizon 0 notes the start; any later record carries it too). A follow-up at
``h`` months is *recorded* once an outcome answers that horizon. Not recorded,
it is ``overdue`` when its date is before ``today`` and ``due`` when it falls
between ``today`` and the end of this week (Sunday). The horizons are the
caller's (``MATCHER_FOLLOW_UP_MONTHS``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.store.outcome_rules import add_months
from matcher.store.repository import EVERY_CENTRE
from matcher.store.tables import Decision, Diagnosis, Outcome


@dataclass(frozen=True)
class FollowUp:
    """A follow-up visit that is due or overdue."""

    diagnosis_id: str
    beneficiary_id: str
    project_type_id: str
    start_date: date
    horizon_months: int
    due_date: date
    status: str
    """``overdue`` or ``due`` (this week)."""


def _answered(rows: Sequence[Outcome]) -> set[int]:
    done: set[int] = set()
    for row in rows:
        if row.horizon_months is not None:
            done.add(row.horizon_months)
        flags = {3: row.active_3m, 6: row.active_6m, 12: row.active_12m, 24: row.active_24m}
        done.update(h for h, v in flags.items() if v is not None)
    return done


def _funded(
    session: Session, scope: str | None
) -> tuple[list[Diagnosis], dict[str, Decision], dict[str, list[Outcome]]]:
    """The centre's diagnoses, their current decisions and their outcomes (three queries)."""
    query = select(Diagnosis)
    if scope != EVERY_CENTRE:
        query = query.where(Diagnosis.centre_id == scope)
    diagnoses = list(session.scalars(query))
    ids = select(Diagnosis.id)
    if scope != EVERY_CENTRE:
        ids = ids.where(Diagnosis.centre_id == scope)
    latest: dict[str, Decision] = {}
    for decision in session.scalars(
        select(Decision)
        .where(Decision.diagnosis_id.in_(ids))
        .order_by(Decision.decided_at, Decision.id)
    ):
        latest[decision.diagnosis_id] = decision
    outcomes: dict[str, list[Outcome]] = {}
    for row in session.scalars(
        select(Outcome).where(Outcome.diagnosis_id.in_(ids)).order_by(Outcome.id)
    ):
        outcomes.setdefault(row.diagnosis_id, []).append(row)
    return diagnoses, latest, outcomes


def follow_ups_due(
    *, session: Session, scope: str | None, today: date, horizons: Sequence[int]
) -> list[FollowUp]:
    """The centre's follow-ups overdue or due this week, most overdue first."""
    end_of_week = today + timedelta(days=6 - today.weekday())
    diagnoses, latest, outcomes = _funded(session, scope)
    out: list[FollowUp] = []
    for diagnosis in diagnoses:
        decision = latest.get(diagnosis.id)
        rows = outcomes.get(diagnosis.id)
        if decision is None or decision.project_type_id is None or not rows:
            continue
        start = rows[-1].start_date
        done = _answered(rows)
        for months in sorted(set(horizons) - done):
            due = add_months(start, months)
            if due > end_of_week:
                continue
            out.append(
                FollowUp(
                    diagnosis_id=diagnosis.id,
                    beneficiary_id=diagnosis.beneficiary_id,
                    project_type_id=rows[-1].project_type_id,
                    start_date=start,
                    horizon_months=months,
                    due_date=due,
                    status="overdue" if due < today else "due",
                )
            )
    return sorted(out, key=lambda f: (f.due_date, f.beneficiary_id, f.horizon_months))
