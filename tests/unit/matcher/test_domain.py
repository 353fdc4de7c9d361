"""Tests of matcher.domain: the Profile model and its vocabulary."""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from matcher.domain import (
    EDUCATION_LEVELS,
    PHYSICAL_DEMANDS,
    SECTOR_IDS,
    EducationLevel,
    Experience,
    HealthConstraint,
    Milieu,
    Profile,
    Sex,
)

BASE = {
    "beneficiary_id": "B-01_x",
    "sex": "F",
    "age": 30,
    "region_id": "MA-01",
    "milieu": "urban",
    "education_level": "primary",
    "budget_mad": 20000,
}


def make(**overrides) -> Profile:
    return Profile(**(BASE | overrides))


def error_locations(exc: ValidationError) -> set[str]:
    return {".".join(str(p) for p in e["loc"]) for e in exc.errors()}


def test_vocabulary():
    assert [e.value for e in EducationLevel] == list(EDUCATION_LEVELS)
    assert EDUCATION_LEVELS == (
        "none",
        "primary",
        "lower_secondary",
        "upper_secondary",
        "higher",
    )
    assert set(SECTOR_IDS) == {
        "catering",
        "crafts",
        "services",
        "commerce",
        "agriculture",
        "construction",
    }
    assert PHYSICAL_DEMANDS == ("low", "medium", "high")
    assert {s.value for s in Sex} == {"F", "M"}
    assert {m.value for m in Milieu} == {"urban", "rural"}
    assert {h.value for h in HealthConstraint} == {"none", "no_heavy_work"}


def test_defaults():
    p = make()
    assert p.trainings == ()
    assert p.experience == ()
    assert p.preferred_sectors == ()
    assert p.health_constraint is HealthConstraint.NONE
    assert p.commune_code is None
    assert p.sex is Sex.F
    assert p.budget_mad == 20000.0


@pytest.mark.parametrize("commune", ["", "   ", None])
def test_blank_commune_is_none(commune):
    assert make(commune_code=commune).commune_code is None


def test_commune_is_stripped():
    assert make(commune_code=" 01.511.01.0 ").commune_code == "01.511.01.0"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("beneficiary_id", "Ahmed Benali"),
        ("beneficiary_id", ""),
        ("beneficiary_id", "x" * 65),
        ("beneficiary_id", "é1"),
        ("sex", "X"),
        ("age", 17),
        ("age", 76),
        ("age", 30.5),
        ("milieu", "suburban"),
        ("education_level", "phd"),
        ("budget_mad", -1),
        ("budget_mad", math.inf),
        ("budget_mad", math.nan),
        ("budget_mad", 10_000_001),
        ("health_constraint", "bad_back"),
        ("trainings", ("Joinery",)),
        ("trainings", ("a;b",)),
        ("region_id", ""),
        ("commune_code", "x" * 33),
        ("preferred_sectors", ("crafts",) * 7),
    ],
)
def test_invalid_fields_are_named(field, value):
    with pytest.raises(ValidationError) as info:
        make(**{field: value})
    assert any(loc.split(".")[0] == field for loc in error_locations(info.value))


@pytest.mark.parametrize(("age", "budget"), [(18, 0), (75, 1_000_000)])
def test_bounds_are_inclusive(age, budget):
    p = make(age=age, budget_mad=budget)
    assert (p.age, p.budget_mad) == (age, budget)


def test_beneficiary_id_max_length():
    assert make(beneficiary_id="x" * 64).beneficiary_id == "x" * 64


def test_extra_fields_are_forbidden():
    with pytest.raises(ValidationError) as info:
        make(name="Ahmed")
    assert "name" in error_locations(info.value)


def test_profile_is_frozen():
    p = make()
    with pytest.raises(ValidationError):
        p.age = 40
    assert p.model_copy(update={"age": 40}).age == 40


@pytest.mark.parametrize(
    ("years", "ok"),
    [(0, True), (60, True), (2.5, True), (-0.1, False), (61, False), (math.inf, False)],
)
def test_experience_years(years, ok):
    if ok:
        assert Experience(trade_id="joinery", years=years).years == years
    else:
        with pytest.raises(ValidationError):
            Experience(trade_id="joinery", years=years)


def test_experience_from_dicts():
    p = make(experience=[{"trade_id": "joinery", "years": 3}])
    assert p.experience == (Experience(trade_id="joinery", years=3.0),)
    with pytest.raises(ValidationError):
        make(experience=[{"trade_id": "joinery", "years": 3, "employer": "x"}])


def test_json_round_trip():
    p = make(
        trainings=["joinery"],
        experience=[{"trade_id": "joinery", "years": 2.5}],
        preferred_sectors=["crafts"],
        health_constraint="no_heavy_work",
        commune_code="01.511.01.0",
    )
    assert Profile.model_validate_json(p.model_dump_json()) == p
    assert p.model_dump(mode="json")["experience"] == [{"trade_id": "joinery", "years": 2.5}]
