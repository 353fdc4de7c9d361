"""The history export: one row per funded project, every record left out a reject."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from matcher.contract import columns as c
from matcher.contract.profile_rules import profile_to_row
from matcher.contract.profile_table import require_columns, validate_profiles
from matcher.contract.tables import read_table, write_table
from matcher.domain import Profile
from matcher.errors import OutcomeRuleError
from matcher.reference import Reference
from matcher.store import (
    export_history,
    export_history_with_rejects,
    get_diagnosis,
    record_decision,
    record_outcome,
    save_diagnosis,
)
from matcher.store.history_export import EXPORT_COLUMNS, REJECT_COLUMNS
from matcher.store.tables import Outcome

DECIDED_AT = datetime(2024, 6, 1, 10, 0, tzinfo=UTC)
TODAY = date(2026, 11, 30)


def _diagnose(session: Session, profile: Profile, response: dict[str, object]) -> str:
    return save_diagnosis(
        session=session,
        profile=profile,
        model_version="v1",
        top_k=3,
        response=response,
        actor="c",
        centre_id="car_casablanca",
    )


def _decide(session: Session, diagnosis_id: str, project_type_id: str | None) -> None:
    record_decision(
        session=session,
        diagnosis_id=diagnosis_id,
        choice="recommended" if project_type_id else "none",
        project_type_id=project_type_id,
        reason="Expérience en cuisine.",
        actor="c",
        if_match=get_diagnosis(session=session, diagnosis_id=diagnosis_id).etag,
        now=DECIDED_AT,
    )


def _outcome(
    session: Session,
    diagnosis_id: str,
    *,
    horizon: int,
    active: bool,
    project_type_id: str = "snack_bar",
    income: float | None = None,
    start: date = date(2024, 7, 1),
    correction: str | None = None,
) -> int:
    flags = {f"active_{h}m": None for h in (6, 12, 24)}
    flags[f"active_{horizon}m"] = active
    if horizon > 6 and active:
        flags["active_6m"] = True
    return record_outcome(
        session=session,
        diagnosis_id=diagnosis_id,
        project_type_id=project_type_id,
        funded_mad=42000,
        start_date=start,
        monthly_income_mad=income,
        actor="c",
        horizon_months=horizon,
        correction_reason=correction,
        today=TODAY,
        **flags,
    )


def test_empty_export_has_contract_columns(session: Session) -> None:
    export = export_history_with_rejects(session=session)
    assert list(export.rows.columns) == list(EXPORT_COLUMNS)
    assert list(export.rejects.columns) == list(REJECT_COLUMNS)
    assert export.rows.empty
    assert export.rejects.empty


def test_export_history(
    session: Session,
    profile: Profile,
    response: dict[str, object],
    reference: Reference,
    tmp_path: Path,
) -> None:
    funded = _diagnose(session, profile, response)
    _decide(session, funded, "snack_bar")
    six = _outcome(session, funded, horizon=6, active=True, income=2100)
    twelve = _outcome(session, funded, horizon=12, active=True, income=3200)

    corrected = _diagnose(
        session,
        profile.model_copy(
            update={"beneficiary_id": "BEN-0043", "trainings": (), "experience": (), "age": 45}
        ),
        response,
    )
    _decide(session, corrected, "home_pastry")
    wrong = _outcome(session, corrected, horizon=12, active=False, project_type_id="home_pastry")
    right = _outcome(
        session,
        corrected,
        horizon=12,
        active=True,
        project_type_id="home_pastry",
        correction="the 12-month visit found the business open",
    )

    pending = _diagnose(
        session, profile.model_copy(update={"beneficiary_id": "BEN-0044"}), response
    )
    _decide(session, pending, "snack_bar")
    early = _outcome(session, pending, horizon=6, active=True, start=date(2026, 3, 1))

    not_funded = _diagnose(
        session, profile.model_copy(update={"beneficiary_id": "BEN-0045"}), response
    )
    _decide(session, not_funded, None)
    _diagnose(session, profile.model_copy(update={"beneficiary_id": "BEN-0046"}), response)
    session.commit()

    export = export_history_with_rejects(session=session)
    frame = export.rows
    assert list(frame.columns) == list(EXPORT_COLUMNS)
    assert sorted(frame[c.BENEFICIARY_ID]) == ["BEN-0042", "BEN-0043"]
    first = frame.set_index("diagnosis_id").loc[funded]
    expected_profile = profile_to_row(profile)
    for column in c.PROFILE_COLUMNS:
        assert first[column] == expected_profile[column], column
    assert first[c.TRAININGS] == "cooking_catering;bakery_pastry"
    assert first[c.EXPERIENCE] == "cooking_catering:2.5;mens_hairdressing:3"
    assert first[c.PROJECT_TYPE_ID] == "snack_bar"
    assert first[c.FUNDED_MAD] == 42000.0
    assert first[c.START_DATE] == "2024-07-01"
    assert first[c.ACTIVE_12M] == 1
    assert first[c.MONTHLY_INCOME_MAD] == 3200.0
    assert first["decision_choice"] == "recommended"
    # the correction wins and the first record is not lost: it is a reject with its reason
    fixed = frame.set_index("diagnosis_id").loc[corrected]
    assert fixed[c.ACTIVE_12M] == 1
    assert fixed[c.PROJECT_TYPE_ID] == "home_pastry"

    rejects = export.rejects.set_index("outcome_id")
    assert rejects.loc[str(wrong), "reason_code"] == "superseded"
    assert rejects.loc[str(six), "reason_code"] == "other_horizon"
    assert rejects.loc[str(early), "reason_code"] == "no_12m_outcome"
    assert str(twelve) not in rejects.index
    assert str(right) not in rejects.index
    assert export.reject_counts() == {"superseded": 1, "other_horizon": 1, "no_12m_outcome": 1}
    assert "BEN-0045" not in set(export.rejects[c.BENEFICIARY_ID])  # decided none, no follow-up
    assert export_history(session=session).equals(frame)

    path = tmp_path / "history.csv"
    write_table(frame, path)
    text = read_table(path)
    require_columns(text.columns, c.HISTORY_REQUIRED, what="history")
    valid, invalid = validate_profiles(text, reference, unique_ids=False)
    assert invalid.empty, invalid.to_dict("records")
    assert len(valid) == 2


def test_records_of_a_diagnosis_that_funds_nothing_are_rejects(
    session: Session, profile: Profile, response: dict[str, object]
) -> None:
    diagnosis_id = _diagnose(session, profile, response)
    _decide(session, diagnosis_id, "snack_bar")
    kept = _outcome(session, diagnosis_id, horizon=12, active=True)
    _decide(session, diagnosis_id, None)  # the project was withdrawn after the follow-up
    session.commit()
    export = export_history_with_rejects(session=session)
    assert export.rows.empty
    (reject,) = export.rejects.to_dict("records")
    assert reject["outcome_id"] == str(kept)
    assert reject["reason_code"] == "no_decided_project"
    assert reject["reason"] == "the decision funds nothing"


def test_older_records_that_disagree_are_all_listed(
    session: Session, profile: Profile, response: dict[str, object]
) -> None:
    """Records made before horizons existed: two that disagree are not silently resolved."""
    diagnosis_id = _diagnose(session, profile, response)
    _decide(session, diagnosis_id, "snack_bar")
    for active in (True, False):
        session.add(
            Outcome(
                diagnosis_id=diagnosis_id,
                project_type_id="snack_bar",
                funded_mad=42000,
                start_date=date(2024, 7, 1),
                active_12m=active,
                recorded_by="old",
            )
        )
    session.commit()
    export = export_history_with_rejects(session=session)
    assert export.rows.empty
    assert export.reject_counts() == {"conflicting_records": 2}


@pytest.mark.parametrize("n_projects", [7])
def test_round_trip_loses_no_valid_outcome(
    session: Session, profile: Profile, response: dict[str, object], n_projects: int
) -> None:
    """Every 12-month outcome recorded (and not corrected) is in the export, exactly once."""
    recorded = {}
    for i in range(n_projects):
        person = profile.model_copy(update={"beneficiary_id": f"BEN-{i:04d}"})
        diagnosis_id = _diagnose(session, person, response)
        _decide(session, diagnosis_id, "snack_bar")
        _outcome(session, diagnosis_id, horizon=6, active=True)
        active = i % 3 != 0
        income = 3000.0 + i if active else None
        _outcome(session, diagnosis_id, horizon=12, active=active, income=income)
        recorded[person.beneficiary_id] = int(active)
        with pytest.raises(OutcomeRuleError):  # a duplicate without a reason is refused
            _outcome(session, diagnosis_id, horizon=12, active=not active)
    session.commit()
    export = export_history_with_rejects(session=session)
    got = dict(zip(export.rows[c.BENEFICIARY_ID], export.rows[c.ACTIVE_12M], strict=True))
    assert got == recorded
    assert export.reject_counts() == {"other_horizon": n_projects}
