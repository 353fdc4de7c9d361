"""Cohort job folders on disk: who owns them, and what start-up cleans.

Each upload gets ``jobs/<hex>/`` with a ``worker.pid`` naming the process that
serves it. At start-up (:func:`recover_jobs`), jobs still ``queued`` or
``running`` whose worker is gone (``kill -9``, a crash, a restart) are marked
``failed`` with a reason and their partial files removed; folders nobody owns
(an upload cut off before its job was recorded) are removed; ``.part`` files
in folders whose worker is gone and registry ``.staging-*`` folders left by an
interrupted write are removed; finished jobs older than
``MATCHER_JOBS_RETENTION_DAYS`` lose their row and their files. Nothing here
raises: a folder that cannot be removed is logged.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

from matcher.store.db import session_scope
from matcher.store.jobs import (
    JobRecord,
    JobStatus,
    delete_job,
    finished_before,
    input_paths,
    unfinished_jobs,
    update_job,
)

logger = logging.getLogger(__name__)

OWNER_FILE: Final = "worker.pid"
INTERRUPTED: Final = (
    "interrupted: the service stopped while this job was running; upload the file again"
)
STAGING_GRACE_S: Final = 3600.0
"""A registry ``.staging-*`` folder younger than this may belong to a save in progress."""


@dataclass(frozen=True)
class Recovery:
    """What :func:`recover_jobs` did."""

    failed: int
    expired: int
    removed_paths: int


def claim(folder: Path) -> None:
    """Create ``folder`` and mark it as served by this process."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / OWNER_FILE).write_text(str(os.getpid()), encoding="ascii")


def owner_alive(folder: Path) -> bool:
    """Whether the process named in ``folder/worker.pid`` still runs (not this one's past)."""
    try:
        pid = int((folder / OWNER_FILE).read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def discard(folder: Path) -> None:
    """Remove a job folder and everything in it (logged, never raises)."""
    try:
        shutil.rmtree(folder)
    except FileNotFoundError:
        return
    except OSError as exc:
        logger.error("cannot remove job folder %s: %s", folder.name, exc)


def _folder(job: JobRecord) -> Path:
    return Path(job.input_path).parent


def remove_partial_files(root: Path) -> int:
    """Remove ``*.part`` files under ``root``; return how many."""
    removed = 0
    if not root.is_dir():
        return 0
    for path in root.rglob("*.part"):
        try:
            path.unlink()
            removed += 1
        except OSError as exc:
            logger.error("cannot remove partial file %s: %s", path.name, exc)
    return removed


def remove_staging(registry_root: Path, *, grace_s: float = STAGING_GRACE_S) -> int:
    """Remove registry ``.staging-*`` folders older than ``grace_s``; return how many."""
    if not registry_root.is_dir():
        return 0
    removed = 0
    cutoff = time.time() - grace_s
    for path in registry_root.glob(".staging-*"):
        try:
            if path.stat().st_mtime < cutoff:
                shutil.rmtree(path)
                removed += 1
        except OSError as exc:
            logger.error("cannot remove staging folder %s: %s", path.name, exc)
    return removed


def recover_jobs(
    sessions: Any,
    jobs_dir: Path,
    *,
    retention_days: float,
    registry_root: Path | None = None,
    now: datetime | None = None,
) -> Recovery:
    """Fail interrupted jobs, remove leftovers and expire old jobs (see the module docstring).

    Parameters
    ----------
    sessions : sessionmaker
    jobs_dir : Path
    retention_days : float
        Finished jobs older than this are removed (rows and files).
    registry_root : Path, optional
        Also remove stale ``.staging-*`` folders there.
    now : datetime, optional
        For tests.

    Returns
    -------
    Recovery
    """
    now = now or datetime.now(UTC)
    failed = expired = removed = 0
    with session_scope(sessions) as session:
        for job in unfinished_jobs(session=session):
            folder = _folder(job)
            if owner_alive(folder):
                continue
            update_job(session=session, job_id=job.id, status=JobStatus.FAILED, error=INTERRUPTED)
            discard(folder)
            failed += 1
            logger.warning("job %s was interrupted by a restart; marked failed", job.id)
        for job in finished_before(session=session, cutoff=now - timedelta(days=retention_days)):
            discard(_folder(job))
            delete_job(session=session, job_id=job.id)
            expired += 1
        known = {Path(path).parent.name for path in input_paths(session=session)}
    if jobs_dir.is_dir():
        for folder in jobs_dir.iterdir():
            if not folder.is_dir() or owner_alive(folder):
                continue
            if folder.name not in known:
                discard(folder)
                removed += 1
            else:
                removed += remove_partial_files(folder)
    if registry_root is not None:
        removed += remove_staging(registry_root)
    if failed or expired or removed:
        logger.warning(
            "start-up: %d interrupted jobs marked failed, %d expired jobs removed, "
            "%d leftovers removed",
            failed,
            expired,
            removed,
        )
    return Recovery(failed=failed, expired=expired, removed_paths=removed)
