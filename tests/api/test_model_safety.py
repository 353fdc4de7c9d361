"""A bad model cannot take the service down: refused at activation, reported when it fails."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import PROFILE, Api, TrainedRegistry
from tampering import flip_one_byte, replace_artefact

from matcher.model.registry import Registry
from matcher.model.scorer import Scorer


def activate(api: Api, version: str) -> Any:
    return api.client.post(
        f"/v1/models/{version}/activate",
        json={"reason": "try it"},
        headers=api.headers("analyst"),
    )


def recommend(api: Api) -> Any:
    return api.client.post("/v1/recommendations", json={"profile": PROFILE}, headers=api.headers())


def test_one_flipped_byte_is_refused_with_422(
    fresh_api: Api, trained_registry: TrainedRegistry, settings, assert_error
) -> None:
    flip_one_byte(settings.registry / trained_registry.v2)
    body = assert_error(activate(fresh_api, trained_registry.v2), 422, "model_integrity")
    assert "altered (sha256 mismatch)" in body["detail"]
    assert body["check"] == "sha256"
    assert Registry(settings.registry).active_version() == trained_registry.v1
    assert recommend(fresh_api).json()["model_version"] == trained_registry.v1
    assert fresh_api.client.get("/readyz").status_code == 200


def test_a_pickle_that_is_not_a_pipeline_is_refused_with_422(
    fresh_api: Api, trained_registry: TrainedRegistry, settings, assert_error
) -> None:
    replace_artefact(settings.registry / trained_registry.v2, ["not", "a", "pipeline"])
    body = assert_error(activate(fresh_api, trained_registry.v2), 422, "model_integrity")
    assert "is a list, not the fitted Pipeline" in body["detail"]
    assert Registry(settings.registry).active_version() == trained_registry.v1
    assert recommend(fresh_api).status_code == 200


def test_a_pipeline_swapped_in_place_fails_its_smoke_test(
    fresh_api: Api, trained_registry: TrainedRegistry, settings, assert_error
) -> None:
    v1_pipeline = (
        Registry(settings.registry)
        .load(
            trained_registry.v1,
            reference_fingerprint=fresh_api.app.state.matcher.reference.fingerprint,
        )
        .pipeline
    )
    replace_artefact(settings.registry / trained_registry.v2, v1_pipeline)
    body = assert_error(activate(fresh_api, trained_registry.v2), 422, "model_smoke_test_failed")
    assert "differ from those recorded at training" in body["detail"]
    assert Registry(settings.registry).active_version() == trained_registry.v1


def test_a_model_failing_while_serving_turns_readyz_not_ready(
    fresh_api: Api, assert_error, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: Scorer, pairs: Any) -> Any:
        raise ValueError("X has 3 features, but the model expects 40")

    with monkeypatch.context() as patch:
        patch.setattr(Scorer, "feature_columns", broken)  # every objective goes through it
        body = assert_error(recommend(fresh_api), 503, "model_failed")
        assert "failed while scoring this request" in body["detail"]
        assert "Traceback" not in body["detail"]
        ready = assert_error(fresh_api.client.get("/readyz"), 503, "not_ready")
        assert ready["checks"] == {"model": False, "database": True}
        assert "failed while scoring (ValueError)" in ready["model_problem"]
    metrics = fresh_api.client.get("/metrics").text
    assert 'matcher_failures_total{kind="model_serving"} 1' in metrics
    assert recommend(fresh_api).status_code == 200
    assert fresh_api.client.get("/readyz").status_code == 200


def test_active_moved_elsewhere_to_a_bad_version_is_reported_not_ready(
    fresh_api: Api, trained_registry: TrainedRegistry, settings, assert_error
) -> None:
    holder = fresh_api.app.state.matcher.models
    holder.refresh_interval = 0.0
    flip_one_byte(settings.registry / trained_registry.v2)
    Registry(settings.registry).activate(trained_registry.v2, actor="hand", reason="edited")
    assert recommend(fresh_api).json()["model_version"] == trained_registry.v1
    ready = assert_error(fresh_api.client.get("/readyz"), 503, "not_ready")
    assert f"registry ACTIVE {trained_registry.v2} cannot be served" in ready["model_problem"]
    assert (
        'matcher_failures_total{kind="model_unservable"} 1' in fresh_api.client.get("/metrics").text
    )
    # putting ACTIVE back makes it ready again
    Registry(settings.registry).activate(trained_registry.v1, actor="hand", reason="undo")
    assert fresh_api.client.get("/readyz").status_code == 200
