from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy.orm import Session

from matcher.domain import Profile
from matcher.errors import (
    DecisionRuleError,
    NotFoundError,
    NotRecommendedError,
    OutcomeRuleError,
    WasRecommendedError,
)
from matcher.store import (
    DecisionChoice,
    JobStatus,
    create_job,
    get_diagnosis,
    get_job,
    log_request,
    log_requests,
    profile_hash,
    record_decision,
    record_outcome,
    save_diagnosis,
    update_job,
)
from matcher.store.tables import AuditEntry


def _diagnose(session: Session, profile: Profile, response: dict[str, object]) -> str:
    return save_diagnosis(
        session=session,
        profile=profile,
        model_version="20261101T000000Z-aa11bb",
        top_k=3,
        response=response,
        actor="casa-counsellor",
    )


def test_diagnosis_decision_outcome_round_trip(
    session: Session, profile: Profile, response: dict[str, object]
) -> None:
    diagnosis_id = _diagnose(session, profile, response)
    session.commit()
    assert len(diagnosis_id) == 32

    first = record_decision(
        session=session,
        diagnosis_id=diagnosis_id,
        choice="recommended",
        project_type_id="snack_bar",
        reason="Expérience en cuisine; local disponible à Bouznika.",
        actor="casa-counsellor",
        now=datetime(2026, 1, 5, tzinfo=UTC),
    )
    etag = get_diagnosis(session=session, diagnosis_id=diagnosis_id).etag
    second = record_decision(
        session=session,
        diagnosis_id=diagnosis_id,
        choice=DecisionChoice.OTHER,
        project_type_id="traditional_street_food",
        reason="Budget réduit après entretien.",
        actor="casa-counsellor",
        if_match=etag,
        now=datetime(2026, 1, 8, tzinfo=UTC),
    )
    outcome_id = record_outcome(
        session=session,
        diagnosis_id=diagnosis_id,
        project_type_id="traditional_street_food",
        funded_mad=15000,
        start_date=date(2026, 1, 15),
        active_6m=True,
        active_12m=None,
        active_24m=None,
        monthly_income_mad=2500.5,
        actor="casa-counsellor",
    )
    session.commit()
    session.expunge_all()

    record = get_diagnosis(session=session, diagnosis_id=diagnosis_id)
    assert record.profile == profile
    assert record.beneficiary_id == "BEN-0042"
    assert record.input_hash == profile_hash(profile)
    assert record.response == response
    assert record.recommended_ids == ("snack_bar", "home_pastry", "barber_shop")
    assert record.top_k == 3
    assert record.created_by == "casa-counsellor"
    assert record.created_at.tzinfo is not None
    assert record.created_at.utcoffset() == UTC.utcoffset(None)
    assert [d.id for d in record.decisions] == [first, second]
    assert record.latest_decision is not None
    assert record.latest_decision.choice is DecisionChoice.OTHER
    assert record.latest_decision.project_type_id == "traditional_street_food"
    (outcome,) = record.outcomes
    assert outcome.id == outcome_id
    assert outcome.funded_mad == 15000.0
    assert outcome.start_date == date(2026, 1, 15)
    assert (outcome.active_6m, outcome.active_12m, outcome.active_24m) == (True, None, None)
    assert outcome.monthly_income_mad == pytest.approx(2500.5)


def test_profile_hash_is_canonical(profile: Profile) -> None:
    same = Profile.model_validate_json(profile.model_dump_json())
    assert profile_hash(same) == profile_hash(profile)
    other = profile.model_copy(update={"age": 32})
    assert profile_hash(other) != profile_hash(profile)


def test_decision_on_unknown_diagnosis(session: Session) -> None:
    with pytest.raises(NotFoundError, match="no diagnosis") as info:
        record_decision(
            session=session,
            diagnosis_id="0" * 32,
            choice="none",
            project_type_id=None,
            reason="Pas de projet pour le moment.",
            actor="c",
        )
    assert info.value.http_status == 404


def test_get_unknown_diagnosis(session: Session) -> None:
    with pytest.raises(NotFoundError):
        get_diagnosis(session=session, diagnosis_id="nope")


def test_outcome_on_unknown_diagnosis(session: Session) -> None:
    with pytest.raises(NotFoundError):
        record_outcome(
            session=session,
            diagnosis_id="nope",
            project_type_id="snack_bar",
            funded_mad=1,
            start_date=date(2026, 1, 1),
            active_6m=None,
            active_12m=None,
            active_24m=None,
            monthly_income_mad=None,
            actor="c",
        )


@pytest.mark.parametrize(
    ("choice", "project_type_id", "reason", "match"),
    [
        ("maybe", "snack_bar", "ok", "choice must be one of"),
        ("recommended", None, "ok", "requires a project_type_id"),
        ("other", "", "ok", "requires a project_type_id"),
        ("none", "snack_bar", "ok", "must not name a project type"),
        ("recommended", "snack_bar", "   ", "reason is required"),
        ("recommended", "snack_bar", "x" * 1001, "at most 1000"),
        ("recommended", "barber_shop_deluxe", "ok", "not among the recommendations"),
        ("other", "snack_bar", "ok", "was recommended"),
    ],
)
def test_decision_rules(
    session: Session,
    profile: Profile,
    response: dict[str, object],
    choice: str,
    project_type_id: str | None,
    reason: str,
    match: str,
) -> None:
    diagnosis_id = _diagnose(session, profile, response)
    with pytest.raises(DecisionRuleError, match=match):
        record_decision(
            session=session,
            diagnosis_id=diagnosis_id,
            choice=choice,
            project_type_id=project_type_id,
            reason=reason,
            actor="c",
        )


@pytest.mark.parametrize(
    ("choice", "error"), [("recommended", NotRecommendedError), ("other", WasRecommendedError)]
)
def test_decisions_contradicting_what_was_shown_have_their_own_errors(
    session: Session, profile: Profile, response: dict[str, object], choice: str, error: type
) -> None:
    diagnosis_id = _diagnose(session, profile, response)
    ptype = "barber_shop_deluxe" if choice == "recommended" else "snack_bar"
    with pytest.raises(error) as caught:
        record_decision(
            session=session,
            diagnosis_id=diagnosis_id,
            choice=choice,
            project_type_id=ptype,
            reason="ok",
            actor="c",
        )
    assert caught.value.details == {"field": "project_type_id"}
    assert caught.value.http_status == 422


def test_decision_none(session: Session, profile: Profile, response: dict[str, object]) -> None:
    diagnosis_id = _diagnose(session, profile, response)
    record_decision(
        session=session,
        diagnosis_id=diagnosis_id,
        choice="none",
        project_type_id=None,
        reason="La personne préfère un emploi salarié.",
        actor="c",
    )
    latest = get_diagnosis(session=session, diagnosis_id=diagnosis_id).latest_decision
    assert latest is not None
    assert latest.choice is DecisionChoice.NONE
    assert latest.project_type_id is None


@pytest.mark.parametrize(
    ("funded", "income", "match"),
    [
        (0, None, "funded_mad"),
        (-5, None, "funded_mad"),
        (float("nan"), None, "funded_mad"),
        (1000, -1, "monthly_income_mad"),
    ],
)
def test_outcome_rules(
    session: Session,
    profile: Profile,
    response: dict[str, object],
    funded: float,
    income: float | None,
    match: str,
) -> None:
    diagnosis_id = _diagnose(session, profile, response)
    with pytest.raises(OutcomeRuleError, match=match) as caught:
        record_outcome(
            session=session,
            diagnosis_id=diagnosis_id,
            project_type_id="snack_bar",
            funded_mad=funded,
            start_date=date(2026, 1, 1),
            active_6m=None,
            active_12m=None,
            active_24m=None,
            monthly_income_mad=income,
            actor="c",
        )
    assert caught.value.details == {"field": match}


def test_log_request(session: Session) -> None:
    entry_id = log_request(
        session=session,
        key_label="casa-counsellor",
        role="counsellor",
        method="post",
        path="/v1/recommendations",
        status_code=200,
        duration_ms=12.5,
        model_version="v1",
        input_hash="ab" * 32,
    )
    anonymous = log_request(
        session=session,
        key_label=None,
        role=None,
        method="GET",
        path="/v1/model",
        status_code=401,
        duration_ms=0.4,
    )
    session.commit()
    row = session.get(AuditEntry, entry_id)
    assert row is not None
    assert row.method == "POST"
    assert row.at.tzinfo is not None
    assert anonymous != entry_id


def test_log_requests_writes_every_row_in_one_call(session: Session) -> None:
    before = session.query(AuditEntry).count()
    rows = [
        {
            "key_label": f"k{i}",
            "role": "counsellor",
            "method": "post",
            "path": "/v1/recommendations",
            "status_code": 200,
            "duration_ms": i,
            "model_version": "v1",
            "input_hash": None,
        }
        for i in range(5)
    ]
    log_requests(session=session, rows=rows)
    log_requests(session=session, rows=[])
    session.commit()
    written = session.query(AuditEntry).order_by(AuditEntry.id).all()[before:]
    assert [(r.key_label, r.method, r.duration_ms) for r in written] == [
        (f"k{i}", "POST", float(i)) for i in range(5)
    ]
    assert all(r.at.tzinfo is not None for r in written)


def test_job_life_cycle(session: Session) -> None:
    job_id = create_job(
        session=session,
        kind="score_cohort",
        input_path="/data/in.csv",
        output_path="/data/out.csv",
        actor="analyst",
    )
    session.commit()
    job = get_job(session=session, job_id=job_id)
    assert job.status is JobStatus.QUEUED
    assert job.finished_at is None
    assert (job.n_scored, job.n_rejected) == (0, 0)

    running = update_job(session=session, job_id=job_id, status="running")
    assert running.status is JobStatus.RUNNING
    assert running.finished_at is None
    done = update_job(
        session=session,
        job_id=job_id,
        status=JobStatus.DONE,
        n_scored=120,
        n_rejected=3,
        rejects_path="/data/out.rejects.csv",
    )
    session.commit()
    assert done.finished_at is not None
    again = get_job(session=session, job_id=job_id)
    assert again == done
    with pytest.raises(ValueError, match="already finished"):
        update_job(session=session, job_id=job_id, status="failed", error="late")


def test_job_failure_and_unknown(session: Session) -> None:
    job_id = create_job(
        session=session, kind="score_cohort", input_path="a", output_path="b", actor="x"
    )
    failed = update_job(session=session, job_id=job_id, status="failed", error="bad file")
    assert failed.status is JobStatus.FAILED
    assert failed.error == "bad file"
    with pytest.raises(NotFoundError):
        get_job(session=session, job_id="missing")
    with pytest.raises(NotFoundError):
        update_job(session=session, job_id="missing", status="running")
    fresh = create_job(session=session, kind="k", input_path="a", output_path="b", actor="x")
    with pytest.raises(ValueError, match="paused"):
        update_job(session=session, job_id=fresh, status="paused")
