"""The shipped data follow CONTRACT sections 1, 2 and 4 exactly.

Read with plain ``csv``/pandas, independently of matcher's own loaders, so a
loader bug cannot hide a data bug (or the other way round).
"""

from __future__ import annotations

import csv
import re
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

DATA = Path(__file__).resolve().parents[2] / "data_samples"
REF = DATA / "reference"

SECTORS = {"catering", "crafts", "services", "commerce", "agriculture", "construction"}
LEVELS = ["none", "primary", "lower_secondary", "upper_secondary", "higher"]
SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
BENEFICIARY = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")

REGIONS_COLS = [
    "region_id",
    "name_fr",
    "name_ar",
    "name_en",
    "population",
    "urban_share",
    "unemployment_rate",
    "poverty_rate",
]
SECTORS_COLS = ["sector_id", "name_fr", "name_ar", "name_en"]
TRADES_COLS = ["trade_id", "name_fr", "name_ar", "name_en", "sector_id"]
TYPES_COLS = [
    "project_type_id",
    "name_fr",
    "name_ar",
    "name_en",
    "sector_id",
    "required_trades",
    "typical_cost_mad",
    "milieu",
    "physical_demand",
    "home_based",
    "min_education",
]
PROFILE_COLS = [
    "beneficiary_id",
    "sex",
    "age",
    "region_id",
    "milieu",
    "education_level",
    "trainings",
    "experience",
    "budget_mad",
    "preferred_sectors",
    "health_constraint",
    "commune_code",
]
HISTORY_COLS = [
    *PROFILE_COLS,
    "project_type_id",
    "funded_mad",
    "start_date",
    "active_12m",
    "monthly_income_mad",
]


def rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def number(cell: str, where: object = "") -> float:
    """A contract number: digits with ``.`` as the decimal mark."""
    assert NUMBER.match(cell), f"{where}: {cell!r} is not a number"
    return float(cell)


def whole(cell: str, where: object = "") -> int:
    assert re.fullmatch(r"\d+", cell), f"{where}: {cell!r} is not a whole number"
    return int(cell)


def items(cell: str) -> list[str]:
    """A contract list cell: ``a;b;c``, empty cell = empty list, no blank items."""
    if cell == "":
        return []
    parts = cell.split(";")
    assert all(p and p == p.strip() for p in parts), f"malformed list cell {cell!r}"
    return parts


@pytest.fixture(scope="module")
def regions():
    header, data = rows(REF / "regions.csv")
    return header, data


@pytest.fixture(scope="module")
def trades():
    return rows(REF / "trades.csv")


@pytest.fixture(scope="module")
def types():
    return rows(REF / "project_types.csv")


@pytest.fixture(scope="module")
def communes() -> dict[str, str]:
    path = REF / "local_profiles.csv"
    if not path.is_file():
        return {}
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    return dict(zip(frame["code"], frame["region_id"], strict=True))


def test_all_files_are_utf8():
    for path in [*REF.glob("*.csv"), *DATA.glob("*.csv")]:
        path.read_bytes().decode("utf-8")


def test_regions(regions):
    header, data = regions
    assert set(REGIONS_COLS) <= set(header)
    assert [r["region_id"] for r in data] == [f"MA-{i:02d}" for i in range(1, 13)]
    for r in data:
        assert all(r[col].strip() for col in ("name_fr", "name_ar", "name_en")), r
        assert whole(r["population"], r["region_id"]) > 0
        for col in ("urban_share", "unemployment_rate", "poverty_rate"):
            assert 0 <= number(r[col], (r["region_id"], col)) <= 1
    has_source_column = "source" in header and all(r["source"].strip() for r in data)
    assert has_source_column or (REF / "sources.md").is_file()


def test_sectors():
    header, data = rows(REF / "sectors.csv")
    assert set(SECTORS_COLS) <= set(header)
    assert {r["sector_id"] for r in data} == SECTORS
    assert len(data) == 6
    assert all(r[col].strip() for r in data for col in SECTORS_COLS)


def test_trades(trades):
    header, data = trades
    assert set(TRADES_COLS) <= set(header)
    ids = [r["trade_id"] for r in data]
    assert len(ids) >= 25
    assert len(set(ids)) == len(ids)
    assert all(SNAKE.match(t) for t in ids), [t for t in ids if not SNAKE.match(t)]
    assert {r["sector_id"] for r in data} <= SECTORS
    assert all(r[col].strip() for r in data for col in ("name_fr", "name_ar", "name_en"))


def test_project_types(types, trades):
    header, data = types
    assert set(TYPES_COLS) <= set(header)
    known_trades = {r["trade_id"] for r in trades[1]}
    ids = [r["project_type_id"] for r in data]
    assert len(ids) >= 30
    assert len(set(ids)) == len(ids)
    assert all(SNAKE.match(t) for t in ids)
    assert {r["sector_id"] for r in data} == SECTORS  # all six sectors
    for r in data:
        assert set(items(r["required_trades"])) <= known_trades, r["project_type_id"]
        assert number(r["typical_cost_mad"], r["project_type_id"]) > 0
        assert r["milieu"] in ("urban", "rural", "both")
        assert r["physical_demand"] in ("low", "medium", "high")
        assert r["home_based"] in ("true", "false")
        assert r["min_education"] in LEVELS
        assert all(r[col].strip() for col in ("name_fr", "name_ar", "name_en"))


def test_cost_levels_are_moroccan_micro_projects(types):
    costs = [float(r["typical_cost_mad"]) for r in types[1]]
    assert min(costs) >= 3_000
    assert max(costs) <= 300_000


def check_profile_rows(data, known_trades, region_ids, communes, what):
    ids = [r["beneficiary_id"] for r in data]
    for n, r in enumerate(data, start=1):
        where = f"{what} row {n}"
        assert BENEFICIARY.match(r["beneficiary_id"]), where
        assert r["sex"] in ("F", "M"), where
        assert 18 <= whole(r["age"], where) <= 75, where
        assert r["region_id"] in region_ids, where
        assert r["milieu"] in ("urban", "rural"), where
        assert r["education_level"] in LEVELS, where
        assert set(items(r["trainings"])) <= known_trades, where
        for item in items(r["experience"]):
            trade, _, years = item.partition(":")
            assert trade in known_trades, where
            assert number(years, where) >= 0, where
        assert number(r["budget_mad"], where) >= 0, where
        assert set(items(r["preferred_sectors"])) <= SECTORS, where
        assert r["health_constraint"] in ("", "none", "no_heavy_work"), where
        if r["commune_code"] and communes:
            assert communes.get(r["commune_code"]) == r["region_id"], where
    return ids


def test_cohort(regions, trades, communes):
    header, data = rows(DATA / "cohort.csv")
    assert header[: len(PROFILE_COLS)] == PROFILE_COLS
    assert len(data) >= 100
    region_ids = {r["region_id"] for r in regions[1]}
    known_trades = {r["trade_id"] for r in trades[1]}
    ids = check_profile_rows(data, known_trades, region_ids, communes, "cohort.csv")
    assert len(set(ids)) == len(ids)


def test_history(regions, trades, types, communes):
    header, data = rows(DATA / "history.csv")
    assert header[: len(HISTORY_COLS)] == HISTORY_COLS
    assert len(data) >= 1000
    region_ids = {r["region_id"] for r in regions[1]}
    known_trades = {r["trade_id"] for r in trades[1]}
    type_ids = {r["project_type_id"] for r in types[1]}
    check_profile_rows(data, known_trades, region_ids, communes, "history.csv")
    for n, r in enumerate(data, start=1):
        where = f"history.csv row {n}"
        assert r["project_type_id"] in type_ids, where
        assert number(r["funded_mad"], where) > 0, where
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", r["start_date"]), where
        date.fromisoformat(r["start_date"])
        assert r["active_12m"] in ("0", "1"), where
        if r["monthly_income_mad"]:
            assert number(r["monthly_income_mad"], where) >= 0, where
    assert {r["active_12m"] for r in data} == {"0", "1"}


def test_cohort_with_errors_plants_one_error_per_bad_row():
    header, data = rows(DATA / "cohort_with_errors.csv")
    assert header[: len(PROFILE_COLS)] == PROFILE_COLS
    assert header[-1] == "expected_error"
    planted = [r["expected_error"] for r in data if r["expected_error"]]
    assert set(planted) <= set(PROFILE_COLS)
    assert len(planted) >= 8
