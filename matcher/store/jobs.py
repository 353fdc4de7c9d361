"""Background jobs (cohort scoring): queued → running → done | failed.

Same conventions as :mod:`matcher.store.repository`: keyword-only ``session``,
flush without commit, frozen records out. A job belongs to the centre of the
key that created it (``None`` for a key of no centre) and only keys of that
same centre see it (``scope``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.errors import NotFoundError
from matcher.store.tables import Job, utc_now


class JobStatus(StrEnum):
    """Life cycle of a background job: queued → running → done | failed."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


FINISHED_STATUSES = frozenset({JobStatus.DONE, JobStatus.FAILED})


@dataclass(frozen=True)
class JobRecord:
    """A stored background job."""

    id: str
    kind: str
    status: JobStatus
    input_path: str
    output_path: str
    rejects_path: str | None
    n_scored: int
    n_rejected: int
    error: str | None
    created_at: datetime
    finished_at: datetime | None
    created_by: str
    centre_id: str | None = None


def _actor(actor: str) -> str:
    actor = actor.strip()
    if not actor:
        raise ValueError("actor (the key label) must not be empty")
    return actor


def _job(row: Job) -> JobRecord:
    return JobRecord(
        id=row.id,
        kind=row.kind,
        status=JobStatus(row.status),
        input_path=row.input_path,
        output_path=row.output_path,
        rejects_path=row.rejects_path,
        n_scored=row.n_scored,
        n_rejected=row.n_rejected,
        error=row.error,
        created_at=row.created_at,
        finished_at=row.finished_at,
        created_by=row.created_by,
        centre_id=row.centre_id,
    )


def create_job(
    *,
    session: Session,
    kind: str,
    input_path: str,
    output_path: str,
    actor: str,
    rejects_path: str | None = None,
    centre_id: str | None = None,
) -> str:
    """Queue a background job.

    Returns
    -------
    str
        The job id (uuid4 hex); the job starts ``queued``.
    """
    job_id = uuid.uuid4().hex
    session.add(
        Job(
            id=job_id,
            kind=kind,
            status=JobStatus.QUEUED.value,
            input_path=input_path,
            output_path=output_path,
            rejects_path=rejects_path,
            n_scored=0,
            n_rejected=0,
            created_at=utc_now(),
            created_by=_actor(actor),
            centre_id=centre_id,
        )
    )
    session.flush()
    return job_id


def update_job(
    *,
    session: Session,
    job_id: str,
    status: JobStatus | str | None = None,
    n_scored: int | None = None,
    n_rejected: int | None = None,
    error: str | None = None,
    rejects_path: str | None = None,
) -> JobRecord:
    """Update a job's status and counters; ``finished_at`` is set on done/failed.

    Arguments left ``None`` are unchanged.

    Returns
    -------
    JobRecord
        The job after the update.

    Raises
    ------
    NotFoundError
        If there is no such job.
    ValueError
        If the status is unknown or the job has already finished.
    """
    row = session.get(Job, job_id)
    if row is None:
        raise NotFoundError(f"no job {job_id!r}", details={"job_id": job_id})
    if JobStatus(row.status) in FINISHED_STATUSES:
        raise ValueError(f"job {job_id} has already finished ({row.status})")
    if status is not None:
        new_status = JobStatus(status)
        row.status = new_status.value
        if new_status in FINISHED_STATUSES:
            row.finished_at = utc_now()
    if n_scored is not None:
        row.n_scored = n_scored
    if n_rejected is not None:
        row.n_rejected = n_rejected
    if error is not None:
        row.error = error
    if rejects_path is not None:
        row.rejects_path = rejects_path
    session.flush()
    return _job(row)


def get_job(*, session: Session, job_id: str, scope: str | None = "*") -> JobRecord:
    """Return a job seen from ``scope`` (a centre id, ``None`` for no centre, ``"*"`` for all).

    Raises
    ------
    NotFoundError
        If there is no such job, or it belongs to another centre.
    """
    row = session.get(Job, job_id)
    if row is None or (scope != "*" and row.centre_id != scope):
        raise NotFoundError(f"no job {job_id!r}", details={"job_id": job_id})
    return _job(row)


def unfinished_jobs(*, session: Session) -> list[JobRecord]:
    """Jobs still ``queued`` or ``running``, oldest first."""
    rows = session.scalars(
        select(Job)
        .where(Job.status.in_([JobStatus.QUEUED.value, JobStatus.RUNNING.value]))
        .order_by(Job.created_at)
    )
    return [_job(row) for row in rows]


def finished_before(*, session: Session, cutoff: datetime) -> list[JobRecord]:
    """Finished jobs (done or failed) whose ``finished_at`` is before ``cutoff``."""
    rows = session.scalars(
        select(Job)
        .where(Job.status.in_([s.value for s in FINISHED_STATUSES]))
        .where(Job.finished_at < cutoff)
        .order_by(Job.finished_at)
    )
    return [_job(row) for row in rows]


def delete_job(*, session: Session, job_id: str) -> None:
    """Remove a job's row (its files are the caller's to remove)."""
    row = session.get(Job, job_id)
    if row is not None:
        session.delete(row)
        session.flush()


def input_paths(*, session: Session) -> set[str]:
    """The input path of every stored job (their folders are the jobs' folders)."""
    return set(session.scalars(select(Job.input_path)))
