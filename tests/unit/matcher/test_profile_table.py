"""Tests of matcher.contract.profile_table: row validation, canonical forms, profile frames."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from matcher.contract import columns as c
from matcher.contract.profile_table import profiles_frame, validate_profiles
from matcher.contract.tables import read_table
from matcher.domain import Profile
from matcher.errors import DataSchemaError, InvalidProfileError

DATA = Path(__file__).resolve().parents[3] / "data_samples"


def row(**overrides: str) -> dict[str, str]:
    base = {
        "beneficiary_id": "B1",
        "sex": "M",
        "age": "30",
        "region_id": "MA-01",
        "milieu": "urban",
        "education_level": "primary",
        "trainings": "",
        "experience": "",
        "budget_mad": "20000",
        "preferred_sectors": "",
        "health_constraint": "none",
        "commune_code": "",
    }
    return base | overrides


def frame(*rows: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame(list(rows), dtype="str")


def error_fields(message: str) -> set[str]:
    return {part.split(":", 1)[0].strip() for part in message.split("; ")}


def a_commune_of(reference, region_id: str) -> str:
    lp = reference.local_profiles
    return str(lp.loc[(lp["level"] == "commune") & (lp["region_id"] == region_id), "code"].iloc[0])


def test_planted_errors_are_rejected_with_their_field(reference):
    raw = read_table(DATA / "cohort_with_errors.csv")
    valid, rejects = validate_profiles(raw, reference)
    expected = {
        i + 1: field for i, field in enumerate(raw["expected_error"]) if field
    }  # row_number -> field
    assert len(expected) >= 8
    got = {int(r.row_number): r.error for r in rejects.itertuples()}
    assert set(got) == set(expected)
    for row_number, field in expected.items():
        assert error_fields(got[row_number]) == {field}, (row_number, got[row_number])
    assert list(rejects.columns) == [c.ROW_NUMBER, c.BENEFICIARY_ID, c.ERROR]
    assert rejects[c.BENEFICIARY_ID].tolist() == [
        raw.loc[n - 1, "beneficiary_id"] for n in rejects[c.ROW_NUMBER]
    ]
    # every valid row is kept, with its row number and extra columns
    good = [i + 1 for i, field in enumerate(raw["expected_error"]) if not field]
    assert valid[c.ROW_NUMBER].tolist() == good
    assert valid[c.BENEFICIARY_ID].tolist() == [raw.loc[n - 1, "beneficiary_id"] for n in good]
    assert len(valid) + len(rejects) == len(raw)
    assert (valid["expected_error"] == "").all()


def test_duplicate_id_rejects_the_later_row(reference):
    valid, rejects = validate_profiles(
        frame(row(beneficiary_id="B1"), row(beneficiary_id="B2"), row(beneficiary_id="B1")),
        reference,
    )
    assert valid[c.BENEFICIARY_ID].tolist() == ["B1", "B2"]
    assert rejects.to_dict("records") == [
        {
            c.ROW_NUMBER: 3,
            c.BENEFICIARY_ID: "B1",
            c.ERROR: "beneficiary_id: duplicate of an earlier row",
        }
    ]


def test_duplicates_allowed_when_not_unique(reference):
    valid, rejects = validate_profiles(frame(row(), row()), reference, unique_ids=False)
    assert len(valid) == 2
    assert rejects.empty


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"beneficiary_id": "Ahmed Benali"}, "beneficiary_id"),
        ({"beneficiary_id": "x" * 65}, "beneficiary_id"),
        ({"beneficiary_id": ""}, "beneficiary_id"),
        ({"sex": "X"}, "sex"),
        ({"age": "17"}, "age"),
        ({"age": "76"}, "age"),
        ({"age": "30.5"}, "age"),
        ({"region_id": "MA-13"}, "region_id"),
        ({"milieu": "suburban"}, "milieu"),
        ({"education_level": "phd"}, "education_level"),
        ({"budget_mad": "-1"}, "budget_mad"),
        ({"budget_mad": "abc"}, "budget_mad"),
        ({"budget_mad": "inf"}, "budget_mad"),
        ({"trainings": "joinery;astronaut"}, "trainings"),
        ({"experience": "joinery"}, "experience"),
        ({"experience": "joinery:-2"}, "experience"),
        ({"experience": "astronaut:2"}, "experience"),
        ({"experience": "joinery:1;joinery:2"}, "experience"),
        ({"experience": "joinery:61"}, "experience"),
        ({"preferred_sectors": "tourism"}, "preferred_sectors"),
        ({"health_constraint": "bad_back"}, "health_constraint"),
        ({"commune_code": "99.999.99.99"}, "commune_code"),
    ],
)
def test_each_rule_names_its_field(reference, overrides, field):
    valid, rejects = validate_profiles(frame(row(**overrides)), reference)
    assert valid.empty
    assert len(rejects) == 1
    assert error_fields(rejects[c.ERROR].iloc[0]) == {field}
    assert rejects[c.ROW_NUMBER].iloc[0] == 1


def test_several_broken_rules_are_all_named(reference):
    _, rejects = validate_profiles(frame(row(sex="X", age="12", milieu="")), reference)
    assert error_fields(rejects[c.ERROR].iloc[0]) == {"sex", "age", "milieu"}


@pytest.mark.parametrize(("age", "budget"), [("18", "0"), ("75", "1000")])
def test_boundary_values_are_valid(reference, age, budget):
    valid, rejects = validate_profiles(frame(row(age=age, budget_mad=budget)), reference)
    assert rejects.empty
    assert valid[c.AGE].tolist() == [int(age)]
    assert valid[c.BUDGET_MAD].tolist() == [float(budget)]


def test_commune_outside_its_region_is_rejected(reference):
    commune = a_commune_of(reference, "MA-01")
    valid, _ = validate_profiles(frame(row(region_id="MA-01", commune_code=commune)), reference)
    assert valid[c.COMMUNE_CODE].tolist() == [commune]
    _, rejects = validate_profiles(frame(row(region_id="MA-02", commune_code=commune)), reference)
    message = rejects[c.ERROR].iloc[0]
    assert error_fields(message) == {"commune_code"}
    assert "MA-02" in message


@pytest.mark.parametrize("missing", sorted(c.PROFILE_REQUIRED))
def test_missing_required_column_is_named(reference, missing):
    data = frame(row()).drop(columns=[missing])
    with pytest.raises(DataSchemaError, match=missing) as info:
        validate_profiles(data, reference)
    assert info.value.details["missing_columns"] == [missing]


def test_optional_columns_may_be_absent(reference):
    data = frame(row()).drop(
        columns=[
            c.TRAININGS,
            c.EXPERIENCE,
            c.PREFERRED_SECTORS,
            c.HEALTH_CONSTRAINT,
            c.COMMUNE_CODE,
        ]
    )
    valid, rejects = validate_profiles(data, reference)
    assert rejects.empty
    record = valid.iloc[0]
    assert record[c.TRAININGS] == ""
    assert record[c.EXPERIENCE] == ""
    assert record[c.PREFERRED_SECTORS] == ""
    assert record[c.HEALTH_CONSTRAINT] == "none"
    assert record[c.COMMUNE_CODE] == ""


def test_canonical_forms(reference):
    valid, rejects = validate_profiles(
        frame(
            row(
                sex="f",
                milieu="Rural",
                education_level="LOWER_SECONDARY",
                age="40",
                trainings="joinery; upholstery ;joinery",
                experience="joinery:3.0;upholstery:2.50",
                preferred_sectors="crafts;crafts;services",
                health_constraint="",
                budget_mad="15000.0",
                extra_note="kept",
            )
        ),
        reference,
    )
    assert rejects.empty
    record = valid.iloc[0]
    assert record[c.SEX] == "F"
    assert record[c.MILIEU] == "rural"
    assert record[c.EDUCATION_LEVEL] == "lower_secondary"
    assert record[c.AGE] == 40
    assert record[c.TRAININGS] == "joinery;upholstery"
    assert record[c.EXPERIENCE] == "joinery:3;upholstery:2.5"
    assert record[c.PREFERRED_SECTORS] == "crafts;services"
    assert record[c.HEALTH_CONSTRAINT] == "none"
    assert record[c.BUDGET_MAD] == 15000.0
    assert record["extra_note"] == "kept"


def test_first_row_number_offsets_rejects(reference):
    _, rejects = validate_profiles(
        frame(row(), row(beneficiary_id="B2", sex="?")), reference, first_row_number=101
    )
    assert rejects[c.ROW_NUMBER].tolist() == [102]


def profile(**overrides) -> Profile:
    base = {
        "beneficiary_id": "P1",
        "sex": "F",
        "age": 30,
        "region_id": "MA-01",
        "milieu": "urban",
        "education_level": "primary",
        "budget_mad": 20000,
    }
    return Profile(**(base | overrides))


def test_profiles_frame_is_canonical(reference):
    out = profiles_frame(
        [
            profile(
                trainings=("joinery", "joinery"),
                experience=({"trade_id": "joinery", "years": 3.0},),
                preferred_sectors=("crafts",),
            )
        ],
        reference,
    )
    record = out.iloc[0]
    assert record[c.TRAININGS] == "joinery"
    assert record[c.EXPERIENCE] == "joinery:3"
    assert record[c.BUDGET_MAD] == 20000.0
    assert record[c.COMMUNE_CODE] == ""
    assert record[c.ROW_NUMBER] == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"region_id": "MA-99"}, "profile.region_id"),
        ({"trainings": ("astronaut",)}, "profile.trainings"),
        ({"preferred_sectors": ("tourism",)}, "profile.preferred_sectors"),
        ({"experience": ({"trade_id": "astronaut", "years": 1},)}, "profile.experience"),
        ({"commune_code": "99.999.99.99"}, "profile.commune_code"),
    ],
)
def test_profiles_frame_names_the_field(reference, overrides, field):
    with pytest.raises(InvalidProfileError) as info:
        profiles_frame([profile(**overrides)], reference)
    assert info.value.details["field"] == field
    assert info.value.code == "invalid_profile"
