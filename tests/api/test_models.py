"""Model versions over HTTP: roles, listing, hot-swap activation, the gate, rollback."""

from __future__ import annotations

import threading

from conftest import PROFILE, Api, TrainedRegistry

from matcher.model.registry import Registry


def recommend_version(api: Api) -> str:
    response = api.client.post(
        "/v1/recommendations", json={"profile": PROFILE}, headers=api.headers()
    )
    assert response.status_code == 200, response.text
    return str(response.json()["model_version"])


def activate(api: Api, version: str, role: str = "analyst", **body):
    return api.client.post(
        f"/v1/models/{version}/activate",
        json={"reason": "better calibrated", **body},
        headers=api.headers(role),
    )


def test_counsellor_may_not_manage_models(fresh_api: Api, trained_registry, assert_error) -> None:
    assert_error(activate(fresh_api, trained_registry.v2, "counsellor"), 403, "forbidden")
    h = fresh_api.headers("counsellor")
    assert_error(fresh_api.client.get("/v1/models", headers=h), 403, "forbidden")
    assert_error(
        fresh_api.client.post("/v1/models/rollback", json={"reason": "x"}, headers=h),
        403,
        "forbidden",
    )
    assert recommend_version(fresh_api) == trained_registry.v1


def test_list_and_detail(fresh_api: Api, trained_registry: TrainedRegistry) -> None:
    body = fresh_api.client.get("/v1/models", headers=fresh_api.headers("analyst")).json()
    assert body["active_version"] == body["serving_version"] == trained_registry.v1
    versions = {v["version"]: v for v in body["versions"]}
    assert set(versions) == {trained_registry.v1, trained_registry.v2, trained_registry.worse}
    assert versions[trained_registry.v1]["active"] is True
    assert versions[trained_registry.v1]["metrics"] == {
        "holdout.overall.roc_auc": 0.70,
        "holdout.overall.log_loss": 0.60,
    }
    assert versions[trained_registry.v2]["created_at"].startswith("2026-02-01")
    assert [h["version"] for h in body["history"]] == [trained_registry.v1]

    detail = fresh_api.client.get(
        f"/v1/models/{trained_registry.v2}", headers=fresh_api.headers("admin")
    )
    assert detail.status_code == 200
    assert detail.json()["manifest"]["version"] == trained_registry.v2
    assert detail.json()["active"] is False


def test_unknown_or_malformed_version(fresh_api: Api, assert_error) -> None:
    h = fresh_api.headers("analyst")
    assert_error(
        fresh_api.client.get("/v1/models/20200101T000000Z-abcdef", headers=h),
        404,
        "model_version_not_found",
    )
    assert_error(activate(fresh_api, "20200101T000000Z-abcdef"), 404, "model_version_not_found")
    # not a version at all: no route matches (404), so "rollback" is never taken for one
    assert_error(fresh_api.client.get("/v1/models/not-a-version", headers=h), 404, "not_found")


def test_allow_lists_the_real_methods(fresh_api: Api, assert_error) -> None:
    for method in ("OPTIONS", "GET", "PUT"):
        response = fresh_api.client.request(method, "/v1/models/rollback")
        assert_error(response, 405, "method_not_allowed")
        assert response.headers["allow"] == "POST"
    response = fresh_api.client.request("DELETE", "/v1/models/20260101T000000Z-abcdef")
    assert response.headers["allow"] == "GET"


def test_activation_switches_the_served_model_without_restart(
    fresh_api: Api, trained_registry: TrainedRegistry, settings
) -> None:
    assert recommend_version(fresh_api) == trained_registry.v1
    response = activate(fresh_api, trained_registry.v2)
    assert response.status_code == 200, response.text
    assert response.json()["serving_version"] == trained_registry.v2
    assert response.json()["activation"]["actor"] == "test-analyst"
    assert recommend_version(fresh_api) == trained_registry.v2
    assert Registry(settings.registry).active_version() == trained_registry.v2

    back = fresh_api.client.post(
        "/v1/models/rollback",
        json={"reason": "field complaints"},
        headers=fresh_api.headers("admin"),
    )
    assert back.status_code == 200, back.text
    assert back.json()["activation"]["action"] == "rollback"
    assert recommend_version(fresh_api) == trained_registry.v1
    assert (
        f'matcher_model_info{{version="{trained_registry.v1}"}} 1'
        in fresh_api.client.get("/metrics").text
    )


def test_promotion_gate_refuses_a_worse_model_unless_forced(
    fresh_api: Api, trained_registry: TrainedRegistry, assert_error
) -> None:
    body = assert_error(activate(fresh_api, trained_registry.worse), 409, "promotion_refused")
    assert body["version"] == trained_registry.worse
    assert recommend_version(fresh_api) == trained_registry.v1
    forced = activate(fresh_api, trained_registry.worse, force=True, reason="audit replay")
    assert forced.status_code == 200, forced.text
    assert recommend_version(fresh_api) == trained_registry.worse


def test_requests_in_flight_survive_an_activation(
    fresh_api: Api, trained_registry: TrainedRegistry
) -> None:
    seen: list[str] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(3):
                seen.append(recommend_version(fresh_api))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    assert activate(fresh_api, trained_registry.v2).status_code == 200
    for t in threads:
        t.join()
    assert not errors, errors
    assert set(seen) <= {trained_registry.v1, trained_registry.v2}
    assert recommend_version(fresh_api) == trained_registry.v2


def test_rollback_without_history_is_an_error(fresh_api: Api, assert_error) -> None:
    response = fresh_api.client.post(
        "/v1/models/rollback", json={"reason": "x"}, headers=fresh_api.headers("analyst")
    )
    body = assert_error(response, 409, "nothing_to_roll_back")
    assert "nothing to roll back" in body["detail"]


def test_holder_keeps_the_old_scorer_for_a_request_in_flight(
    fresh_api: Api, trained_registry
) -> None:
    holder = fresh_api.app.state.matcher.models
    taken = holder.current()
    holder.activate(trained_registry.v2, actor="t", reason="r", force=False)
    assert taken.version == trained_registry.v1
    assert holder.current().version == trained_registry.v2


def test_activation_made_elsewhere_is_followed(
    fresh_api: Api, trained_registry: TrainedRegistry, settings, caplog
) -> None:
    holder = fresh_api.app.state.matcher.models
    holder.refresh_interval = 0.0
    Registry(settings.registry).activate(trained_registry.v2, actor="cli", reason="retrained")
    assert recommend_version(fresh_api) == trained_registry.v2
    (settings.registry / trained_registry.v1 / "model.joblib").write_bytes(b"tampered")
    Registry(settings.registry).activate(trained_registry.v1, actor="cli", reason="back")
    assert recommend_version(fresh_api) == trained_registry.v2
    assert any("cannot be served" in r.message for r in caplog.records)
