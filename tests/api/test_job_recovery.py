"""Jobs survive restarts: kill -9 in the middle of a job, leftovers, refused uploads, retention."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from conftest import REFERENCE_DIR, TrainedRegistry, make_settings, start_api
from sqlalchemy import update

from matcher.settings import Settings
from matcher.store import (
    Role,
    create_job,
    create_key,
    get_job,
    make_engine,
    make_session_factory,
    session_scope,
    update_job,
    upgrade_database,
)
from matcher.store.jobs import JobStatus
from matcher.store.tables import Job

ROOT = Path(__file__).resolve().parents[2]
COHORT = ROOT / "data_samples" / "cohort.csv"

CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from fastapi.testclient import TestClient
    import api.routes.cohorts as cohorts
    from api.main import create_app
    from matcher.settings import Settings

    def slow_score_file(input_path, output_path, **kwargs):
        part = output_path.parent / ".scores.csv.x1.part"
        part.write_bytes(b"beneficiary_id,rank\\n" * 1000)
        time.sleep(600)

    cohorts.score_file = slow_score_file
    with TestClient(create_app(Settings())) as client:
        with open(sys.argv[2], "rb") as fh:
            client.post(
                "/v1/cohorts/score",
                files={"file": ("cohort.csv", fh, "text/csv")},
                headers={"Authorization": "Bearer " + sys.argv[1]},
            )
    """
)


def _sessions(settings: Settings):
    engine = make_engine(settings.database_url)
    upgrade_database(engine)
    return engine, make_session_factory(engine)


def _jobs(sessions) -> list[Job]:
    with session_scope(sessions) as session:
        rows = session.query(Job).all()
        session.expunge_all()
        return rows


def test_kill_9_in_the_middle_of_a_job_then_restart(
    tmp_path: Path, trained_registry: TrainedRegistry, assert_error
) -> None:
    settings = make_settings(tmp_path, trained_registry, sync_cohort_rows=0)
    settings = settings.model_copy(update={"jobs_dir": tmp_path / "jobs"})
    engine, sessions = _sessions(settings)
    with session_scope(sessions) as session:
        key, _ = create_key(session=session, role=Role.ANALYST, label="kill-test")
    script = tmp_path / "child.py"
    script.write_text(CHILD, encoding="utf-8")
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "MATCHER_REGISTRY": str(settings.registry),
        "MATCHER_REFERENCE": str(REFERENCE_DIR),
        "MATCHER_DATABASE_URL": settings.database_url,
        "MATCHER_JOBS_DIR": str(settings.jobs_dir),
        "MATCHER_SYNC_COHORT_ROWS": "0",
    }
    child = subprocess.Popen([sys.executable, str(script), key, str(COHORT)], env=env, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            jobs = _jobs(sessions)
            parts = list(settings.jobs_dir.rglob("*.part")) if settings.jobs_dir.exists() else []
            if jobs and jobs[0].status == "running" and parts:
                break
            assert child.poll() is None, "the child server stopped early"
            time.sleep(0.2)
        else:
            raise AssertionError("the job never started")
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(30)
    job_id = jobs[0].id
    assert _jobs(sessions)[0].status == "running"  # what kill -9 leaves behind
    engine.dispose()

    for api in start_api(settings):
        h = api.headers("analyst")
        status = api.client.get(f"/v1/cohorts/jobs/{job_id}", headers=h).json()
        assert status["status"] == "failed"
        assert status["error"].startswith("interrupted: the service stopped while this job")
        body = assert_error(
            api.client.get(f"/v1/cohorts/jobs/{job_id}/result", headers=h), 409, "job_failed"
        )
        assert "upload the file again" in body["detail"]
        assert list(settings.jobs_dir.rglob("*")) == []


def test_oversized_and_failed_uploads_leave_nothing(
    tmp_path: Path, trained_registry: TrainedRegistry, assert_error
) -> None:
    settings = make_settings(tmp_path, trained_registry, max_upload_mb=0.01)
    settings = settings.model_copy(update={"jobs_dir": tmp_path / "jobs"})
    for api in start_api(settings):
        h = api.headers("analyst")
        big = b"beneficiary_id\n" + b"B1\n" * 20_000
        body = assert_error(
            api.client.post(
                "/v1/cohorts/score", files={"file": ("c.csv", big, "text/csv")}, headers=h
            ),
            413,
            "payload_too_large",
        )
        assert "larger than 10.2 KiB" in body["detail"]
        bad = b"beneficiary_id,age\nB1,30\n"
        body = assert_error(
            api.client.post(
                "/v1/cohorts/score", files={"file": ("c.csv", bad, "text/csv")}, headers=h
            ),
            422,
            "data_schema",
        )
        assert str(tmp_path) not in body["detail"]
        assert "/jobs/" not in body["detail"]
        small = COHORT.read_bytes()[:4000].rsplit(b"\n", 1)[0] + b"\n"
        response = api.client.post(
            "/v1/cohorts/allocate",
            files={"file": ("c.csv", small, "text/csv")},
            data={"envelope_mad": "100000"},
            headers=h,
        )
        assert response.status_code == 200, response.text
        assert not settings.jobs_dir.exists() or list(settings.jobs_dir.iterdir()) == []
        assert (
            'matcher_failures_total{kind="payload_too_large"} 1' in api.client.get("/metrics").text
        )


def test_start_up_expires_old_jobs_and_cleans_leftovers(
    tmp_path: Path, trained_registry: TrainedRegistry
) -> None:
    settings = make_settings(tmp_path, trained_registry, jobs_retention_days=30)
    settings = settings.model_copy(update={"jobs_dir": tmp_path / "jobs"})
    engine, sessions = _sessions(settings)
    ids = {}
    for name, age_days in (("old", 31), ("recent", 29)):
        folder = settings.jobs_dir / f"{name}folder"
        folder.mkdir(parents=True)
        (folder / "input.csv").write_text("x\n")
        (folder / "scores.csv").write_text("x\n")
        with session_scope(sessions) as session:
            ids[name] = create_job(
                session=session,
                kind="score",
                input_path=str(folder / "input.csv"),
                output_path=str(folder / "scores.csv"),
                actor="t",
            )
            update_job(session=session, job_id=ids[name], status=JobStatus.DONE)
            session.execute(
                update(Job)
                .where(Job.id == ids[name])
                .values(finished_at=datetime.now(UTC) - timedelta(days=age_days))
            )
    (settings.jobs_dir / "recentfolder" / ".scores.csv.abc.part").write_text("half")
    orphan = settings.jobs_dir / "orphan"
    orphan.mkdir()
    (orphan / "input.csv").write_text("cut off before its job was recorded")
    staging = settings.registry / ".staging-abc"
    staging.mkdir()
    os.utime(staging, (time.time() - 7200, time.time() - 7200))
    engine.dispose()

    for api in start_api(settings):
        with session_scope(api.sessions()) as session:
            assert get_job(session=session, job_id=ids["recent"]).status == JobStatus.DONE
        assert (
            api.client.get(
                f"/v1/cohorts/jobs/{ids['old']}", headers=api.headers("analyst")
            ).status_code
            == 404
        )
    assert sorted(p.name for p in settings.jobs_dir.iterdir()) == ["recentfolder"]
    assert sorted(p.name for p in (settings.jobs_dir / "recentfolder").iterdir()) == [
        "input.csv",
        "scores.csv",
    ]
    assert not staging.exists()
