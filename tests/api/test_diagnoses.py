"""Diagnosis → decision → outcome reaches the database (SQLite; PostgreSQL when available)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from conftest import PROFILE, Api, detail_locs, make_settings, set_clock, start_api
from pg_schema import throwaway_schema
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

import api.routes.diagnoses as diagnoses_module
from matcher.store import session_scope
from matcher.store.tables import Decision, Diagnosis, Outcome

OUTCOME = {
    "project_type_id": "home_pastry",
    "funded_mad": 18000,
    "start_date": "2026-01-15",
    "active_6m": True,
    "active_12m": None,
    "active_24m": None,
    "monthly_income_mad": 2500.0,
}


def diagnose(api: Api, profile: dict | None = None) -> dict:
    response = api.client.post(
        "/v1/diagnoses", json={"profile": profile or PROFILE, "top_k": 5}, headers=api.headers()
    )
    assert response.status_code == 201, response.text
    return response.json()


def round_trip(api: Api) -> None:
    set_clock(api, datetime(2026, 1, 10, 9, 0, tzinfo=UTC))
    created = diagnose(api)
    diagnosis_id = created["diagnosis_id"]
    assert created["model_version"]
    assert created["recommendations"]
    assert "excluded" in created
    top = created["recommendations"][0]["project_type_id"]
    h = api.headers()

    decision = api.client.post(
        f"/v1/diagnoses/{diagnosis_id}/decision",
        json={"choice": "recommended", "project_type_id": top, "reason": "Interested, trained"},
        headers=h,
    )
    assert decision.status_code == 201, decision.text
    assert decision.json()["decided_by"] == "test-counsellor"
    set_clock(api, datetime(2026, 8, 1, 9, 0, tzinfo=UTC))
    outcome = api.client.post(
        "/v1/outcomes",
        json={**OUTCOME, "diagnosis_id": diagnosis_id, "project_type_id": top},
        headers=h,
    )
    assert outcome.status_code == 201, outcome.text
    assert outcome.json()["start_date"] == "2026-01-15"

    stored = api.client.get(f"/v1/diagnoses/{diagnosis_id}", headers=h)
    assert stored.status_code == 200, stored.text
    body = stored.json()
    assert body["beneficiary_id"] == PROFILE["beneficiary_id"]
    assert body["result"]["recommendations"] == created["recommendations"]
    assert [d["choice"] for d in body["decisions"]] == ["recommended"]
    assert body["outcomes"][0]["active_6m"] is True

    with session_scope(api.sessions()) as session:
        row = session.get(Diagnosis, diagnosis_id)
        assert row is not None
        assert row.model_version == created["model_version"]
        assert "Fatima" not in row.profile_json
        decisions = session.scalars(
            select(Decision).where(Decision.diagnosis_id == diagnosis_id)
        ).all()
        outcomes = session.scalars(
            select(Outcome).where(Outcome.diagnosis_id == diagnosis_id)
        ).all()
    assert [(d.choice, d.project_type_id) for d in decisions] == [("recommended", top)]
    assert [(o.project_type_id, o.funded_mad) for o in outcomes] == [(top, 18000.0)]
    api.app.dependency_overrides.clear()


def test_diagnosis_decision_outcome_round_trip(shared_api: Api) -> None:
    round_trip(shared_api)


@pytest.fixture
def postgres_api(tmp_path, trained_registry) -> Iterator[Api]:
    with throwaway_schema("api") as url:
        yield from start_api(make_settings(tmp_path, trained_registry, database_url=url))


@pytest.mark.postgres
def test_round_trip_on_postgres(postgres_api: Api) -> None:
    round_trip(postgres_api)


def test_decision_rules(shared_api: Api, assert_error) -> None:
    created = diagnose(shared_api)
    url = f"/v1/diagnoses/{created['diagnosis_id']}/decision"
    h = shared_api.headers()
    shown = {r["project_type_id"] for r in created["recommendations"]}
    other = next(e["project_type_id"] for e in created["excluded"])

    def decide(body):
        return shared_api.client.post(url, json=body, headers=h)

    body = assert_error(
        decide({"choice": "recommended", "project_type_id": "moon_base", "reason": "x"}),
        404,
        "project_type_not_found",
    )
    assert body["field"] == "project_type_id"
    assert_error(
        decide({"choice": "recommended", "project_type_id": other, "reason": "x"}),
        422,
        "not_recommended",
    )
    assert_error(
        decide({"choice": "other", "project_type_id": sorted(shown)[0], "reason": "x"}),
        422,
        "was_recommended",
    )
    body = assert_error(decide({"choice": "recommended", "reason": "x"}), 422, "invalid_request")
    assert ["body", "project_type_id"] in detail_locs(body)
    body = assert_error(
        decide({"choice": "none", "project_type_id": other, "reason": "x"}), 422, "invalid_request"
    )
    assert ["body", "project_type_id"] in detail_locs(body)
    for reason in ("", "   ", "x" * 1001):
        body = assert_error(decide({"choice": "none", "reason": reason}), 422, "invalid_request")
        assert ["body", "reason"] in detail_locs(body)
    assert (
        decide(
            {"choice": "other", "project_type_id": other, "reason": "Family workshop"}
        ).status_code
        == 201
    )
    change = {"choice": "none", "project_type_id": None, "reason": "Not ready yet"}
    assert_error(decide(change), 409, "decision_conflict")
    etag = shared_api.client.get(f"/v1/diagnoses/{created['diagnosis_id']}", headers=h).headers[
        "ETag"
    ]
    changed = shared_api.client.post(url, json=change, headers={**h, "If-Match": etag})
    assert changed.status_code == 201, changed.text
    stored = shared_api.client.get(f"/v1/diagnoses/{created['diagnosis_id']}", headers=h).json()
    assert [d["choice"] for d in stored["decisions"]] == ["other", "none"]


def test_unknown_diagnosis_is_404(shared_api: Api, assert_error) -> None:
    h = shared_api.headers()
    missing = "0" * 32
    assert_error(shared_api.client.get(f"/v1/diagnoses/{missing}", headers=h), 404, "not_found")
    assert_error(
        shared_api.client.post(
            f"/v1/diagnoses/{missing}/decision", json={"choice": "none", "reason": "x"}, headers=h
        ),
        404,
        "not_found",
    )
    assert_error(
        shared_api.client.post(
            "/v1/outcomes", json={**OUTCOME, "diagnosis_id": missing}, headers=h
        ),
        404,
        "not_found",
    )
    assert_error(
        shared_api.client.get("/v1/diagnoses/not-an-id", headers=h), 422, "invalid_request"
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"funded_mad": 0}, "funded_mad"),
        ({"start_date": "2026-02-30"}, "start_date"),
        ({"start_date": "15/01/2026"}, "start_date"),
        ({"active_12m": 1}, "active_12m"),
        ({"monthly_income_mad": -5}, "monthly_income_mad"),
    ],
)
def test_invalid_outcome_is_422(shared_api: Api, assert_error, change, field) -> None:
    body = {**OUTCOME, "diagnosis_id": "0" * 32, **change}
    response = shared_api.client.post("/v1/outcomes", json=body, headers=shared_api.headers())
    assert ["body", field] in detail_locs(assert_error(response, 422, "invalid_request"))


def test_outcome_for_unknown_type_is_404(shared_api: Api, assert_error) -> None:
    created = diagnose(shared_api)
    body = {**OUTCOME, "diagnosis_id": created["diagnosis_id"], "project_type_id": "moon_base"}
    response = shared_api.client.post("/v1/outcomes", json=body, headers=shared_api.headers())
    assert_error(response, 404, "project_type_not_found")


def test_diagnosis_write_retries_once_then_answers_503(
    shared_api: Api, assert_error, monkeypatch
) -> None:
    real = diagnoses_module.save_diagnosis
    calls = []

    def flaky(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("INSERT", {}, Exception("database is locked"))
        return real(**kwargs)

    monkeypatch.setattr(diagnoses_module, "save_diagnosis", flaky)
    assert diagnose(shared_api)["diagnosis_id"]
    assert len(calls) == 2

    def down(**kwargs):
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(diagnoses_module, "save_diagnosis", down)
    with session_scope(shared_api.sessions()) as session:
        before = len(session.scalars(select(Diagnosis.id)).all())
    response = shared_api.client.post(
        "/v1/diagnoses", json={"profile": PROFILE}, headers=shared_api.headers()
    )
    assert_error(response, 503, "database_unavailable")
    with session_scope(shared_api.sessions()) as session:
        assert len(session.scalars(select(Diagnosis.id)).all()) == before
