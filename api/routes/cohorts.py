"""Cohort files for analysts and programme managers: score and allocate by upload.

``POST /v1/cohorts/score`` takes a CSV or Parquet upload. Files up to
``settings.sync_cohort_rows`` rows are scored at once and the ranked CSV is the
answer (counts in ``X-Matcher-*`` headers); larger files become a background
job answered ``202`` with a status URL. Either way the job, its output and its
rejects stay retrievable under ``/v1/cohorts/jobs/{id}``.
``POST /v1/cohorts/allocate`` shares an envelope across an uploaded cohort.
"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, File, Form, Path, UploadFile
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel

from api.deps import AuditDep, ReferenceDep, ScorerDep, SessionFactoryDep, SettingsDep
from api.errors import ApiError, error_responses, scrub_paths
from api.job_files import claim, discard
from api.limits import too_large, upload_limit
from api.security import Analyst, Principal
from matcher.allocation.cohort_file import allocate_cohort
from matcher.batch.streaming import rejects_path, score_file
from matcher.contract.tables import count_rows, read_header, read_table
from matcher.errors import DataSchemaError
from matcher.model.scorer import Scorer
from matcher.reference import Reference
from matcher.store import create_job, get_job, update_job
from matcher.store.db import session_scope
from matcher.store.jobs import JobRecord, JobStatus

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/v1/cohorts", tags=["cohorts"])
JobId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]


class JobOut(BaseModel):
    """A cohort scoring job."""

    job_id: str
    status: str
    n_scored: int
    n_rejected: int
    error: str | None
    created_at: str
    finished_at: str | None
    status_url: str
    result_url: str
    rejects_url: str


def _job_out(job: JobRecord) -> JobOut:
    base = f"/v1/cohorts/jobs/{job.id}"
    return JobOut(
        job_id=job.id,
        status=str(job.status),
        n_scored=job.n_scored,
        n_rejected=job.n_rejected,
        error=job.error,
        created_at=job.created_at.isoformat(),
        finished_at=job.finished_at.isoformat() if job.finished_at else None,
        status_url=base,
        result_url=f"{base}/result",
        rejects_url=f"{base}/rejects",
    )


def _save_upload(upload: UploadFile, folder: FilePath, max_bytes: int) -> FilePath:
    """Copy the upload into ``folder`` (claimed by this process); refuse it past ``max_bytes``.

    A refused upload leaves nothing behind.
    """
    name = (upload.filename or "").lower()
    suffix = ".parquet" if name.endswith(".parquet") else ".csv" if name.endswith(".csv") else ""
    if not suffix:
        raise DataSchemaError("upload a .csv or .parquet file (by its file name)")
    claim(folder)
    target = folder / f"input{suffix}"
    written = 0
    try:
        with target.open("wb") as fh:
            while block := upload.file.read(1 << 20):
                written += len(block)
                if written > max_bytes:
                    raise too_large(max_bytes, "upload")
                fh.write(block)
    except BaseException:
        discard(folder)
        raise
    return target


def _not_done(job: JobRecord) -> ApiError:
    if job.status == JobStatus.FAILED:
        return ApiError(409, "job_failed", f"job {job.id} failed: {job.error}")
    return ApiError(409, "job_not_done", f"job {job.id} is {job.status}")


def _run_job(
    job_id: str,
    input_path: FilePath,
    output_path: FilePath,
    *,
    reference: Reference,
    scorer: Scorer,
    top_k: int,
    sessions: Any,
) -> None:
    with session_scope(sessions) as session:
        update_job(session=session, job_id=job_id, status=JobStatus.RUNNING)
    try:
        summary = score_file(
            input_path, output_path, reference=reference, scorer=scorer, top_k=top_k
        )
    except Exception as exc:  # the job records any failure; nothing is lost silently
        logger.exception("cohort job %s failed", job_id)
        message = getattr(exc, "message", None) or "internal error while scoring"
        with session_scope(sessions) as session:
            update_job(
                session=session,
                job_id=job_id,
                status=JobStatus.FAILED,
                error=scrub_paths(message),
            )
        discard(input_path.parent)
        return
    with session_scope(sessions) as session:
        update_job(
            session=session,
            job_id=job_id,
            status=JobStatus.DONE,
            n_scored=summary.n_scored,
            n_rejected=summary.n_rejected,
            rejects_path=str(rejects_path(output_path)),
        )


@router.post(
    "/score",
    responses={
        200: {"content": {"text/csv": {}}, "description": "The ranked cohort (small files)"},
        202: {"model": JobOut, "description": "Accepted as a background job (large files)"},
        **error_responses(400, 401, 403, 413, 422, 503),
    },
)
def score_cohort(
    principal: Analyst,
    settings: SettingsDep,
    reference: ReferenceDep,
    scorer: ScorerDep,
    sessions: SessionFactoryDep,
    audit: AuditDep,
    background: BackgroundTasks,
    file: Annotated[UploadFile, File(description="Cohort file, .csv or .parquet")],
    top_k: Annotated[int, Form(ge=1, le=50)] = 5,
) -> Response:
    """Score an uploaded cohort file (a background job for large files)."""
    audit.model_version = scorer.version
    folder = settings.jobs_dir / uuid.uuid4().hex
    input_path = _save_upload(file, folder, upload_limit(settings))
    from matcher.contract import columns as c
    from matcher.contract.profile_table import require_columns

    try:
        require_columns(read_header(input_path), c.PROFILE_REQUIRED, what="the upload")
    except BaseException:
        discard(folder)
        raise
    output_path = folder / "scores.csv"
    with session_scope(sessions) as session:
        job_id = create_job(
            session=session,
            kind="score",
            input_path=str(input_path),
            output_path=str(output_path),
            actor=principal.label,
            centre_id=principal.centre_id,
        )
    kwargs: dict[str, Any] = {
        "reference": reference,
        "scorer": scorer,
        "top_k": top_k,
        "sessions": sessions,
    }
    if count_rows(input_path) > settings.sync_cohort_rows:
        background.add_task(_run_job, job_id, input_path, output_path, **kwargs)
        with session_scope(sessions) as session:
            job = get_job(session=session, job_id=job_id)
        body = _job_out(job).model_dump()
        return JSONResponse(body, status_code=202, headers={"Location": body["status_url"]})
    _run_job(job_id, input_path, output_path, **kwargs)
    with session_scope(sessions) as session:
        job = get_job(session=session, job_id=job_id)
    if job.status != JobStatus.DONE:
        raise ApiError(422, "data_schema", job.error or "the file could not be scored")
    return FileResponse(
        output_path,
        media_type="text/csv",
        filename="scores.csv",
        headers={
            "X-Matcher-Job": job.id,
            "X-Matcher-Scored": str(job.n_scored),
            "X-Matcher-Rejected": str(job.n_rejected),
            "X-Matcher-Model-Version": scorer.version,
            "Link": f'</v1/cohorts/jobs/{job.id}/rejects>; rel="rejects"',
        },
    )


def _owned_job(sessions: Any, job_id: str, principal: Principal) -> JobRecord:
    """The job if the caller's centre made it (404 as for a missing job otherwise)."""
    with session_scope(sessions) as session:
        return get_job(session=session, job_id=job_id, scope=principal.centre_id)


@router.get("/jobs/{job_id}", response_model=JobOut, responses=error_responses(401, 403, 404, 422))
def job_status(principal: Analyst, sessions: SessionFactoryDep, job_id: JobId) -> JobOut:
    """Status and counts of a cohort job."""
    return _job_out(_owned_job(sessions, job_id, principal))


@router.get(
    "/jobs/{job_id}/result",
    responses={200: {"content": {"text/csv": {}}}, **error_responses(401, 403, 404, 409, 422)},
)
def job_result(principal: Analyst, sessions: SessionFactoryDep, job_id: JobId) -> Response:
    """The ranked output of a finished job."""
    job = _owned_job(sessions, job_id, principal)
    if job.status != JobStatus.DONE:
        raise _not_done(job)
    return FileResponse(job.output_path, media_type="text/csv", filename="scores.csv")


@router.get(
    "/jobs/{job_id}/rejects",
    responses={200: {"content": {"text/csv": {}}}, **error_responses(401, 403, 404, 409, 422)},
)
def job_rejects(principal: Analyst, sessions: SessionFactoryDep, job_id: JobId) -> Response:
    """The rejected rows of a finished job (row_number, beneficiary_id, error)."""
    job = _owned_job(sessions, job_id, principal)
    if job.status != JobStatus.DONE or not job.rejects_path:
        raise _not_done(job)
    return FileResponse(job.rejects_path, media_type="text/csv", filename="rejects.csv")


@router.post("/allocate", responses=error_responses(400, 401, 403, 413, 422, 503))
def allocate_upload(
    principal: Analyst,
    settings: SettingsDep,
    reference: ReferenceDep,
    scorer: ScorerDep,
    audit: AuditDep,
    file: Annotated[UploadFile, File(description="Cohort file, .csv or .parquet")],
    envelope_mad: Annotated[float, Form(ge=0)],
    top_k: Annotated[int, Form(ge=1, le=50)] = 5,
    max_share_per_type: Annotated[float | None, Form(gt=0, le=1)] = None,
    max_per_type_per_commune: Annotated[int | None, Form(ge=1)] = None,
) -> dict[str, Any]:
    """Share a budget envelope across an uploaded cohort (one row per person)."""
    audit.model_version = scorer.version
    folder = settings.jobs_dir / uuid.uuid4().hex
    input_path = _save_upload(file, folder, upload_limit(settings))
    try:  # the answer carries the whole result: the upload is not kept
        run = allocate_cohort(
            read_table(input_path),
            envelope_mad=envelope_mad,
            reference=reference,
            scorer=scorer,
            top_k=top_k,
            max_share_per_type=max_share_per_type,
            max_per_type_per_commune=max_per_type_per_commune,
        )
    finally:
        discard(folder)
    alloc = run.allocation
    return {
        "model_version": scorer.version,
        "envelope_mad": alloc.envelope_mad,
        "spend_mad": alloc.spend_mad,
        "expected_successes": alloc.expected_successes,
        "method": alloc.method_used,
        "optimal": alloc.optimal,
        "gap": alloc.gap,
        "baseline_expected_successes": alloc.baseline.expected_successes,
        "gain_over_baseline": alloc.gain_over_baseline,
        "n_rejected": len(run.rejects),
        "assignments": alloc.assignments.to_dict(orient="records"),
        "rejects": run.rejects.to_dict(orient="records"),
    }
