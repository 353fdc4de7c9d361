"""Each centre sees only its own people (contract section 8), on every person-data route.

A key of another centre gets exactly the answer of a missing id (404, same body
but for the id). The table of person-data requests is checked against the
``centre`` rules of ``test_route_roles.RULES``, so a new person-data route must
come with its two-centre case here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import OTHER_CENTRE, PROFILE, Api, check_error, set_clock
from test_route_roles import RULES

from matcher.store import Role, create_key, session_scope

MISSING = "f" * 32


def _diagnose(api: Api, role: str = "counsellor", beneficiary: str = "B-CENTRE-1") -> dict:
    response = api.client.post(
        "/v1/diagnoses",
        json={"profile": {**PROFILE, "beneficiary_id": beneficiary}, "top_k": 5},
        headers=api.headers(role),
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _read(api: Api, diagnosis_id: str, role: str) -> Any:
    return api.client.get(f"/v1/diagnoses/{diagnosis_id}", headers=api.headers(role))


def _decide(api: Api, diagnosis_id: str, role: str) -> Any:
    return api.client.post(
        f"/v1/diagnoses/{diagnosis_id}/decision",
        json={"choice": "none", "reason": "not now"},
        headers=api.headers(role),
    )


def _follow_up(api: Api, diagnosis_id: str, role: str) -> Any:
    body = {
        "diagnosis_id": diagnosis_id,
        "project_type_id": "home_pastry",
        "funded_mad": 18000,
        "start_date": "2026-01-15",
        "active_6m": True,
    }
    return api.client.post("/v1/outcomes", json=body, headers=api.headers(role))


def _case(api: Api, beneficiary_id: str, role: str) -> Any:
    return api.client.get(f"/v1/cases/{beneficiary_id}", headers=api.headers(role))


PERSON_REQUESTS: dict[tuple[str, str], tuple[Callable[[Api, str, str], Any], str]] = {
    ("GET", "/v1/diagnoses/{diagnosis_id}"): (_read, "diagnosis_id"),
    ("POST", "/v1/diagnoses/{diagnosis_id}/decision"): (_decide, "diagnosis_id"),
    ("POST", "/v1/outcomes"): (_follow_up, "diagnosis_id"),
    ("GET", "/v1/cases/{beneficiary_id}"): (_case, "beneficiary_id"),
}
"""Every person-data route that names a record: how to call it, and on which id."""
LISTS = {("POST", "/v1/diagnoses"), ("GET", "/v1/cases"), ("GET", "/v1/follow-ups")}
"""Person-data routes that name no record: tested below by what each centre sees."""


def test_every_person_route_has_a_two_centre_case() -> None:
    centre_routes = {route for route, rule in RULES.items() if rule == "centre"}
    assert set(PERSON_REQUESTS) == centre_routes - LISTS
    assert centre_routes >= LISTS


@pytest.mark.parametrize("route", sorted(PERSON_REQUESTS), ids=lambda r: f"{r[0]} {r[1]}")
def test_another_centre_gets_the_answer_of_a_missing_id(
    fresh_api: Api, route: tuple[str, str]
) -> None:
    request, id_field = PERSON_REQUESTS[route]
    created = _diagnose(fresh_api)
    diagnosis_id = created["diagnosis_id"]
    ident = "B-CENTRE-1" if id_field == "beneficiary_id" else diagnosis_id
    missing = check_error(request(fresh_api, MISSING, "counsellor"), 404, "not_found")
    foreign = check_error(request(fresh_api, ident, "other"), 404, "not_found")
    assert foreign == {
        key: value.replace(MISSING, ident) if isinstance(value, str) else value
        for key, value in missing.items()
    }
    if route[0] == "GET":  # the home centre reads it
        assert request(fresh_api, ident, "counsellor").status_code == 200
    assert diagnosis_id not in str(_read(fresh_api, diagnosis_id, "other").headers)
    # nothing was written by the other centre's attempt
    stored = _read(fresh_api, diagnosis_id, "counsellor").json()
    assert stored["decisions"] == []
    assert stored["outcomes"] == []
    assert stored["centre_id"] == "car_casablanca"


def test_a_diagnosis_belongs_to_the_centre_of_the_key_that_made_it(fresh_api: Api) -> None:
    mine = _diagnose(fresh_api, "counsellor")["diagnosis_id"]
    theirs = _diagnose(fresh_api, "other", beneficiary="B-AGADIR-1")["diagnosis_id"]
    assert _read(fresh_api, theirs, "other").json()["centre_id"] == OTHER_CENTRE
    assert _read(fresh_api, mine, "other").status_code == 404
    assert _read(fresh_api, theirs, "counsellor").status_code == 404
    profile = _read(fresh_api, theirs, "other").json()["profile"]
    assert profile["beneficiary_id"] == "B-AGADIR-1"


def test_each_centre_changes_only_its_own_decisions(fresh_api: Api) -> None:
    set_clock(fresh_api, datetime(2026, 1, 10, tzinfo=UTC))
    mine = _diagnose(fresh_api)["diagnosis_id"]
    assert _decide(fresh_api, mine, "counsellor").status_code == 201
    etag = _read(fresh_api, mine, "counsellor").headers["ETag"]
    stolen = fresh_api.client.post(
        f"/v1/diagnoses/{mine}/decision",
        json={"choice": "none", "reason": "overwrite"},
        headers={**fresh_api.headers("other"), "If-Match": etag},
    )
    check_error(stolen, 404, "not_found")
    reasons = [d["reason"] for d in _read(fresh_api, mine, "counsellor").json()["decisions"]]
    assert reasons == ["not now"]


def test_jobs_are_seen_only_by_keys_of_the_centre_that_made_them(fresh_api: Api) -> None:
    with session_scope(fresh_api.sessions()) as session:
        casa, _ = create_key(
            session=session, role=Role.ANALYST, label="casa-analyst", centre_id="car_casablanca"
        )
        agadir, _ = create_key(
            session=session, role=Role.ANALYST, label="agadir-analyst", centre_id="car_agadir"
        )
    content = (Path(__file__).resolve().parents[2] / "data_samples" / "cohort.csv").read_bytes()
    made = fresh_api.client.post(
        "/v1/cohorts/score",
        files={"file": ("cohort.csv", content, "text/csv")},
        headers={"Authorization": f"Bearer {casa}"},
    )
    assert made.status_code == 200, made.text
    job = made.headers["x-matcher-job"]
    for suffix in ("", "/result", "/rejects"):
        url = f"/v1/cohorts/jobs/{job}{suffix}"
        ok = fresh_api.client.get(url, headers={"Authorization": f"Bearer {casa}"})
        assert ok.status_code == 200, ok.text
        for key in (agadir, fresh_api.keys["analyst"]):
            check_error(
                fresh_api.client.get(url, headers={"Authorization": f"Bearer {key}"}),
                404,
                "not_found",
            )


def test_search_and_follow_ups_list_only_the_centres_own_people(fresh_api: Api) -> None:
    set_clock(fresh_api, datetime(2025, 1, 10, tzinfo=UTC))
    mine = _diagnose(fresh_api, beneficiary="B-SHARED-1")["diagnosis_id"]
    _diagnose(fresh_api, "other", beneficiary="B-SHARED-2")
    top = _read(fresh_api, mine, "counsellor").json()["result"]["recommendations"][0]
    decided = fresh_api.client.post(
        f"/v1/diagnoses/{mine}/decision",
        json={"choice": "recommended", "project_type_id": top["project_type_id"], "reason": "ok"},
        headers=fresh_api.headers(),
    )
    assert decided.status_code == 201, decided.text
    set_clock(fresh_api, datetime(2025, 9, 1, tzinfo=UTC))
    started = fresh_api.client.post(
        "/v1/outcomes",
        json={
            "diagnosis_id": mine,
            "project_type_id": top["project_type_id"],
            "funded_mad": top["cost_mad"],
            "start_date": "2025-02-01",
            "horizon_months": 0,
        },
        headers=fresh_api.headers(),
    )
    assert started.status_code == 201, started.text

    def found(role: str) -> list[str]:
        response = fresh_api.client.get("/v1/cases?q=B-SHARED", headers=fresh_api.headers(role))
        assert response.status_code == 200, response.text
        return [case["beneficiary_id"] for case in response.json()]

    assert found("counsellor") == ["B-SHARED-1"]
    assert found("other") == ["B-SHARED-2"]
    due = fresh_api.client.get("/v1/follow-ups", headers=fresh_api.headers()).json()
    assert [(f["beneficiary_id"], f["horizon_months"]) for f in due] == [
        ("B-SHARED-1", 3),
        ("B-SHARED-1", 6),
    ]
    assert fresh_api.client.get("/v1/follow-ups", headers=fresh_api.headers("other")).json() == []
