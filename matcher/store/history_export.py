"""Rebuild the contract's history file (section 4) from recorded outcomes, losing nothing.

This closes the loop: diagnoses (the profile as it stood) joined to the
follow-up of the funded project become the training rows of the next model.

The rules (``docs/accompaniment.md`` explains them to analysts):

* one row per **funded project**: a diagnosis whose current (latest) decision
  chose a project type (``recommended`` or ``other``);
* its **12-month outcome** is the current version of its 12-month record; when
  there is none, a current 24-month record that carries ``active_12m``; records
  made before horizons existed (no ``horizon_months``) count when they all agree
  on ``active_12m``, the type and the start date (the latest is used);
* the row's ``project_type_id``, ``funded_mad``, ``start_date`` and
  ``monthly_income_mad`` come from that record, the profile from the diagnosis;
* **every record left out** is a reject row with its reason code:
  ``superseded`` (an older version of a corrected record), ``other_horizon`` (a
  3-, 6- or 24-month record of a project whose row uses its 12-month record),
  ``no_12m_outcome`` (a funded project with no 12-month outcome yet, one row per
  record, or one row without ``outcome_id`` when nothing was recorded),
  ``no_decided_project`` (a follow-up of a diagnosis whose current decision funds
  nothing) and ``conflicting_records`` (older records that disagree on the
  12-month outcome: none is chosen, each is listed).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
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

REJECT_COLUMNS: Final[tuple[str, ...]] = (
    DIAGNOSIS_ID,
    "outcome_id",
    c.BENEFICIARY_ID,
    "horizon_months",
    "version",
    "reason_code",
    "reason",
)
REASON_CODES: Final[tuple[str, ...]] = (
    "superseded",
    "other_horizon",
    "no_12m_outcome",
    "no_decided_project",
    "conflicting_records",
)


@dataclass(frozen=True)
class HistoryExport:
    """The history rows and every record left out (with its reason)."""

    rows: pd.DataFrame
    rejects: pd.DataFrame

    def reject_counts(self) -> dict[str, int]:
        """How many records were left out, by reason code (codes with none omitted)."""
        counts = self.rejects["reason_code"].value_counts()
        return {code: int(counts[code]) for code in REASON_CODES if code in counts.index}


def _reject(
    diagnosis: Diagnosis, outcome: Outcome | None, code: str, reason: str
) -> dict[str, Any]:
    return {
        DIAGNOSIS_ID: diagnosis.id,
        "outcome_id": "" if outcome is None else str(outcome.id),
        c.BENEFICIARY_ID: diagnosis.beneficiary_id,
        "horizon_months": ""
        if outcome is None or outcome.horizon_months is None
        else str(outcome.horizon_months),
        "version": "" if outcome is None else str(outcome.version),
        "reason_code": code,
        "reason": reason,
    }


def _current(records: list[Outcome]) -> tuple[list[Outcome], list[Outcome]]:
    """(current records, superseded ones): the latest version of each horizon is current."""
    by_horizon: dict[int, list[Outcome]] = defaultdict(list)
    legacy: list[Outcome] = []
    for row in records:
        (legacy if row.horizon_months is None else by_horizon[row.horizon_months]).append(row)
    current, superseded = list(legacy), []
    for rows in by_horizon.values():
        rows.sort(key=lambda r: (r.version, r.id))
        current.append(rows[-1])
        superseded.extend(rows[:-1])
    return current, superseded


def _twelve_month(
    current: list[Outcome],
) -> tuple[Outcome | None, list[tuple[Outcome, str, str]]]:
    """The record the row uses, and the current records left out (with code and reason)."""
    by_h = {r.horizon_months: r for r in current if r.horizon_months is not None}
    legacy = sorted(
        (r for r in current if r.horizon_months is None and r.active_12m is not None),
        key=lambda r: (r.recorded_at, r.id),
    )
    chosen: Outcome | None = by_h.get(12)
    if chosen is None and by_h.get(24) is not None and by_h[24].active_12m is not None:
        chosen = by_h[24]
    out: list[tuple[Outcome, str, str]] = []
    if chosen is None and legacy:
        views = {(bool(r.active_12m), r.project_type_id, r.start_date) for r in legacy}
        if len(views) == 1:
            chosen = legacy[-1]
        else:
            why = "earlier records disagree on the 12-month outcome: correct them"
            out.extend((r, "conflicting_records", why) for r in legacy)
    for row in current:
        if row is chosen or any(row is r for r, _, _ in out):
            continue
        if chosen is None:
            out.append((row, "no_12m_outcome", "the project has no 12-month outcome yet"))
        else:
            out.append((row, "other_horizon", f"the row uses the record {chosen.id}"))
    return chosen, out


def _history_row(diagnosis: Diagnosis, outcome: Outcome, choice: str) -> dict[str, Any]:
    row = profile_to_row(Profile.model_validate_json(diagnosis.profile_json))
    active = bool(outcome.active_12m)
    income = outcome.monthly_income_mad
    row.update(
        {
            c.PROJECT_TYPE_ID: outcome.project_type_id,
            c.FUNDED_MAD: float(outcome.funded_mad),
            c.START_DATE: outcome.start_date.isoformat(),
            c.ACTIVE_12M: int(active),
            c.MONTHLY_INCOME_MAD: float(income) if income is not None and active else float("nan"),
            DIAGNOSIS_ID: diagnosis.id,
            DECISION_CHOICE: choice,
        }
    )
    return row


def _project(
    diagnosis: Diagnosis, decision: Decision | None, records: list[Outcome]
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The history row of one diagnosis (if any) and its rejects."""
    current, superseded = _current(records)
    rejects = [
        _reject(diagnosis, r, "superseded", f"corrected by a later version (record {r.id})")
        for r in superseded
    ]
    if decision is None or decision.project_type_id is None:
        why = "no decision funds a project" if decision is None else "the decision funds nothing"
        rejects.extend(_reject(diagnosis, r, "no_decided_project", why) for r in current)
        return None, rejects
    chosen, left = _twelve_month(current)
    rejects.extend(_reject(diagnosis, r, code, why) for r, code, why in left)
    if chosen is None:
        if not records:
            rejects.append(
                _reject(diagnosis, None, "no_12m_outcome", "decided, no follow-up recorded yet")
            )
        return None, rejects
    return _history_row(diagnosis, chosen, decision.choice), rejects


def export_history_with_rejects(*, session: Session) -> HistoryExport:
    """Return the history rows and every record left out, under the module's rules.

    Returns
    -------
    HistoryExport
        ``rows``: columns :data:`EXPORT_COLUMNS` (``start_date`` as text,
        ``active_12m`` 0/1, ``monthly_income_mad`` NaN when unknown or not
        active), sorted by ``start_date`` then ``diagnosis_id``. ``rejects``:
        columns :data:`REJECT_COLUMNS`, sorted by ``diagnosis_id`` then
        ``outcome_id``.
    """
    outcomes: dict[str, list[Outcome]] = defaultdict(list)
    for row in session.scalars(select(Outcome).order_by(Outcome.id)):
        outcomes[row.diagnosis_id].append(row)
    latest: dict[str, Decision] = {}
    for decision in session.scalars(select(Decision).order_by(Decision.decided_at, Decision.id)):
        latest[decision.diagnosis_id] = decision
    wanted = set(outcomes) | set(latest)
    records: list[dict[str, Any]] = []
    rejects: list[dict[str, Any]] = []
    for diagnosis in session.scalars(select(Diagnosis).order_by(Diagnosis.id)):
        if diagnosis.id not in wanted:
            continue
        found, left = _project(diagnosis, latest.get(diagnosis.id), outcomes.get(diagnosis.id, []))
        rejects.extend(left)
        if found is not None:
            records.append(found)
    return HistoryExport(rows=_frame(records), rejects=_reject_frame(rejects))


def _frame(records: list[dict[str, Any]]) -> pd.DataFrame:
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


def _reject_frame(rejects: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(rejects, columns=list(REJECT_COLUMNS)).astype("str")
    return frame.sort_values([DIAGNOSIS_ID, "outcome_id"], kind="stable").reset_index(drop=True)


def export_history(*, session: Session) -> pd.DataFrame:
    """The history rows only (:func:`export_history_with_rejects` gives the rejects too)."""
    return export_history_with_rejects(session=session).rows


__all__ = [
    "EXPORT_COLUMNS",
    "REASON_CODES",
    "REJECT_COLUMNS",
    "HistoryExport",
    "export_history",
    "export_history_with_rejects",
]
