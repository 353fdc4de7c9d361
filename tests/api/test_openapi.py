"""/openapi.json documents every route, its key requirement and its error answers."""

from __future__ import annotations

import jsonschema_rs
from conftest import Api

ROUTES = {
    ("post", "/v1/recommendations"): {400, 401, 403, 422, 503},
    ("get", "/v1/project-types"): {401, 403},
    ("get", "/v1/trades"): {401, 403},
    ("get", "/v1/sectors"): {401, 403},
    ("get", "/v1/regions"): {401, 403},
    ("get", "/v1/regions/{region_id}/provinces"): {401, 403, 404, 422},
    ("get", "/v1/regions/{region_id}/communes"): {401, 403, 404, 422},
    ("post", "/v1/diagnoses"): {400, 401, 403, 422, 503},
    ("get", "/v1/diagnoses/{diagnosis_id}"): {401, 403, 404, 422},
    ("post", "/v1/diagnoses/{diagnosis_id}/decision"): {400, 401, 403, 404, 409, 422, 503},
    ("post", "/v1/outcomes"): {400, 401, 403, 404, 422, 503},
    ("get", "/v1/cases"): {401, 403, 422},
    ("get", "/v1/cases/{beneficiary_id}"): {401, 403, 404, 422},
    ("get", "/v1/follow-ups"): {401, 403},
    ("get", "/v1/models"): {401, 403},
    ("get", "/v1/models/{version}"): {401, 403, 404, 422},
    ("post", "/v1/models/{version}/activate"): {400, 401, 403, 404, 409, 422, 503},
    ("post", "/v1/models/rollback"): {400, 401, 403, 422, 503},
    ("post", "/v1/cohorts/score"): {401, 403, 422, 503},
    ("get", "/v1/cohorts/jobs/{job_id}"): {401, 403, 404, 422},
    ("get", "/v1/cohorts/jobs/{job_id}/result"): {401, 403, 404, 409, 422},
    ("get", "/v1/cohorts/jobs/{job_id}/rejects"): {401, 403, 404, 409, 422},
    ("post", "/v1/cohorts/allocate"): {401, 403, 422, 503},
    ("get", "/healthz"): set(),
    ("get", "/readyz"): {503},
    ("get", "/metrics"): set(),
}


def test_openapi_lists_every_route_with_its_errors(shared_api: Api) -> None:
    doc = shared_api.client.get("/openapi.json").json()
    listed = {(m, p) for p, ops in doc["paths"].items() for m in ops}
    assert listed == set(ROUTES)
    for (method, path), errors in ROUTES.items():
        op = doc["paths"][path][method]
        assert op["summary"], (method, path)
        codes = {int(c) for c in op["responses"] if c != "default"}
        assert errors <= codes, (method, path, codes)
        for code in errors:
            schema = op["responses"][str(code)]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorOut"}, (method, path, code)
        if path.startswith("/v1/"):
            assert op["security"] == [{"ApiKey": []}], (method, path)
        else:
            assert "security" not in op


def test_profile_schema_is_strict_and_complete(shared_api: Api) -> None:
    from matcher.domain import Profile

    schemas = shared_api.client.get("/openapi.json").json()["components"]["schemas"]
    profile = schemas["ProfileIn"]
    assert profile["additionalProperties"] is False
    assert set(profile["properties"]) == set(Profile.model_fields)
    assert set(profile["required"]) == {
        n for n, f in Profile.model_fields.items() if f.is_required()
    }
    assert profile["properties"]["age"]["minimum"] == 18
    assert profile["properties"]["age"]["maximum"] == 75
    assert schemas["ErrorOut"]["required"] == ["status", "code", "detail"]
    assert "HTTPValidationError" not in schemas, "every 422 is documented as ErrorOut"


def test_top_k_bounds_are_in_the_schema(shared_api: Api) -> None:
    schemas = shared_api.client.get("/openapi.json").json()["components"]["schemas"]
    top_k = schemas["RecommendationRequest"]["properties"]["top_k"]["anyOf"][0]
    assert (top_k["minimum"], top_k["maximum"]) == (1, 50)
    assert "ge" not in top_k


def test_the_decision_rule_on_project_type_is_in_the_schema(shared_api: Api) -> None:
    document = shared_api.client.get("/openapi.json").json()
    schema = {**document["components"]["schemas"]["DecisionIn"], "$defs": {}}
    validator = jsonschema_rs.Draft202012Validator(schema)
    reason = "Souhait de la personne"
    assert validator.is_valid({"choice": "none", "reason": reason})
    assert validator.is_valid({"choice": "none", "project_type_id": None, "reason": reason})
    assert validator.is_valid({"choice": "other", "project_type_id": "apiary", "reason": reason})
    assert not validator.is_valid({"choice": "none", "project_type_id": "apiary", "reason": reason})
    assert not validator.is_valid({"choice": "recommended", "reason": reason})
    assert not validator.is_valid({"choice": "none", "reason": "\u200b\u202e"})
