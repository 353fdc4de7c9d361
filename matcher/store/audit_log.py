"""Append to the audit log (conventions: :mod:`matcher.store.repository`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from matcher.store.tables import AuditEntry, utc_now


def log_request(
    *,
    session: Session,
    key_label: str | None,
    role: str | None,
    method: str,
    path: str,
    status_code: int,
    duration_ms: float,
    model_version: str | None = None,
    input_hash: str | None = None,
) -> int:
    """Append one line to the audit log (no key, no profile: labels and hashes only).

    ``key_label`` and ``role`` are ``None`` for requests without a valid key.

    Returns
    -------
    int
        The audit entry id.
    """
    row = AuditEntry(**_audit_values(locals()))
    session.add(row)
    session.flush()
    return row.id


def log_requests(*, session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Append many audit lines in one INSERT (the API's writer batches them).

    Each row has the keyword arguments of :func:`log_request` but ``session``,
    and may carry ``at`` (when the request was answered; default now).
    """
    if rows:
        session.execute(insert(AuditEntry), [_audit_values(row) for row in rows])


def _audit_values(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "at": row.get("at") or utc_now(),
        "key_label": row["key_label"],
        "role": row["role"],
        "method": str(row["method"]).upper()[:16],
        "path": str(row["path"])[:512],
        "status_code": int(row["status_code"]),
        "model_version": row.get("model_version"),
        "input_hash": row.get("input_hash"),
        "duration_ms": float(row["duration_ms"]),
    }
