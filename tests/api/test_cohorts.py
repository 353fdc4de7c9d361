"""Cohort uploads: small files scored at once, large ones as background jobs; allocation."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
from conftest import Api, check_error, make_settings, start_api

DATA = Path(__file__).resolve().parents[2] / "data_samples"


def upload(path: Path, name: str | None = None) -> dict:
    return {"file": (name or path.name, path.read_bytes(), "application/octet-stream")}


def test_small_cohort_is_scored_at_once_with_rejects_kept(shared_api: Api):
    response = shared_api.client.post(
        "/v1/cohorts/score",
        files=upload(DATA / "cohort_with_errors.csv"),
        data={"top_k": "3"},
        headers=shared_api.headers("analyst"),
    )
    assert response.status_code == 200, response.text
    scores = pd.read_csv(io.StringIO(response.text))
    assert set(scores.columns) >= {"beneficiary_id", "rank", "project_type_id", "score"}
    assert scores.groupby("beneficiary_id").size().max() <= 3
    n_rows = len(pd.read_csv(DATA / "cohort_with_errors.csv"))
    rejected = int(response.headers["x-matcher-rejected"])
    scored = int(response.headers["x-matcher-scored"])
    assert rejected >= 10
    assert scored + rejected == n_rows
    job = response.headers["x-matcher-job"]
    rejects = shared_api.client.get(
        f"/v1/cohorts/jobs/{job}/rejects", headers=shared_api.headers("analyst")
    )
    assert rejects.status_code == 200
    assert len(pd.read_csv(io.StringIO(rejects.text))) == rejected


def test_large_cohort_becomes_a_background_job(tmp_path: Path, trained_registry):
    settings = make_settings(tmp_path, trained_registry, sync_cohort_rows=10)
    for api in start_api(settings):
        response = api.client.post(
            "/v1/cohorts/score", files=upload(DATA / "cohort.csv"), headers=api.headers("analyst")
        )
        assert response.status_code == 202, response.text
        body = response.json()
        assert response.headers["location"] == body["status_url"]
        # TestClient runs background tasks before returning: the job is finished.
        status = api.client.get(body["status_url"], headers=api.headers("analyst")).json()
        assert status["status"] == "done", status
        assert status["n_scored"] == len(pd.read_csv(DATA / "cohort.csv"))
        result = api.client.get(body["result_url"], headers=api.headers("analyst"))
        assert result.status_code == 200
        ranked = pd.read_csv(io.StringIO(result.text))
        assert (ranked["rank"] >= 1).all()


def test_score_upload_needs_analyst_role_and_a_known_file_type(shared_api: Api, tmp_path: Path):
    check_error(
        shared_api.client.post(
            "/v1/cohorts/score", files=upload(DATA / "cohort.csv"), headers=shared_api.headers()
        ),
        403,
        "forbidden",
    )
    bad = tmp_path / "cohort.txt"
    bad.write_text("hello")
    check_error(
        shared_api.client.post(
            "/v1/cohorts/score", files=upload(bad), headers=shared_api.headers("analyst")
        ),
        422,
        "data_schema",
    )
    missing = tmp_path / "missing.csv"
    pd.read_csv(DATA / "cohort.csv").drop(columns=["budget_mad"]).to_csv(missing, index=False)
    body = check_error(
        shared_api.client.post(
            "/v1/cohorts/score", files=upload(missing), headers=shared_api.headers("analyst")
        ),
        422,
        "data_schema",
    )
    assert "budget_mad" in body["detail"]


def test_unknown_job_is_404(shared_api: Api):
    check_error(
        shared_api.client.get(
            "/v1/cohorts/jobs/" + "0" * 32, headers=shared_api.headers("analyst")
        ),
        404,
        "not_found",
    )


def test_allocate_upload_respects_the_envelope(shared_api: Api, tmp_path: Path):
    cohort = tmp_path / "operation.csv"
    pd.read_csv(DATA / "cohort.csv", dtype=str, keep_default_na=False).head(27).to_csv(
        cohort, index=False
    )
    response = shared_api.client.post(
        "/v1/cohorts/allocate",
        files=upload(cohort),
        data={"envelope_mad": "300000"},
        headers=shared_api.headers("analyst"),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assignments = pd.DataFrame(body["assignments"])
    assert len(assignments) == 27
    assert assignments["cost_mad"].sum() <= 300000 + 1e-6
    assert body["spend_mad"] <= 300000 + 1e-6
    assert body["expected_successes"] >= body["baseline_expected_successes"] - 1e-9
