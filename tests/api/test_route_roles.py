"""The role rule of EVERY route, read from the app's own route table.

``RULES`` holds the rule of each (method, path). The first test fails when the
app has a route that is not in it (a new route must come with its rule) or when
a rule names a route that no longer exists. The others call each route over
HTTP with no key, with a key just below the rule and with a key that meets it.

Rules: ``public`` (no key), ``counsellor`` (any key), ``centre`` (a key of a
centre: a person's records), ``analyst`` (analyst or admin).
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Api, check_error
from fastapi import FastAPI
from fastapi.routing import APIRoute

RULES: dict[tuple[str, str], str] = {
    ("GET", "/"): "public",
    ("GET", "/healthz"): "public",
    ("GET", "/readyz"): "public",
    ("GET", "/metrics"): "public",
    ("POST", "/v1/recommendations"): "counsellor",
    ("GET", "/v1/project-types"): "counsellor",
    ("GET", "/v1/trades"): "counsellor",
    ("GET", "/v1/sectors"): "counsellor",
    ("GET", "/v1/regions"): "counsellor",
    ("GET", "/v1/regions/{region_id}/provinces"): "counsellor",
    ("GET", "/v1/regions/{region_id}/communes"): "counsellor",
    ("POST", "/v1/diagnoses"): "centre",
    ("GET", "/v1/diagnoses/{diagnosis_id}"): "centre",
    ("POST", "/v1/diagnoses/{diagnosis_id}/decision"): "centre",
    ("POST", "/v1/outcomes"): "centre",
    ("GET", "/v1/cases"): "centre",
    ("GET", "/v1/cases/{beneficiary_id}"): "centre",
    ("GET", "/v1/follow-ups"): "centre",
    ("GET", "/v1/models"): "analyst",
    ("GET", "/v1/models/{version:model_version}"): "analyst",
    ("POST", "/v1/models/{version:model_version}/activate"): "analyst",
    ("POST", "/v1/models/rollback"): "analyst",
    ("POST", "/v1/cohorts/score"): "analyst",
    ("GET", "/v1/cohorts/jobs/{job_id}"): "analyst",
    ("GET", "/v1/cohorts/jobs/{job_id}/result"): "analyst",
    ("GET", "/v1/cohorts/jobs/{job_id}/rejects"): "analyst",
    ("POST", "/v1/cohorts/allocate"): "analyst",
}
"""Every route of the app and the least key it admits."""

PATH_VALUES = {
    "{region_id}": "MA-06",
    "{diagnosis_id}": "0" * 32,
    "{beneficiary_id}": "B-0001",
    "{job_id}": "0" * 32,
    "{version:model_version}": "20260101T000000Z-abcdef",
}
FRAMEWORK_PATHS = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
"""FastAPI's own documentation routes: public by design, not the app's."""


def app_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every route the app serves, included routers walked."""
    found: set[tuple[str, str]] = set()

    def walk(routes: list[Any]) -> None:
        for route in routes:
            inner = getattr(route, "original_router", None)
            if inner is not None:
                walk(list(inner.routes))
            elif isinstance(route, APIRoute) and route.path not in FRAMEWORK_PATHS:
                found.update((m, route.path) for m in route.methods if m != "HEAD")

    walk(list(app.routes))
    return found


def call(api: Api, method: str, path: str, headers: dict[str, str]) -> Any:
    url = path
    for placeholder, value in PATH_VALUES.items():
        url = url.replace(placeholder, value)
    if method == "GET":
        return api.client.get(url, headers=headers)
    return api.client.post(url, json={}, headers=headers)


def test_every_route_has_a_rule(shared_api: Api) -> None:
    served = app_routes(shared_api.app)
    assert served - set(RULES) == set(), "a route without a rule: add it to RULES"
    assert set(RULES) - served == set(), "a rule for a route that no longer exists"


ROUTES = sorted(RULES)


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_route_without_a_key(shared_api: Api, method: str, path: str) -> None:
    response = call(shared_api, method, path, {})
    if RULES[method, path] == "public":
        assert response.status_code not in (401, 403), response.text
    else:
        check_error(response, 401, "unauthorized")


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_route_with_a_key_below_its_rule(shared_api: Api, method: str, path: str) -> None:
    rule = RULES[method, path]
    if rule == "analyst":
        for role in ("counsellor", "other"):
            check_error(call(shared_api, method, path, shared_api.headers(role)), 403, "forbidden")
    elif rule == "centre":
        for role in ("analyst", "admin"):  # keys of no centre
            response = call(shared_api, method, path, shared_api.headers(role))
            body = check_error(response, 403, "centre_required")
            assert "key of a centre" in body["detail"]
    else:
        pytest.skip(f"nothing is below the {rule} rule")


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_route_with_a_key_that_meets_its_rule(shared_api: Api, method: str, path: str) -> None:
    rule = RULES[method, path]
    roles = {
        "public": ["counsellor"],
        "counsellor": ["counsellor", "analyst", "admin"],
        "centre": ["counsellor", "other"],
        "analyst": ["analyst", "admin"],
    }[rule]
    for role in roles:
        response = call(shared_api, method, path, shared_api.headers(role))
        assert response.status_code not in (401, 403), (role, response.text)
