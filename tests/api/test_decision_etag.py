"""Decisions that cannot be lost in a race (contract section 8): ETag, If-Match, 409, history."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from conftest import PROFILE, Api, check_error, make_settings, start_api
from pg_schema import throwaway_schema

N_PARALLEL = 40


def _diagnose(api: Api) -> dict[str, Any]:
    response = api.client.post(
        "/v1/diagnoses", json={"profile": PROFILE, "top_k": 5}, headers=api.headers()
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _decide(api: Api, diagnosis_id: str, reason: str, if_match: str | None = None) -> Any:
    headers = api.headers() | ({"If-Match": if_match} if if_match is not None else {})
    return api.client.post(
        f"/v1/diagnoses/{diagnosis_id}/decision",
        json={"choice": "none", "reason": reason},
        headers=headers,
    )


def _read(api: Api, diagnosis_id: str) -> Any:
    response = api.client.get(f"/v1/diagnoses/{diagnosis_id}", headers=api.headers())
    assert response.status_code == 200, response.text
    return response


def test_get_answers_an_etag_that_moves_with_each_decision(shared_api: Api) -> None:
    diagnosis_id = _diagnose(shared_api)["diagnosis_id"]
    before = _read(shared_api, diagnosis_id)
    assert before.headers["ETag"] == before.json()["etag"] == f'"{diagnosis_id}.0"'
    first = _decide(shared_api, diagnosis_id, "first: no If-Match needed")
    assert first.status_code == 201, first.text
    after = _read(shared_api, diagnosis_id).headers["ETag"]
    assert after == first.headers["ETag"] == first.json()["etag"] != before.headers["ETag"]


def test_a_change_needs_the_current_etag(shared_api: Api) -> None:
    diagnosis_id = _diagnose(shared_api)["diagnosis_id"]
    stale = _read(shared_api, diagnosis_id).headers["ETag"]
    assert _decide(shared_api, diagnosis_id, "first").status_code == 201
    current = _read(shared_api, diagnosis_id).headers["ETag"]

    missing = check_error(_decide(shared_api, diagnosis_id, "no etag"), 409, "decision_conflict")
    assert "If-Match" in missing["detail"]
    body = check_error(_decide(shared_api, diagnosis_id, "old", stale), 409, "decision_conflict")
    assert "stale If-Match" in body["detail"]
    check_error(_decide(shared_api, diagnosis_id, "junk", '"nope"'), 409, "decision_conflict")
    assert [d["reason"] for d in _read(shared_api, diagnosis_id).json()["decisions"]] == ["first"]

    changed = _decide(shared_api, diagnosis_id, "second, with its reason", current)
    assert changed.status_code == 201, changed.text
    # the same ETag cannot be used twice: it is stale now
    check_error(_decide(shared_api, diagnosis_id, "replay", current), 409, "decision_conflict")
    history = _read(shared_api, diagnosis_id).json()["decisions"]
    assert [d["reason"] for d in history] == ["first", "second, with its reason"]


def test_parallel_first_decisions_keep_exactly_one(shared_api: Api) -> None:
    """40 parallel first decisions on one diagnosis: one is stored, 39 answer 409."""
    race(shared_api)


@pytest.fixture
def postgres_api(tmp_path: Path, trained_registry: Any) -> Iterator[Api]:
    with throwaway_schema("etag") as url:
        yield from start_api(make_settings(tmp_path, trained_registry, database_url=url))


@pytest.mark.postgres
def test_parallel_first_decisions_keep_exactly_one_on_postgres(postgres_api: Api) -> None:
    race(postgres_api)


def race(shared_api: Api) -> None:
    diagnosis_id = _diagnose(shared_api)["diagnosis_id"]
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(
            pool.map(lambda i: _decide(shared_api, diagnosis_id, f"racer {i}"), range(N_PARALLEL))
        )
    codes = sorted(a.status_code for a in answers)
    assert codes == [201] + [409] * (N_PARALLEL - 1), codes
    (winner,) = [a.json()["reason"] for a in answers if a.status_code == 201]
    stored = _read(shared_api, diagnosis_id).json()["decisions"]
    assert [d["reason"] for d in stored] == [winner]


def test_parallel_changes_with_one_etag_keep_exactly_one(shared_api: Api) -> None:
    diagnosis_id = _diagnose(shared_api)["diagnosis_id"]
    assert _decide(shared_api, diagnosis_id, "first").status_code == 201
    etag = _read(shared_api, diagnosis_id).headers["ETag"]
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(
            pool.map(
                lambda i: _decide(shared_api, diagnosis_id, f"change {i}", etag), range(N_PARALLEL)
            )
        )
    assert sorted(a.status_code for a in answers) == [201] + [409] * (N_PARALLEL - 1)
    stored = [d["reason"] for d in _read(shared_api, diagnosis_id).json()["decisions"]]
    assert len(stored) == 2
    assert stored[0] == "first"
