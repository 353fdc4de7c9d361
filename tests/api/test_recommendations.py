"""POST /v1/recommendations: contract section 6, top_k bounds, auth, field-naming 422s."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator

import pytest
from conftest import PROFILE, Api, detail_locs, make_settings, start_api
from sqlalchemy import select

from api.deps import get_scorer
from matcher.settings import audit_spool_path
from matcher.store import revoke_key, session_scope
from matcher.store.tables import AuditEntry

URL = "/v1/recommendations"


def post(api: Api, body: dict, role: str = "counsellor"):
    return api.client.post(URL, json=body, headers=api.headers(role))


def test_recommendation_has_contract_shape(shared_api: Api) -> None:
    response = post(shared_api, {"profile": PROFILE, "top_k": 5})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model_version"] == shared_api.app.state.matcher.models.version
    recs = body["recommendations"]
    assert 1 <= len(recs) <= 5
    assert [r["rank"] for r in recs] == list(range(1, len(recs) + 1))
    assert body["objective"] == "livelihood"  # the active version has an income part
    livelihoods = [r["livelihood"] for r in recs]
    assert livelihoods == sorted(livelihoods, reverse=True)
    assert all(0 <= r["livelihood"] <= r["score"] <= 1 for r in recs)
    for rec in recs:
        assert {"rank", "project_type_id", "score", "reasons", "evidence", "names"} <= set(rec)
        assert rec["cost_mad"] <= PROFILE["budget_mad"]
    assert body["excluded"], "a 30,000 MAD budget excludes some types"
    for item in body["excluded"]:
        assert item["project_type_id"]
        assert item["reason"]
    shown = {r["project_type_id"] for r in recs} | {e["project_type_id"] for e in body["excluded"]}
    assert len(shown) == len(recs) + len(body["excluded"])


def test_each_recommendation_carries_income_livelihood_and_a_range(shared_api: Api) -> None:
    recs = post(shared_api, {"profile": PROFILE, "top_k": 5}).json()["recommendations"]
    for rec in recs:
        assert rec["score_low"] < rec["score"] < rec["score_high"]
        assert rec["expected_income_mad"] > 0
        assert 0 <= rec["livelihood"] <= 1


def test_objective_survival_ranks_by_score_and_says_so(shared_api: Api) -> None:
    body = post(shared_api, {"profile": PROFILE, "top_k": 8, "objective": "survival"}).json()
    assert body["objective"] == "survival"
    scores = [r["score"] for r in body["recommendations"]]
    assert scores == sorted(scores, reverse=True)
    for gap in body["qualification_gaps"]:
        assert gap["objective"] == "survival"
    default = post(shared_api, {"profile": PROFILE, "top_k": 8}).json()
    assert default["objective"] == "livelihood"
    for gap in default["qualification_gaps"]:
        assert gap["objective"] == "livelihood"


def test_an_unknown_objective_is_422_naming_the_field(shared_api: Api, assert_error) -> None:
    body = assert_error(
        post(shared_api, {"profile": PROFILE, "objective": "income"}), 422, "invalid_request"
    )
    assert ["body", "objective"] in [loc[:2] for loc in detail_locs(body)]


def test_top_k_defaults_to_settings(shared_api: Api) -> None:
    body = post(shared_api, {"profile": PROFILE}).json()
    assert body["top_k"] == 5
    assert len(body["recommendations"]) == min(5, body["n_eligible"])


def test_top_k_accepts_whole_float_and_one(shared_api: Api) -> None:
    response = post(shared_api, {"profile": PROFILE, "top_k": 1.0})
    assert response.status_code == 200, response.text
    assert len(response.json()["recommendations"]) == 1


@pytest.mark.parametrize("top_k", [0, 51, "5", True, 2.5])
def test_top_k_out_of_bounds_is_422(shared_api: Api, assert_error, top_k) -> None:
    body = assert_error(
        post(shared_api, {"profile": PROFILE, "top_k": top_k}), 422, "invalid_request"
    )
    assert ["body", "top_k"] in [loc[:2] for loc in detail_locs(body)]


def test_no_eligible_type_lists_every_exclusion_with_its_rule(shared_api: Api, reference) -> None:
    profile = {**PROFILE, "budget_mad": 0, "health_constraint": "no_heavy_work"}
    body = post(shared_api, {"profile": profile}).json()
    assert body["recommendations"] == []
    assert {e["project_type_id"] for e in body["excluded"]} == set(reference.project_type_ids)
    assert {e["reason"] for e in body["excluded"]} == {"over_budget"}
    heavy = set(reference.project_types.index[reference.project_types["physical_demand"] == "high"])
    for item in body["excluded"]:
        if item["project_type_id"] in heavy:
            assert len(item["reasons"]) >= 2
        assert item["text"]["fr"]
        assert item["text"]["ar"]
        assert item["text"]["en"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("age", 17),
        ("age", 76),
        ("age", "30"),
        ("age", 30.5),
        ("sex", "X"),
        ("budget_mad", -1),
        ("budget_mad", True),
        ("beneficiary_id", "Fatima Zahra"),
        ("milieu", "suburban"),
        ("education_level", "phd"),
    ],
)
def test_invalid_field_is_422_naming_it(shared_api: Api, assert_error, field, value) -> None:
    body = assert_error(
        post(shared_api, {"profile": {**PROFILE, field: value}}), 422, "invalid_request"
    )
    assert ["body", "profile", field] in [loc[:3] for loc in detail_locs(body)]


def test_missing_and_extra_fields_are_named(shared_api: Api, assert_error) -> None:
    profile = {k: v for k, v in PROFILE.items() if k != "region_id"} | {"name": "x"}
    body = assert_error(post(shared_api, {"profile": profile}), 422, "invalid_request")
    locs = detail_locs(body)
    assert ["body", "profile", "region_id"] in locs
    assert ["body", "profile", "name"] in locs


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"region_id": "MA-99"}, "profile.region_id"),
        ({"trainings": ["rocket_science"]}, "profile.trainings"),
        ({"experience": [{"trade_id": "rocket_science", "years": 1}]}, "profile.experience"),
        ({"preferred_sectors": ["mining"]}, "profile.preferred_sectors"),
        ({"commune_code": "99.999.99.99"}, "profile.commune_code"),
    ],
)
def test_unknown_catalogue_value_is_invalid_profile(
    shared_api: Api, assert_error, change, field
) -> None:
    body = assert_error(
        post(shared_api, {"profile": {**PROFILE, **change}}), 422, "invalid_profile"
    )
    assert body["field"] == field


def test_malformed_json_is_400(shared_api: Api, assert_error) -> None:
    response = shared_api.client.post(
        URL,
        content=b'{"profile": ',
        headers={**shared_api.headers(), "content-type": "application/json"},
    )
    assert_error(response, 400, "malformed_json")


def test_missing_key_is_401(shared_api: Api, assert_error) -> None:
    assert_error(shared_api.client.post(URL, json={"profile": PROFILE}), 401, "unauthorized")


@pytest.mark.parametrize("header", ["Bearer mk_wrong", "Basic dXNlcjpwYXNz", "Bearer ", "mk_x"])
def test_wrong_key_is_401(shared_api: Api, assert_error, header) -> None:
    response = shared_api.client.post(
        URL, json={"profile": PROFILE}, headers={"Authorization": header}
    )
    body = assert_error(response, 401, "unauthorized")
    assert "mk_wrong" not in json.dumps(body)


@pytest.fixture
def uncached_api(tmp_path, trained_registry) -> Iterator[Api]:
    yield from start_api(make_settings(tmp_path, trained_registry, key_cache_seconds=0))


def test_revoked_key_is_401(uncached_api: Api, assert_error) -> None:
    assert post(uncached_api, {"profile": PROFILE}).status_code == 200
    with session_scope(uncached_api.sessions()) as session:
        revoke_key(session=session, label="test-counsellor")
    assert_error(post(uncached_api, {"profile": PROFILE}), 401, "unauthorized")


def test_a_revoked_key_is_trusted_until_the_cache_expires(fresh_api: Api, assert_error) -> None:
    """The documented trade-off of MATCHER_KEY_CACHE_SECONDS (default 10 s)."""
    assert fresh_api.app.state.matcher.keys.ttl == 10.0
    assert post(fresh_api, {"profile": PROFILE}).status_code == 200
    with session_scope(fresh_api.sessions()) as session:
        revoke_key(session=session, label="test-counsellor")
    assert post(fresh_api, {"profile": PROFILE}).status_code == 200
    fresh_api.app.state.matcher.keys._entries.clear()  # what expiry does
    assert_error(post(fresh_api, {"profile": PROFILE}), 401, "unauthorized")


def test_auth_is_checked_before_the_body(shared_api: Api, assert_error) -> None:
    assert_error(shared_api.client.post(URL, json={"profile": {}}), 401, "unauthorized")


def test_every_role_may_recommend(shared_api: Api) -> None:
    for role in ("counsellor", "analyst", "admin"):
        assert post(shared_api, {"profile": PROFILE}, role).status_code == 200


def test_request_is_audited_without_key_or_profile(shared_api: Api) -> None:
    assert post(shared_api, {"profile": PROFILE}).status_code == 200
    shared_api.client.post(URL, json={"profile": PROFILE}, headers={"Authorization": "Bearer no"})
    with session_scope(shared_api.sessions()) as session:
        rows = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    ok, denied = rows[-2], rows[-1]
    canonical = json.dumps(
        {
            **PROFILE,
            "budget_mad": 30000.0,
            "commune_code": None,
            "experience": [{"trade_id": "cooking_catering", "years": 2.5}],
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    assert ok.key_label == "test-counsellor"
    assert ok.role == "counsellor"
    assert (ok.method, ok.path, ok.status_code) == ("POST", URL, 200)
    assert ok.model_version == shared_api.app.state.matcher.models.version
    assert ok.input_hash == hashlib.sha256(canonical.encode()).hexdigest()
    assert ok.duration_ms > 0
    assert (denied.key_label, denied.status_code) == (None, 401)
    for row in rows:
        assert shared_api.keys["counsellor"] not in repr(row.__dict__)


def test_failing_audit_write_does_not_fail_the_request_and_the_row_is_spooled(
    fresh_api: Api, caplog
) -> None:
    engine = fresh_api.app.state.matcher.engine
    spool = audit_spool_path(fresh_api.app.state.matcher.settings)
    with engine.begin() as connection:  # the database refuses audit rows from now on
        connection.exec_driver_sql("ALTER TABLE audit_log RENAME TO audit_log_away")
    with caplog.at_level(logging.ERROR, logger="api.audit"):
        response = post(fresh_api, {"profile": PROFILE})
    assert response.status_code == 200
    assert any("spooled to" in r.message for r in caplog.records)
    spooled = [json.loads(line) for line in spool.read_text().splitlines()]
    assert [(r["path"], r["status_code"]) for r in spooled] == [(URL, 200)]
    metrics = fresh_api.client.get("/metrics").text
    assert 'matcher_failures_total{kind="audit_spooled"} 1' in metrics
    assert "matcher_audit_write_failures_total 0" in metrics

    with engine.begin() as connection:  # the database is back
        connection.exec_driver_sql("ALTER TABLE audit_log_away RENAME TO audit_log")
    assert post(fresh_api, {"profile": PROFILE}, "analyst").status_code == 200
    with session_scope(fresh_api.sessions()) as session:
        rows = session.scalars(select(AuditEntry).order_by(AuditEntry.at)).all()
    assert [(r.key_label, r.path) for r in rows[-2:]] == [
        ("test-counsellor", URL),
        ("test-analyst", URL),
    ]
    assert rows[-2].at < rows[-1].at
    assert spool.read_text() == ""


def test_a_model_raising_is_a_generic_503_model_failed(settings, assert_error, caplog) -> None:
    class Broken:
        version = "broken"

        def __getattr__(self, name: str):
            raise RuntimeError("secret internals")

    for running in start_api(settings, raise_server_exceptions=False):
        running.app.dependency_overrides[get_scorer] = lambda: Broken()
        with caplog.at_level(logging.ERROR):
            body = assert_error(post(running, {"profile": PROFILE}), 503, "model_failed")
        assert "secret internals" not in json.dumps(body)
        assert body["detail"].startswith("the model broken failed while scoring this request")
        assert any("secret internals" in (r.exc_text or "") for r in caplog.records)


def test_successes_are_logged_at_debug_and_failures_at_info(shared_api: Api, caplog) -> None:
    with caplog.at_level(logging.DEBUG, logger="api.middleware"):
        assert post(shared_api, {"profile": PROFILE}).status_code == 200
        shared_api.client.post(URL, json={"profile": PROFILE})
    lines = [r for r in caplog.records if r.name == "api.middleware" and "/v1/" in r.message]
    assert [(r.levelno, " -> 200 " in r.message) for r in lines[-2:]] == [
        (logging.DEBUG, True),
        (logging.INFO, False),
    ]
    assert "-> 401" in lines[-1].message


def test_options_needing_an_absent_trade_say_so_and_reasons_name_the_fact(
    shared_api: Api, reference
) -> None:
    profile = PROFILE | {"trainings": ["ironwork_welding"], "experience": []}
    response = post(shared_api, {"profile": profile, "top_k": 50})
    assert response.status_code == 200, response.text
    recs = response.json()["recommendations"]
    for rec in recs:
        needs = reference.type_required_trades[rec["project_type_id"]]
        if needs and "ironwork_welding" not in needs:
            assert rec["missing_trades"] == list(needs)
            assert rec["missing_trade_text"]["en"].startswith(
                "Needs a trade the person does not hold: "
            )
            assert reference.names[needs[0]]["fr"] in rec["missing_trade_text"]["fr"]
        else:
            assert rec["missing_trades"] == []
            assert rec["missing_trade_text"] is None
        for reason in rec["reasons"]:
            if reason["factor"] == "training":
                assert reason["trade_ids"] == ["ironwork_welding"]
                assert reason["fact"] in {"trade", "sector", "no_trade"}
    assert any(rec["missing_trade_text"] for rec in recs)
