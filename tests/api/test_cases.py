"""The case file: search by pseudonym, the timeline, a new diagnosis joining it, follow-ups."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import PROFILE, Api, check_error, make_settings, set_clock, start_api

PERSON = "B-CASE-0007"


def _diagnose(api: Api, beneficiary: str = PERSON, budget: int = 30000) -> dict[str, Any]:
    profile = {**PROFILE, "beneficiary_id": beneficiary, "budget_mad": budget}
    response = api.client.post(
        "/v1/diagnoses", json={"profile": profile, "top_k": 5}, headers=api.headers()
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _decide(api: Api, created: dict[str, Any], rank: int, reason: str, etag: str | None) -> Any:
    choice = created["recommendations"][rank]["project_type_id"]
    headers = api.headers() | ({"If-Match": etag} if etag else {})
    response = api.client.post(
        f"/v1/diagnoses/{created['diagnosis_id']}/decision",
        json={"choice": "recommended", "project_type_id": choice, "reason": reason},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return response


@pytest.fixture
def api(tmp_path: Path, trained_registry: Any) -> Iterator[Api]:
    yield from start_api(make_settings(tmp_path, trained_registry, follow_up_months=[3, 6, 12]))


def test_a_case_tells_the_whole_story_and_a_new_diagnosis_joins_it(api: Api) -> None:
    set_clock(api, datetime(2025, 1, 10, 9, tzinfo=UTC))
    first = _diagnose(api)
    assert first["previous"] is None
    decided = _decide(api, first, 0, "trained in the kitchen", None)
    changed = _decide(api, first, 1, "a shop was offered nearby", decided.headers["ETag"])
    chosen = first["recommendations"][1]
    set_clock(api, datetime(2025, 8, 5, 9, tzinfo=UTC))
    outcome = api.client.post(
        "/v1/outcomes",
        json={
            "diagnosis_id": first["diagnosis_id"],
            "project_type_id": chosen["project_type_id"],
            "funded_mad": chosen["cost_mad"],
            "start_date": "2025-02-01",
            "active_6m": True,
            "monthly_income_mad": 2400,
            "note": "new oven bought",
        },
        headers=api.headers(),
    )
    assert outcome.status_code == 201, outcome.text

    set_clock(api, datetime(2025, 8, 6, 9, tzinfo=UTC))
    second = _diagnose(api, budget=45000)
    previous = second["previous"]
    assert previous["diagnosis_id"] == first["diagnosis_id"]
    assert previous["recommended"] == [r["project_type_id"] for r in first["recommendations"]]
    assert previous["decision"]["project_type_id"] == chosen["project_type_id"]
    assert previous["decision"]["reason"] == "a shop was offered nearby"

    case = api.client.get(f"/v1/cases/{PERSON}", headers=api.headers())
    assert case.status_code == 200, case.text
    events = case.json()["events"]
    assert [e["kind"] for e in events] == [
        "diagnosis",
        "decision",
        "decision",
        "outcome",
        "diagnosis",
    ]
    assert events[0]["details"]["recommended"] == previous["recommended"]
    assert events[1]["details"]["changes"] is None
    assert events[2]["details"]["reason"] == "a shop was offered nearby"
    assert (
        events[2]["details"]["changes"]["project_type_id"]
        == first["recommendations"][0]["project_type_id"]
    )
    assert events[3]["details"]["note"] == "new oven bought"
    assert events[3]["details"]["horizon_months"] == 6
    assert changed.json()["decided_by"] == "test-counsellor"
    # the 3-month follow-up was never recorded: overdue; 12 months is not due yet
    assert [(f["horizon_months"], f["status"]) for f in case.json()["follow_ups"]] == [
        (3, "overdue")
    ]


def test_search_by_pseudonym_prefix(api: Api) -> None:
    for name in ("B-SEARCH-01", "B-SEARCH-02", "B-OTHER-01"):
        _diagnose(api, beneficiary=name)
    _diagnose(api, beneficiary="B-SEARCH-01")
    response = api.client.get("/v1/cases?q=B-SEARCH", headers=api.headers())
    assert response.status_code == 200, response.text
    found = {c["beneficiary_id"]: c["n_diagnoses"] for c in response.json()}
    assert found == {"B-SEARCH-01": 2, "B-SEARCH-02": 1}
    # "_" and "%" are not wildcards
    assert api.client.get("/v1/cases?q=B_SEARCH", headers=api.headers()).json() == []
    check_error(api.client.get("/v1/cases?q=a%25b", headers=api.headers()), 422, "invalid_request")
    check_error(api.client.get("/v1/cases/B-NOBODY", headers=api.headers()), 404, "not_found")


def test_follow_ups_due_this_week_and_overdue(api: Api) -> None:
    set_clock(api, datetime(2025, 1, 10, 9, tzinfo=UTC))
    created = _diagnose(api, beneficiary="B-DUE-1")
    _decide(api, created, 0, "ok", None)
    top = created["recommendations"][0]
    # Wednesday 2025-07-30: the 6-month visit (2025-08-01, a Friday) is due this week
    set_clock(api, datetime(2025, 7, 30, 9, tzinfo=UTC))
    started = api.client.post(
        "/v1/outcomes",
        json={
            "diagnosis_id": created["diagnosis_id"],
            "project_type_id": top["project_type_id"],
            "funded_mad": top["cost_mad"],
            "start_date": "2025-02-01",
            "active_3m": True,
        },
        headers=api.headers(),
    )
    assert started.status_code == 201, started.text
    due = api.client.get("/v1/follow-ups", headers=api.headers()).json()
    assert [(f["horizon_months"], f["due_date"], f["status"]) for f in due] == [
        (6, "2025-08-01", "due")
    ]
    set_clock(api, datetime(2025, 8, 4, 9, tzinfo=UTC))  # the next Monday: overdue
    due = api.client.get("/v1/follow-ups", headers=api.headers()).json()
    assert [(f["horizon_months"], f["status"]) for f in due] == [(6, "overdue")]
