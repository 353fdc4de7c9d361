"""Bounded requests: 413 before parsing and auth, duplicate keys, clean free text, no paths."""

from __future__ import annotations

import json
from typing import Any

from conftest import PROFILE, Api

URL = "/v1/recommendations"


def test_a_large_json_body_is_refused_before_authentication(shared_api: Api, assert_error) -> None:
    body = b'{"profile": {}, "pad": "' + b"x" * (2 << 20) + b'"}'
    response = shared_api.client.post(
        URL, content=body, headers={"Content-Type": "application/json"}
    )
    answer = assert_error(response, 413, "payload_too_large")
    assert answer["detail"] == "The request body is larger than 1 MiB; send less"


def test_a_large_body_without_content_length_is_cut_off(shared_api: Api, assert_error) -> None:
    def chunks() -> Any:
        for _ in range(40):
            yield b"x" * 65536

    for content_type in ("application/json", "text/plain"):
        response = shared_api.client.post(
            URL, content=chunks(), headers={**shared_api.headers(), "Content-Type": content_type}
        )
        assert_error(response, 413, "payload_too_large")


def test_a_body_under_the_limit_still_needs_a_key(shared_api: Api, assert_error) -> None:
    assert_error(shared_api.client.post(URL, json={"profile": PROFILE}), 401, "unauthorized")


def test_duplicate_json_keys_are_refused(shared_api: Api, assert_error) -> None:
    body = '{"profile": ' + json.dumps(PROFILE) + ', "top_k": 3, "top_k": 50}'
    response = shared_api.client.post(
        URL, content=body, headers={**shared_api.headers(), "Content-Type": "application/json"}
    )
    answer = assert_error(response, 422, "duplicate_json_key")
    assert answer["detail"] == "The JSON body repeats the key 'top_k'; send each key once"
    nested = json.dumps(PROFILE)[:-1] + ', "age": 99}'
    response = shared_api.client.post(
        URL,
        content='{"profile": ' + nested + "}",
        headers={**shared_api.headers(), "Content-Type": "application/json"},
    )
    assert_error(response, 422, "duplicate_json_key")


def _diagnosis(api: Api) -> tuple[str, str]:
    created = api.client.post("/v1/diagnoses", json={"profile": PROFILE}, headers=api.headers())
    assert created.status_code == 201, created.text
    body = created.json()
    return body["diagnosis_id"], body["recommendations"][0]["project_type_id"]


def test_reasons_lose_control_and_bidi_characters(shared_api: Api) -> None:
    diagnosis_id, top = _diagnosis(shared_api)
    response = shared_api.client.post(
        f"/v1/diagnoses/{diagnosis_id}/decision",
        json={
            "choice": "recommended",
            "project_type_id": top,
            "reason": "\u202eSouhait\u200b de la personne\x00 ",
        },
        headers=shared_api.headers(),
    )
    assert response.status_code == 201, response.text
    stored = shared_api.client.get(f"/v1/diagnoses/{diagnosis_id}", headers=shared_api.headers())
    assert stored.json()["decisions"][-1]["reason"] == "Souhait de la personne"


def test_invisible_only_reasons_are_refused(shared_api: Api, assert_error) -> None:
    diagnosis_id, top = _diagnosis(shared_api)
    for reason in ("\u200b\u200c\u200d", "\x00", " \u2066\u2069 ", "\u202e"):
        response = shared_api.client.post(
            f"/v1/diagnoses/{diagnosis_id}/decision",
            json={"choice": "recommended", "project_type_id": top, "reason": reason},
            headers=shared_api.headers(),
        )
        body = assert_error(response, 422, "invalid_request")
        assert body["detail"][0]["loc"] == ["body", "reason"], body
    response = shared_api.client.post(
        "/v1/models/rollback", json={"reason": "\u200b"}, headers=shared_api.headers("analyst")
    )
    assert_error(response, 422, "invalid_request")


def test_error_messages_never_show_server_paths(shared_api: Api, assert_error) -> None:
    state = shared_api.app.state.matcher
    response = shared_api.client.get(
        "/v1/models/20200101T000000Z-abcdef", headers=shared_api.headers("analyst")
    )
    body = assert_error(response, 404, "model_version_not_found")
    assert str(state.settings.registry) not in body["detail"]
    assert "/" not in body["detail"].replace("/v1/", "")
