"""Outcomes checked before they are stored (contract section 8): 422 naming the field.

The decision is dated 2025-01-10 and "today" is 2026-11-30 (the app's clock is
set), so every date rule is tested on fixed dates.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from conftest import PROFILE, Api, check_error, set_clock

DECIDED = datetime(2025, 1, 10, 9, 0, tzinfo=UTC)
TODAY = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def _decided(api: Api, beneficiary: str, choice: str = "recommended") -> dict[str, Any]:
    """A diagnosis with its first recommendation decided on DECIDED; clock then at TODAY."""
    set_clock(api, DECIDED)
    created = api.client.post(
        "/v1/diagnoses",
        json={"profile": {**PROFILE, "beneficiary_id": beneficiary}, "top_k": 5},
        headers=api.headers(),
    ).json()
    top = created["recommendations"][0]["project_type_id"]
    if choice != "skip":
        decision = api.client.post(
            f"/v1/diagnoses/{created['diagnosis_id']}/decision",
            json={"choice": "recommended", "project_type_id": top, "reason": "trained for it"},
            headers=api.headers(),
        )
        assert decision.status_code == 201, decision.text
    set_clock(api, TODAY)
    return created


def _body(created: dict[str, Any], **change: Any) -> dict[str, Any]:
    top = created["recommendations"][0]
    return {
        "diagnosis_id": created["diagnosis_id"],
        "project_type_id": top["project_type_id"],
        "funded_mad": top["cost_mad"],
        "start_date": "2025-02-01",
        "active_6m": True,
        **change,
    }


def _post(api: Api, body: dict[str, Any]) -> Any:
    return api.client.post("/v1/outcomes", json=body, headers=api.headers())


def _stored(api: Api, diagnosis_id: str) -> list[dict[str, Any]]:
    response = api.client.get(f"/v1/diagnoses/{diagnosis_id}", headers=api.headers())
    outcomes: list[dict[str, Any]] = response.json()["outcomes"]
    return outcomes


CASES = [
    ("before-decision", {"start_date": "2025-01-05"}, "start_date", "before the decision"),
    ("year-0001", {"start_date": "0001-01-01"}, "start_date", "before the decision"),
    ("future-start", {"start_date": "2030-01-01"}, "start_date", "in the future"),
    (
        "12m-too-early",
        {"start_date": "2026-02-01", "active_12m": True},
        "active_12m",
        "cannot be known before 2027-02-01",
    ),
    ("amount-huge", {"funded_mad": 9_999_999}, "funded_mad", "is not plausible"),
    ("amount-tiny", {"funded_mad": 100}, "funded_mad", "is not plausible"),
    ("income-huge", {"monthly_income_mad": 900_000}, "monthly_income_mad", "above 50,000"),
    (
        "income-closed",
        {"active_6m": False, "monthly_income_mad": 2500},
        "monthly_income_mad",
        "not active earns no income",
    ),
    (
        "12m-not-6m",
        {"active_6m": False, "active_12m": True},
        "active_12m",
        "active at 12 months but not at 6 months",
    ),
    ("no-horizon", {"active_6m": None}, "horizon_months", "say which follow-up"),
    ("flag-missing", {"horizon_months": 12}, "active_12m", "required for the 12-month"),
]


@pytest.mark.parametrize(("case", "change", "field", "words"), CASES, ids=[c[0] for c in CASES])
def test_a_contradictory_outcome_is_refused_and_nothing_stored(
    shared_api: Api, case: str, change: dict[str, Any], field: str, words: str
) -> None:
    created = _decided(shared_api, f"B-OUT-{case}")
    body = check_error(_post(shared_api, _body(created, **change)), 422, "invalid_outcome")
    assert body["field"] == field, body
    assert words in body["detail"], body["detail"]
    assert _stored(shared_api, created["diagnosis_id"]) == []


def test_another_type_needs_a_reason_and_never_an_excluded_one(shared_api: Api) -> None:
    created = _decided(shared_api, "B-OUT-type")
    shown = [r["project_type_id"] for r in created["recommendations"]]
    other = shown[1]
    body = check_error(
        _post(shared_api, _body(created, project_type_id=other, funded_mad=20000)),
        422,
        "invalid_outcome",
    )
    assert body["field"] == "changed_to_reason"
    assert f"say why it changed to '{other}'" in body["detail"]
    excluded = created["excluded"][0]["project_type_id"]
    body = check_error(
        _post(
            shared_api,
            _body(created, project_type_id=excluded, changed_to_reason="cheaper offer"),
        ),
        422,
        "invalid_outcome",
    )
    assert body["field"] == "project_type_id"
    assert "was excluded for this person" in body["detail"]
    assert _stored(shared_api, created["diagnosis_id"]) == []
    changed = _post(
        shared_api,
        _body(created, project_type_id=other, funded_mad=20000, changed_to_reason="local found"),
    )
    assert changed.status_code == 201, changed.text
    assert changed.json()["changed_to_reason"] == "local found"


def test_an_outcome_needs_a_decided_project(shared_api: Api) -> None:
    created = _decided(shared_api, "B-OUT-nodecision", choice="skip")
    body = check_error(_post(shared_api, _body(created)), 422, "invalid_outcome")
    assert body["field"] == "diagnosis_id"
    assert "record the decision first" in body["detail"]


def test_one_record_per_horizon_corrections_are_versions(shared_api: Api) -> None:
    created = _decided(shared_api, "B-OUT-versions")
    first = _post(shared_api, _body(created, monthly_income_mad=1800))
    assert first.status_code == 201, first.text
    assert (first.json()["horizon_months"], first.json()["version"]) == (6, 1)
    body = check_error(
        _post(shared_api, _body(created, monthly_income_mad=2600)), 422, "invalid_outcome"
    )
    assert body["field"] == "correction_reason"
    assert "6-month follow-up is already recorded" in body["detail"]
    fixed = _post(
        shared_api,
        _body(created, monthly_income_mad=2600, correction_reason="typo in the income"),
    )
    assert fixed.status_code == 201, fixed.text
    assert fixed.json()["version"] == 2
    stored = _stored(shared_api, created["diagnosis_id"])
    assert [(o["version"], o["monthly_income_mad"]) for o in stored] == [(1, 1800), (2, 2600)]


def test_a_later_horizon_may_not_contradict_an_earlier_record(shared_api: Api) -> None:
    created = _decided(shared_api, "B-OUT-horizons")
    closed = _post(shared_api, _body(created, active_6m=False, monthly_income_mad=0))
    assert closed.status_code == 201, closed.text
    body = check_error(
        _post(shared_api, _body(created, active_6m=None, active_12m=True)), 422, "invalid_outcome"
    )
    assert body["field"] == "active_12m"
    body = check_error(
        _post(
            shared_api, _body(created, active_6m=None, active_12m=False, start_date="2025-03-01")
        ),
        422,
        "invalid_outcome",
    )
    assert body["field"] == "start_date"
    assert "differs from the 6-month record" in body["detail"]
    assert len(_stored(shared_api, created["diagnosis_id"])) == 1
    ok = _post(shared_api, _body(created, active_6m=None, active_12m=False))
    assert ok.status_code == 201, ok.text
