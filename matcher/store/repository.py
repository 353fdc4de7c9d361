"""Read and write diagnoses; the conventions of the store's reading and writing modules.

Plain functions with a keyword-only ``session``; they flush but never commit
(the caller's :func:`matcher.store.db.session_scope` or request dependency
does), and they return ids or frozen records (:mod:`matcher.store.records`),
never ORM rows. Decisions live in :mod:`matcher.store.decisions`, outcomes in
:mod:`matcher.store.outcomes`, the audit log in :mod:`matcher.store.audit_log`
and jobs in :mod:`matcher.store.jobs`; all follow these conventions.

Errors: a missing diagnosis or job raises :class:`matcher.errors.NotFoundError`;
a broken business rule (empty reason, ``funded_mad <= 0``...) raises
``ValueError`` with a sentence the caller can show.

Centres (contract section 8): every reading or writing function takes a
``scope``, the caller's ``centre_id``. A record of another centre raises the
same :class:`NotFoundError` as a missing one. :data:`EVERY_CENTRE` is the scope
of the commands that work on the whole database (``matcher export-history``);
the API never uses it.

The record types and the job functions are re-exported here.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.domain import Profile
from matcher.errors import NotFoundError
from matcher.store.jobs import JobRecord as JobRecord
from matcher.store.jobs import JobStatus as JobStatus
from matcher.store.jobs import create_job as create_job
from matcher.store.jobs import get_job as get_job
from matcher.store.jobs import update_job as update_job
from matcher.store.records import DecisionChoice as DecisionChoice
from matcher.store.records import DecisionRecord as DecisionRecord
from matcher.store.records import DiagnosisRecord as DiagnosisRecord
from matcher.store.records import OutcomeRecord as OutcomeRecord
from matcher.store.records import decision_record, outcome_record
from matcher.store.tables import Decision, Diagnosis, Outcome, utc_now

logger = logging.getLogger(__name__)

EVERY_CENTRE: Final = "*"
"""The scope that sees every centre (commands over the whole database, never the API)."""


def in_scope(centre_id: str | None, scope: str | None) -> bool:
    """Whether a record of ``centre_id`` is visible to a caller of ``scope``."""
    return scope == EVERY_CENTRE or centre_id == scope


def canonical_profile_json(profile: Profile) -> str:
    """Serialise a profile deterministically (sorted keys, no spaces, UTF-8 text)."""
    return json.dumps(
        profile.model_dump(mode="json"),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )


def profile_hash(profile: Profile) -> str:
    """Return the sha256 hex digest of :func:`canonical_profile_json` (the ``input_hash``)."""
    return hashlib.sha256(canonical_profile_json(profile).encode("utf-8")).hexdigest()


def require_diagnosis(
    session: Session, diagnosis_id: str, scope: str | None = EVERY_CENTRE
) -> Diagnosis:
    """The diagnosis row, or :class:`NotFoundError` (also when it is of another centre)."""
    row = session.get(Diagnosis, diagnosis_id)
    if row is None or not in_scope(row.centre_id, scope):
        raise NotFoundError(
            f"no diagnosis {diagnosis_id!r}", details={"diagnosis_id": diagnosis_id}
        )
    return row


def checked_actor(actor: str) -> str:
    """The actor label, stripped; an empty one is a ``ValueError``."""
    actor = actor.strip()
    if not actor:
        raise ValueError("actor (the key label) must not be empty")
    return actor


def save_diagnosis(
    *,
    session: Session,
    profile: Profile,
    model_version: str,
    top_k: int,
    response: Mapping[str, Any],
    actor: str,
    centre_id: str | None = None,
    now: datetime | None = None,
) -> str:
    """Store what was shown to a counsellor for ``profile``.

    Parameters
    ----------
    session : Session
    profile : Profile
        The profile as diagnosed (kept whole, so history can be rebuilt).
    model_version : str
    top_k : int
    response : mapping
        The response body as sent (JSON-serialisable: contract section 6).
    actor : str
        Label of the key that asked.
    centre_id : str, optional
        The centre of that key: only keys of this centre see the diagnosis.

    Returns
    -------
    str
        The new diagnosis id (uuid4 hex).
    """
    if top_k < 1:
        raise ValueError("top_k must be at least 1")
    diagnosis_id = uuid.uuid4().hex
    session.add(
        Diagnosis(
            id=diagnosis_id,
            beneficiary_id=profile.beneficiary_id,
            profile_json=canonical_profile_json(profile),
            input_hash=profile_hash(profile),
            model_version=model_version,
            top_k=top_k,
            recommendations_json=json.dumps(response, ensure_ascii=False, allow_nan=False),
            created_at=now or utc_now(),
            created_by=checked_actor(actor),
            centre_id=centre_id,
            decision_version=0,
        )
    )
    session.flush()
    logger.info(
        "saved diagnosis %s for beneficiary %s (model %s)",
        diagnosis_id,
        profile.beneficiary_id,
        model_version,
    )
    return diagnosis_id


def get_diagnosis(
    *, session: Session, diagnosis_id: str, scope: str | None = EVERY_CENTRE
) -> DiagnosisRecord:
    """Return a diagnosis with its decisions and outcomes.

    Raises
    ------
    NotFoundError
        If there is no such diagnosis in ``scope``.
    """
    row = require_diagnosis(session, diagnosis_id, scope)
    decisions = session.scalars(
        select(Decision)
        .where(Decision.diagnosis_id == diagnosis_id)
        .order_by(Decision.decided_at, Decision.id)
    )
    outcomes = session.scalars(
        select(Outcome)
        .where(Outcome.diagnosis_id == diagnosis_id)
        .order_by(Outcome.recorded_at, Outcome.id)
    )
    return DiagnosisRecord(
        id=row.id,
        beneficiary_id=row.beneficiary_id,
        profile=Profile.model_validate_json(row.profile_json),
        input_hash=row.input_hash,
        model_version=row.model_version,
        top_k=row.top_k,
        response=json.loads(row.recommendations_json),
        created_at=row.created_at,
        created_by=row.created_by,
        centre_id=row.centre_id,
        decision_version=row.decision_version,
        decisions=tuple(decision_record(d) for d in decisions),
        outcomes=tuple(outcome_record(o) for o in outcomes),
    )
