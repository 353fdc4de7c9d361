"""Diagnoses (what a counsellor was shown), decisions and follow-up outcomes.

Writes commit before the answer is sent: a 201 means the record is stored. A
database failure answers 503 (after one retry of an ``OperationalError``),
never a success whose record was lost.

Every route here is scoped to the caller's centre (:data:`api.security.CentreCounsellor`):
another centre's diagnosis answers 404 as a missing one. ``GET`` answers an
``ETag``; changing a decision needs it in ``If-Match`` (409 otherwise).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Header, Path, Response
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from api.deps import (
    AuditDep,
    ClockDep,
    ModelHolderDep,
    ReferenceDep,
    ScorerDep,
    SessionFactoryDep,
    SettingsDep,
)
from api.errors import ApiError, error_responses
from api.routes.recommendations import run_recommendation
from api.schemas import (
    DIAGNOSIS_ID_PATTERN,
    DecisionIn,
    DecisionOut,
    DiagnosisCreated,
    DiagnosisOut,
    OutcomeIn,
    OutcomeOut,
    RecommendationRequest,
)
from api.security import CentreCounsellor
from matcher.errors import UnknownProjectTypeError
from matcher.reference import Reference
from matcher.store import (
    DecisionRecord,
    DiagnosisRecord,
    OutcomeRecord,
    get_diagnosis,
    record_decision,
    record_outcome,
    save_diagnosis,
    session_scope,
)
from matcher.store.cases import PreviousAdvice, previous_advice

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/v1", tags=["diagnoses"])
DiagnosisId = Annotated[str, Path(pattern=DIAGNOSIS_ID_PATTERN)]
T = TypeVar("T")


def write_or_503(sessions: sessionmaker[Session], write: Callable[[Session], T]) -> T:
    """Run ``write`` in its own transaction; retry once on ``OperationalError``.

    Parameters
    ----------
    sessions : sessionmaker
    write : callable
        Receives the session; its return value is returned after the commit.

    Returns
    -------
    object
        What ``write`` returned, once committed.

    Raises
    ------
    ApiError
        503 ``database_unavailable`` when the write could not be committed;
        422 ``invalid_record`` when the store refuses it (a ``ValueError``).
    """
    for attempt in (1, 2):
        try:
            with session_scope(sessions) as session:
                return write(session)
        except OperationalError:
            if attempt == 1:
                logger.warning("database write failed (OperationalError); retrying once")
                continue
            logger.exception("database write failed twice; answering 503")
        except SQLAlchemyError:
            logger.exception("database write failed; answering 503")
        except ValueError as exc:
            raise ApiError(422, "invalid_record", str(exc)) from exc
        break
    raise ApiError(503, "database_unavailable", "The record could not be stored; nothing was saved")


def _check_type(reference: Reference, project_type_id: str | None, field: str) -> None:
    if project_type_id is not None and project_type_id not in reference.project_types.index:
        raise UnknownProjectTypeError(
            f"unknown project type {project_type_id!r}",
            details={"field": field, "project_type_id": project_type_id},
        )


def _decision_out(record: DecisionRecord) -> dict[str, Any]:
    return {
        "decision_id": record.id,
        "diagnosis_id": record.diagnosis_id,
        "choice": record.choice.value,
        "project_type_id": record.project_type_id,
        "reason": record.reason,
        "decided_at": record.decided_at,
        "decided_by": record.decided_by,
    }


def _outcome_out(record: OutcomeRecord) -> dict[str, Any]:
    return {
        "outcome_id": record.id,
        "diagnosis_id": record.diagnosis_id,
        "project_type_id": record.project_type_id,
        "funded_mad": record.funded_mad,
        "start_date": record.start_date,
        "active_6m": record.active_6m,
        "active_12m": record.active_12m,
        "active_24m": record.active_24m,
        "monthly_income_mad": record.monthly_income_mad,
        "recorded_at": record.recorded_at,
        "recorded_by": record.recorded_by,
        "active_3m": record.active_3m,
        "horizon_months": record.horizon_months,
        "version": record.version,
        "changed_to_reason": record.changed_to_reason,
        "correction_reason": record.correction_reason,
        "note": record.note,
    }


def diagnosis_out(record: DiagnosisRecord) -> dict[str, Any]:
    """The wire form of a stored diagnosis (``GET /v1/diagnoses/{id}``)."""
    return {
        "diagnosis_id": record.id,
        "beneficiary_id": record.beneficiary_id,
        "profile": record.profile.model_dump(mode="json"),
        "model_version": record.model_version,
        "top_k": record.top_k,
        "created_at": record.created_at,
        "created_by": record.created_by,
        "result": record.response,
        "decisions": [_decision_out(d) for d in record.decisions],
        "outcomes": [_outcome_out(o) for o in record.outcomes],
        "centre_id": record.centre_id,
        "etag": record.etag,
    }


@router.post(
    "/diagnoses",
    status_code=201,
    response_model=DiagnosisCreated,
    responses=error_responses(400, 401, 403, 422, 503),
)
def create_diagnosis(
    body: RecommendationRequest,
    principal: CentreCounsellor,
    reference: ReferenceDep,
    scorer: ScorerDep,
    settings: SettingsDep,
    sessions: SessionFactoryDep,
    audit: AuditDep,
    models: ModelHolderDep,
    clock: ClockDep,
) -> dict[str, Any]:
    """Recommend for one person and store what was shown (the diagnosis).

    A known pseudonym joins its case: the answer carries the person's previous
    diagnosis in this centre and its decision (``previous``).
    """
    profile, answer = run_recommendation(
        body,
        reference=reference,
        scorer=scorer,
        default_top_k=settings.default_top_k,
        audit=audit,
        models=models,
        livelihood_mad=settings.livelihood_mad,
    )
    result = answer.to_dict()

    def write(session: Session) -> tuple[str, PreviousAdvice | None]:
        diagnosis_id = save_diagnosis(
            session=session,
            profile=profile,
            model_version=scorer.version,
            top_k=int(result["top_k"]),
            response=result,
            actor=principal.label,
            centre_id=principal.centre_id,
            now=clock(),
        )
        earlier = previous_advice(
            session=session,
            scope=principal.centre_id,
            beneficiary_id=profile.beneficiary_id,
            before=diagnosis_id,
        )
        return diagnosis_id, earlier

    diagnosis_id, earlier = write_or_503(sessions, write)
    previous = None if earlier is None else dataclasses.asdict(earlier)
    return {"diagnosis_id": diagnosis_id, **result, "previous": previous}


@router.get(
    "/diagnoses/{diagnosis_id}",
    response_model=DiagnosisOut,
    responses=error_responses(401, 403, 404, 422),
)
def read_diagnosis(
    diagnosis_id: DiagnosisId,
    principal: CentreCounsellor,
    sessions: SessionFactoryDep,
    response: Response,
) -> dict[str, Any]:
    """Return a stored diagnosis with its decisions and outcomes (and its ``ETag``)."""
    with session_scope(sessions) as session:
        record = get_diagnosis(
            session=session, diagnosis_id=diagnosis_id, scope=principal.centre_id
        )
    response.headers["ETag"] = record.etag
    return diagnosis_out(record)


@router.post(
    "/diagnoses/{diagnosis_id}/decision",
    status_code=201,
    response_model=DecisionOut,
    responses=error_responses(400, 401, 403, 404, 409, 422, 503),
)
def create_decision(
    diagnosis_id: DiagnosisId,
    body: DecisionIn,
    principal: CentreCounsellor,
    reference: ReferenceDep,
    sessions: SessionFactoryDep,
    clock: ClockDep,
    response: Response,
    if_match: Annotated[
        str | None,
        Header(description="The diagnosis's ETag: required to change an earlier decision"),
    ] = None,
) -> dict[str, Any]:
    """Record the counsellor's decision; changing one needs ``If-Match`` (409 otherwise)."""
    _check_type(reference, body.project_type_id, "project_type_id")

    # The store owns the decision rules (recommended must have been shown, other
    # must not); its typed errors answer 422 not_recommended / was_recommended.
    def write(session: Session) -> tuple[DecisionRecord, str]:
        decision_id = record_decision(
            session=session,
            diagnosis_id=diagnosis_id,
            choice=body.choice,
            project_type_id=body.project_type_id,
            reason=body.reason,
            actor=principal.label,
            scope=principal.centre_id,
            if_match=if_match,
            now=clock(),
        )
        record = get_diagnosis(session=session, diagnosis_id=diagnosis_id)
        return next(d for d in record.decisions if d.id == decision_id), record.etag

    decision, etag = write_or_503(sessions, write)
    response.headers["ETag"] = etag
    return {**_decision_out(decision), "etag": etag}


@router.post(
    "/outcomes",
    status_code=201,
    response_model=OutcomeOut,
    responses=error_responses(400, 401, 403, 404, 422, 503),
)
def create_outcome(
    body: OutcomeIn,
    principal: CentreCounsellor,
    reference: ReferenceDep,
    sessions: SessionFactoryDep,
    clock: ClockDep,
) -> dict[str, Any]:
    """Check and record one follow-up of the funded project (422 naming the field)."""
    with session_scope(sessions) as session:
        get_diagnosis(session=session, diagnosis_id=body.diagnosis_id, scope=principal.centre_id)
    _check_type(reference, body.project_type_id, "project_type_id")

    def write(session: Session) -> OutcomeRecord:
        outcome_id = record_outcome(
            session=session,
            diagnosis_id=body.diagnosis_id,
            project_type_id=body.project_type_id,
            funded_mad=body.funded_mad,
            start_date=body.start,
            active_6m=body.active_6m,
            active_12m=body.active_12m,
            active_24m=body.active_24m,
            monthly_income_mad=body.monthly_income_mad,
            actor=principal.label,
            active_3m=body.active_3m,
            horizon_months=body.horizon_months,
            changed_to_reason=body.changed_to_reason,
            correction_reason=body.correction_reason,
            note=body.note,
            scope=principal.centre_id,
            type_cost=reference.type_cost,
            now=clock(),
        )
        outcomes = get_diagnosis(session=session, diagnosis_id=body.diagnosis_id).outcomes
        return next(o for o in outcomes if o.id == outcome_id)

    return _outcome_out(write_or_503(sessions, write))
