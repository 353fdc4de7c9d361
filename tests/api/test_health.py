"""Probes and metrics: /healthz, /readyz, /metrics; start-up without a model."""

from __future__ import annotations

import re
import sqlite3
import time

import pytest
from conftest import PROFILE, Api, make_settings, start_api
from fastapi.testclient import TestClient

import api.routes.health as health_module
from api.main import create_app
from matcher.errors import NoActiveModelError


def test_healthz_needs_no_key(shared_api: Api) -> None:
    response = shared_api.client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_when_ready(shared_api: Api) -> None:
    body = shared_api.client.get("/readyz").json()
    assert body == {
        "ready": True,
        "model_version": shared_api.app.state.matcher.models.version,
        "checks": {"model": True, "database": True},
    }


def test_readyz_names_the_failing_part(shared_api: Api, assert_error, monkeypatch) -> None:
    monkeypatch.setattr(health_module, "check_database", lambda engine, **_: False)
    body = assert_error(shared_api.client.get("/readyz"), 503, "not_ready")
    assert body["checks"] == {"model": True, "database": False}
    assert "database" in body["detail"]


def test_readyz_says_not_ready_when_the_database_cannot_write(
    fresh_api: Api, settings, assert_error
) -> None:
    path = settings.database_url.removeprefix("sqlite:///")
    holder = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
        started = time.monotonic()
        body = assert_error(fresh_api.client.get("/readyz"), 503, "not_ready")
        assert time.monotonic() - started < 10
        assert body["checks"] == {"model": True, "database": False}
        assert body["detail"] == "not ready: database unavailable"
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert fresh_api.client.get("/readyz").status_code == 200


def test_without_a_model_the_app_refuses_to_start(tmp_path, trained_registry) -> None:
    settings = make_settings(tmp_path, trained_registry)
    (settings.registry / "ACTIVE").unlink()
    with pytest.raises(NoActiveModelError, match="matcher train"), TestClient(create_app(settings)):
        pass


def test_started_without_a_model_it_is_not_ready(tmp_path, trained_registry, assert_error) -> None:
    settings = make_settings(tmp_path, trained_registry)
    (settings.registry / "ACTIVE").unlink()
    app = create_app(settings, require_model=False)
    with TestClient(app) as client:
        body = assert_error(client.get("/readyz"), 503, "not_ready")
        assert body["checks"] == {"model": False, "database": True}


def test_metrics_exposition(shared_api: Api) -> None:
    shared_api.client.post(
        "/v1/recommendations", json={"profile": PROFILE}, headers=shared_api.headers()
    )
    shared_api.client.get("/v1/sectors")
    response = shared_api.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = response.text
    post = 'method="POST",route="/v1/recommendations"'
    assert re.search(rf"matcher_http_requests_total\{{{post},status=\"200\"\}} [1-9]", text)
    assert 'matcher_http_requests_total{method="GET",route="/v1/sectors",status="401"} 1' in text
    assert "# TYPE matcher_http_request_duration_seconds histogram" in text
    assert re.search(
        rf"matcher_http_request_duration_seconds_bucket\{{{post},le=\"\+Inf\"\}} [1-9]", text
    )
    version = shared_api.app.state.matcher.models.version
    assert f'matcher_model_info{{version="{version}"}} 1' in text


def test_unknown_path_is_enveloped_and_not_a_metrics_label(shared_api: Api, assert_error) -> None:
    assert_error(shared_api.client.get("/v1/nothing-here/123"), 404, "not_found")
    text = shared_api.client.get("/metrics").text
    assert "nothing-here" not in text
    assert 'route="unmatched"' in text


def test_wrong_method_is_405_with_allow(shared_api: Api, assert_error) -> None:
    response = shared_api.client.delete("/v1/recommendations", headers=shared_api.headers())
    assert_error(response, 405, "method_not_allowed")
    assert "POST" in response.headers["allow"]


def test_import_does_not_touch_disk(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    app = create_app()
    assert not hasattr(app.state, "matcher")
    assert list(tmp_path.iterdir()) == []


def test_settings_override_via_dependency(tmp_path, trained_registry) -> None:
    for api in start_api(make_settings(tmp_path, trained_registry, default_top_k=2)):
        body = api.client.post(
            "/v1/recommendations", json={"profile": PROFILE}, headers=api.headers()
        ).json()
        assert body["top_k"] == 2
        assert len(body["recommendations"]) == 2
