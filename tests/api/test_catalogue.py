"""Catalogue lists for the forms: project types, trades, sectors, regions, places."""

from __future__ import annotations

import pytest
from conftest import Api


@pytest.mark.parametrize(
    ("path", "key", "table"),
    [
        ("/v1/project-types", "project_type_id", "project_types"),
        ("/v1/trades", "trade_id", "trades"),
        ("/v1/sectors", "sector_id", "sectors"),
        ("/v1/regions", "region_id", "regions"),
    ],
)
def test_lists_match_the_catalogue(shared_api: Api, reference, path, key, table) -> None:
    response = shared_api.client.get(path, headers=shared_api.headers())
    assert response.status_code == 200, response.text
    items = response.json()
    assert [i[key] for i in items] == list(getattr(reference, table).index)
    for item in items:
        assert set(item["names"]) == {"fr", "ar", "en"}
        assert item["names"]["fr"]


def test_project_types_carry_the_eligibility_columns(shared_api: Api) -> None:
    items = shared_api.client.get("/v1/project-types", headers=shared_api.headers()).json()
    snack = next(i for i in items if i["project_type_id"] == "snack_bar")
    assert snack["typical_cost_mad"] == 45000
    assert snack["milieu"] == "urban"
    assert snack["required_trades"] == ["cooking_catering", "bakery_pastry"]
    assert isinstance(snack["home_based"], bool)


def test_provinces_and_communes_of_a_region(shared_api: Api, reference) -> None:
    provinces = shared_api.client.get(
        "/v1/regions/MA-01/provinces", headers=shared_api.headers()
    ).json()
    assert {
        "code": "01.051",
        "province_code": "01.051",
        "name_fr": "Al Hoceima",
        "name_ar": "الحسيمة",
    } in provinces
    communes = shared_api.client.get(
        "/v1/regions/MA-01/communes", params={"province": "01.051"}, headers=shared_api.headers()
    ).json()
    assert communes
    assert all(c["province_code"] == "01.051" for c in communes)
    assert "01.051.01.01" in {c["code"] for c in communes}
    every = shared_api.client.get("/v1/regions/MA-01/communes", headers=shared_api.headers()).json()
    local = reference.local_profiles
    expected = ((local["level"] == "commune") & (local["region_id"] == "MA-01")).sum()
    assert len(every) == expected > len(communes)


def test_unknown_region_or_province_is_404(shared_api: Api, assert_error) -> None:
    h = shared_api.headers()
    body = assert_error(
        shared_api.client.get("/v1/regions/MA-99/provinces", headers=h), 404, "not_found"
    )
    assert body["region_id"] == "MA-99"
    assert_error(
        shared_api.client.get(
            "/v1/regions/MA-01/communes", params={"province": "06.461"}, headers=h
        ),
        404,
        "not_found",
    )


@pytest.mark.parametrize(
    "path",
    ["/v1/project-types", "/v1/trades", "/v1/sectors", "/v1/regions", "/v1/regions/MA-01/communes"],
)
def test_catalogue_needs_a_key(shared_api: Api, assert_error, path) -> None:
    assert_error(shared_api.client.get(path), 401, "unauthorized")
