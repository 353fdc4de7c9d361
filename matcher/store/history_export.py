"""Rebuild the contract's history file (section 4) from recorded outcomes.

This closes the loop: diagnoses (the profile as it stood) joined to the
follow-up of the funded project become the training rows of the next model.
"""

from __future__ import annotations

from typing import Any, Final

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.contract import columns as c
from matcher.contract.profile_rules import profile_to_row
from matcher.domain import Profile
from matcher.store.tables import Decision, Diagnosis, Outcome

DIAGNOSIS_ID: Final = "diagnosis_id"
DECISION_CHOICE: Final = "decision_choice"

EXPORT_COLUMNS: Final[tuple[str, ...]] = (*c.HISTORY_COLUMNS, DIAGNOSIS_ID, DECISION_CHOICE)
"""Contract section 4 columns, then the two traceability columns."""


def export_history(*, session: Session) -> pd.DataFrame:
    """Return one history row per diagnosis whose outcome has a known ``active_12m``.

    Profile columns come from the profile stored with the diagnosis, in the
    canonical form (lists ``a;b``, experience ``trade_id:years``); the
    ``project_type_id`` is the one funded (from the outcome). When several
    follow-ups were recorded for a diagnosis, the latest one with a known
    ``active_12m`` is used, so a project is never counted twice.

    Parameters
    ----------
    session : Session

    Returns
    -------
    pandas.DataFrame
        Columns :data:`EXPORT_COLUMNS`: the contract's history columns
        (``start_date`` as ``YYYY-MM-DD`` text, ``active_12m`` as 0/1,
        ``monthly_income_mad`` NaN when unknown) plus ``diagnosis_id`` and
        ``decision_choice`` (the latest decision, ``""`` if none). Sorted by
        ``start_date`` then ``diagnosis_id``.
    """
    latest: dict[str, tuple[str, Outcome]] = {}
    rows = session.execute(
        select(Diagnosis.id, Diagnosis.profile_json, Outcome)
        .join(Outcome, Outcome.diagnosis_id == Diagnosis.id)
        .where(Outcome.active_12m.is_not(None))
        .order_by(Outcome.recorded_at, Outcome.id)
    )
    for diagnosis_id, profile_json, outcome in rows:
        latest[diagnosis_id] = (profile_json, outcome)

    choices: dict[str, str] = {}
    if latest:
        decisions = session.execute(
            select(Decision.diagnosis_id, Decision.choice)
            .where(Decision.diagnosis_id.in_(list(latest)))
            .order_by(Decision.decided_at, Decision.id)
        )
        choices = {str(row[0]): str(row[1]) for row in decisions}

    records: list[dict[str, Any]] = []
    for diagnosis_id, (profile_json, outcome) in latest.items():
        row = profile_to_row(Profile.model_validate_json(profile_json))
        row.update(
            {
                c.PROJECT_TYPE_ID: outcome.project_type_id,
                c.FUNDED_MAD: float(outcome.funded_mad),
                c.START_DATE: outcome.start_date.isoformat(),
                c.ACTIVE_12M: int(bool(outcome.active_12m)),
                c.MONTHLY_INCOME_MAD: (
                    float("nan")
                    if outcome.monthly_income_mad is None
                    else float(outcome.monthly_income_mad)
                ),
                DIAGNOSIS_ID: diagnosis_id,
                DECISION_CHOICE: choices.get(diagnosis_id, ""),
            }
        )
        records.append(row)

    frame = pd.DataFrame.from_records(records, columns=list(EXPORT_COLUMNS))
    frame = frame.astype(
        {
            c.AGE: "int64",
            c.BUDGET_MAD: "float64",
            c.FUNDED_MAD: "float64",
            c.ACTIVE_12M: "int64",
            c.MONTHLY_INCOME_MAD: "float64",
        }
    )
    return frame.sort_values([c.START_DATE, DIAGNOSIS_ID], kind="stable").reset_index(drop=True)
