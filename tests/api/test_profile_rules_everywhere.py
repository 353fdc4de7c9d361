"""The same bad profile is refused for the same field by the API, ``matcher score`` and
``recommend()``: the three doors read one module of profile rules.

Each case breaks one rule of contract section 2 (or of the catalogue) in the example
request's profile; the API must answer 422 naming the field, the file row must land in
the rejects file with an error that starts with the field, and building the domain
profile (or checking it against the catalogue) must name the field too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import Api, check_error
from pydantic import ValidationError
from typer.testing import CliRunner

from cli import app as cli_app
from matcher.contract.profile_rules import BUDGET_MAX_MAD, BUDGET_MIN_MAD, check_profile
from matcher.contract.tables import join_experience, join_list
from matcher.domain import Profile
from matcher.errors import InvalidProfileError
from matcher.reference import Reference

DATA = Path(__file__).resolve().parents[2] / "data_samples"
BASE: dict[str, Any] = json.loads((DATA / "example_request.json").read_text())["profile"]
TRADE = BASE["experience"][0]["trade_id"]

BAD: list[tuple[str, dict[str, Any]]] = [
    ("beneficiary_id", {"beneficiary_id": "Fatima Zahra"}),
    ("sex", {"sex": "X"}),
    ("age", {"age": 17}),
    ("age", {"age": 76}),
    ("region_id", {"region_id": "MA-99"}),
    ("milieu", {"milieu": "city"}),
    ("education_level", {"education_level": "doctorate"}),
    ("trainings", {"trainings": ["astronaut"]}),
    ("experience", {"experience": [{"trade_id": "astronaut", "years": 2}]}),
    ("experience", {"experience": [{"trade_id": TRADE, "years": 61}]}),
    (
        "experience",
        {"experience": [{"trade_id": TRADE, "years": 1}, {"trade_id": TRADE, "years": 2}]},
    ),
    # plausibility: years in a trade at most age - 14, all trades at most twice that
    ("experience", {"age": 27, "experience": [{"trade_id": TRADE, "years": 15}]}),
    ("experience", {"age": 18, "experience": [{"trade_id": TRADE, "years": 40}]}),
    (
        "experience",
        {
            "age": 30,
            "experience": [
                {"trade_id": "cooking_catering", "years": 16},
                {"trade_id": "bakery_pastry", "years": 16},
                {"trade_id": "joinery", "years": 1},
            ],
        },
    ),
    ("budget_mad", {"budget_mad": BUDGET_MAX_MAD + 1}),
    ("budget_mad", {"budget_mad": 45}),  # 45.000 read as 45
    ("budget_mad", {"budget_mad": BUDGET_MIN_MAD - 1}),
    ("budget_mad", {"budget_mad": -1}),
    ("preferred_sectors", {"preferred_sectors": ["space"]}),
    ("health_constraint", {"health_constraint": "fragile"}),
    ("commune_code", {"commune_code": "99.999.99.9"}),
    ("commune_code", {"commune_code": "01.051", "region_id": "MA-06"}),
]
IDS = [f"{field}-{i}" for i, (field, _) in enumerate(BAD)]


def as_row(profile: dict[str, Any]) -> dict[str, Any]:
    """The JSON profile as one cohort CSV row (contract section 2)."""
    return profile | {
        "trainings": join_list(profile["trainings"]),
        "experience": join_experience((e["trade_id"], e["years"]) for e in profile["experience"]),
        "preferred_sectors": join_list(profile["preferred_sectors"]),
        "commune_code": profile["commune_code"] or "",
    }


def api_fields(body: dict[str, Any]) -> set[str]:
    issues = body["detail"] if isinstance(body["detail"], list) else []
    fields = {str(issue["loc"][2]) for issue in issues if len(issue.get("loc", ())) > 2}
    if "field" in body:
        fields.add(str(body["field"]).removeprefix("profile."))
    return fields


def test_the_communes_used_here_are_real(reference: Reference):
    communes = reference.commune_region()
    assert communes.get("01.051") == "MA-01", "pick another commune of MA-01"
    assert "99.999.99.9" not in communes


@pytest.mark.parametrize(("field", "change"), BAD, ids=IDS)
def test_the_api_refuses_it_naming_the_field(shared_api: Api, field: str, change: dict[str, Any]):
    response = shared_api.client.post(
        "/v1/recommendations", json={"profile": BASE | change}, headers=shared_api.headers()
    )
    assert response.status_code == 422, response.text
    body = response.json()
    check_error(response, 422, body["code"])
    assert field in api_fields(body), body


def test_matcher_score_refuses_them_naming_the_field(shared_api: Api, tmp_path: Path):
    rows = [
        as_row(BASE | {"beneficiary_id": f"P{i}"} | change) for i, (_, change) in enumerate(BAD)
    ]
    rows.append(as_row(BASE | {"beneficiary_id": "GOOD"}))
    source = tmp_path / "cohort.csv"
    pd.DataFrame(rows).to_csv(source, index=False)
    settings = shared_api.app.state.matcher.settings
    output = tmp_path / "out.csv"
    result = CliRunner().invoke(
        cli_app,
        [
            "score",
            "--input",
            str(source),
            "--output",
            str(output),
            "--registry",
            str(settings.registry),
            "--reference",
            str(settings.reference),
        ],
    )
    assert result.exit_code == 0, result.output
    rejects = pd.read_csv(f"{output}.rejects.csv", dtype=str)
    assert rejects["row_number"].astype(int).tolist() == list(range(1, len(BAD) + 1))
    for (field, _), error in zip(BAD, rejects["error"], strict=True):
        assert error.startswith(f"{field}:") or f"; {field}:" in error, (field, error)
    scored = pd.read_csv(output, dtype=str)
    assert set(scored["beneficiary_id"]) == {"GOOD"}


@pytest.mark.parametrize(("field", "change"), BAD, ids=IDS)
def test_recommend_refuses_it_naming_the_field(
    reference: Reference, field: str, change: dict[str, Any]
):
    try:
        profile = Profile.model_validate(BASE | change)
    except ValidationError as exc:
        named = {str(e["loc"][0]) for e in exc.errors()}
    else:
        with pytest.raises(InvalidProfileError) as caught:
            check_profile(profile, reference)
        named = {str(caught.value.details["field"]).removeprefix("profile.")}
    assert field in named


def test_the_api_and_the_file_say_the_same_sentence(shared_api: Api, tmp_path: Path):
    """What a person reads when 15 years are typed for a 27-year-old."""
    change = {"age": 27, "experience": [{"trade_id": TRADE, "years": 15}]}
    expected = (
        f"15 years in {TRADE} is more than a 27-year-old can have worked "
        "(at most 13: work counts from age 14)"
    )
    response = shared_api.client.post(
        "/v1/recommendations", json={"profile": BASE | change}, headers=shared_api.headers()
    )
    assert response.status_code == 422
    assert expected in response.text
    source = tmp_path / "cohort.csv"
    pd.DataFrame([as_row(BASE | change)]).to_csv(source, index=False)
    settings = shared_api.app.state.matcher.settings
    output = tmp_path / "out.csv"
    args = ["score", "--input", str(source), "--output", str(output)]
    args += ["--registry", str(settings.registry), "--reference", str(settings.reference)]
    result = CliRunner().invoke(cli_app, args)
    assert result.exit_code == 0, result.output
    rejects = pd.read_csv(f"{output}.rejects.csv", dtype=str)
    assert rejects["error"].tolist() == [f"experience: {expected}"]
