from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
from sqlalchemy.orm import Session

from matcher.contract import columns as c
from matcher.contract.profile_rules import profile_to_row
from matcher.contract.profile_table import require_columns, validate_profiles
from matcher.contract.tables import read_table, write_table
from matcher.domain import Profile
from matcher.reference import Reference
from matcher.store import export_history, record_decision, record_outcome, save_diagnosis
from matcher.store.history_export import EXPORT_COLUMNS


def _diagnose(session: Session, profile: Profile, response: dict[str, object]) -> str:
    return save_diagnosis(
        session=session,
        profile=profile,
        model_version="v1",
        top_k=3,
        response=response,
        actor="c",
    )


def _outcome(
    session: Session,
    diagnosis_id: str,
    *,
    active_12m: bool | None,
    project_type_id: str = "snack_bar",
    income: float | None = None,
    start: date = date(2025, 3, 1),
) -> None:
    record_outcome(
        session=session,
        diagnosis_id=diagnosis_id,
        project_type_id=project_type_id,
        funded_mad=42000,
        start_date=start,
        active_6m=True,
        active_12m=active_12m,
        active_24m=None,
        monthly_income_mad=income,
        actor="c",
    )


def test_empty_export_has_contract_columns(session: Session) -> None:
    frame = export_history(session=session)
    assert list(frame.columns) == list(EXPORT_COLUMNS)
    assert frame.empty


def test_export_history(
    session: Session,
    profile: Profile,
    response: dict[str, object],
    reference: Reference,
    tmp_path: Path,
) -> None:
    funded = _diagnose(session, profile, response)
    record_decision(
        session=session,
        diagnosis_id=funded,
        choice="recommended",
        project_type_id="snack_bar",
        reason="Expérience en cuisine.",
        actor="c",
    )
    _outcome(session, funded, active_12m=True, income=3200)

    second = profile.model_copy(
        update={"beneficiary_id": "BEN-0043", "trainings": (), "experience": (), "age": 45}
    )
    followed_twice = _diagnose(session, second, response)
    _outcome(session, followed_twice, active_12m=False, project_type_id="home_pastry")
    _outcome(
        session,
        followed_twice,
        active_12m=True,
        project_type_id="home_pastry",
        start=date(2024, 11, 2),
    )

    pending = _diagnose(
        session, profile.model_copy(update={"beneficiary_id": "BEN-0044"}), response
    )
    _outcome(session, pending, active_12m=None)
    _diagnose(session, profile.model_copy(update={"beneficiary_id": "BEN-0045"}), response)
    session.commit()

    frame = export_history(session=session)
    assert list(frame.columns) == list(EXPORT_COLUMNS)
    assert frame[c.BENEFICIARY_ID].tolist() == ["BEN-0043", "BEN-0042"]

    first = frame.iloc[1]
    expected_profile = profile_to_row(profile)
    for column in c.PROFILE_COLUMNS:
        assert first[column] == expected_profile[column], column
    assert first[c.TRAININGS] == "cooking_catering;bakery_pastry"
    assert first[c.EXPERIENCE] == "cooking_catering:2.5;mens_hairdressing:3"
    assert first[c.PREFERRED_SECTORS] == "catering;services"
    assert first[c.PROJECT_TYPE_ID] == "snack_bar"
    assert first[c.FUNDED_MAD] == 42000.0
    assert first[c.START_DATE] == "2025-03-01"
    assert first[c.ACTIVE_12M] == 1
    assert first[c.MONTHLY_INCOME_MAD] == 3200.0
    assert first["diagnosis_id"] == funded
    assert first["decision_choice"] == "recommended"

    later = frame.iloc[0]
    assert later["diagnosis_id"] == followed_twice
    assert later[c.PROJECT_TYPE_ID] == "home_pastry"
    assert later[c.ACTIVE_12M] == 1
    assert later[c.START_DATE] == "2024-11-02"
    assert later[c.TRAININGS] == ""
    assert pd.isna(later[c.MONTHLY_INCOME_MAD])
    assert later["decision_choice"] == ""

    path = tmp_path / "history.csv"
    write_table(frame, path)
    text = read_table(path)
    require_columns(text.columns, c.HISTORY_REQUIRED, what="history")
    valid, rejects = validate_profiles(text, reference, unique_ids=False)
    assert rejects.empty, rejects.to_dict("records")
    assert len(valid) == 2
    assert text[c.ACTIVE_12M].tolist() == ["1", "1"]
    assert text[c.START_DATE].tolist() == ["2024-11-02", "2025-03-01"]
