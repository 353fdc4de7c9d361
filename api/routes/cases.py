"""The case file: search a person by pseudonym, their timeline, and the follow-ups due.

All three are scoped to the caller's centre (:data:`api.security.CentreCounsellor`):
a person known only to another centre answers 404, as an unknown one.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from api.deps import ClockDep, SessionFactoryDep, SettingsDep
from api.errors import error_responses
from api.schemas.cases import CaseOut, CaseSummaryOut, FollowUpOut
from api.security import CentreCounsellor
from matcher.store import session_scope
from matcher.store.cases import case_timeline, search_cases
from matcher.store.follow_ups import follow_ups_due

router = APIRouter(prefix="/v1", tags=["cases"])
BeneficiaryId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


@router.get("/cases", response_model=list[CaseSummaryOut], responses=error_responses(401, 403, 422))
def find_cases(
    principal: CentreCounsellor,
    sessions: SessionFactoryDep,
    q: Annotated[str, Query(max_length=64, pattern=r"^[A-Za-z0-9_-]*$")] = "",
) -> list[dict[str, Any]]:
    """People of the centre whose pseudonym starts with ``q`` (most recent first, 50 at most)."""
    with session_scope(sessions) as session:
        found = search_cases(session=session, scope=principal.centre_id, query=q)
    return [dataclasses.asdict(case) for case in found]


@router.get(
    "/cases/{beneficiary_id}",
    response_model=CaseOut,
    responses=error_responses(401, 403, 404, 422),
)
def read_case(
    beneficiary_id: BeneficiaryId,
    principal: CentreCounsellor,
    sessions: SessionFactoryDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> dict[str, Any]:
    """A person's timeline (diagnoses, advice shown, decisions, outcomes) and follow-ups due."""
    with session_scope(sessions) as session:
        events = case_timeline(
            session=session, scope=principal.centre_id, beneficiary_id=beneficiary_id
        )
        due = follow_ups_due(
            session=session,
            scope=principal.centre_id,
            today=clock().date(),
            horizons=settings.follow_up_months,
        )
    return {
        "beneficiary_id": beneficiary_id,
        "events": [dataclasses.asdict(e) for e in events],
        "follow_ups": [dataclasses.asdict(f) for f in due if f.beneficiary_id == beneficiary_id],
    }


@router.get("/follow-ups", response_model=list[FollowUpOut], responses=error_responses(401, 403))
def list_follow_ups(
    principal: CentreCounsellor,
    sessions: SessionFactoryDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> list[dict[str, Any]]:
    """The centre's follow-ups overdue or due this week (by ``MATCHER_FOLLOW_UP_MONTHS``)."""
    with session_scope(sessions) as session:
        due = follow_ups_due(
            session=session,
            scope=principal.centre_id,
            today=clock().date(),
            horizons=settings.follow_up_months,
        )
    return [dataclasses.asdict(f) for f in due]
