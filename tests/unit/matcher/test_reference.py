"""Tests of matcher.reference: loading, fingerprint, and errors that point at the cell."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from matcher.domain import SECTOR_IDS
from matcher.errors import ReferenceDataError
from matcher.reference import load_reference

REFERENCE_DIR = Path(__file__).resolve().parents[3] / "data_samples" / "reference"
CONTRACT_FILES = ("regions.csv", "sectors.csv", "trades.csv", "project_types.csv")


@pytest.fixture
def catalogue(tmp_path) -> Path:
    """A copy of the contract files (without the optional local profiles)."""
    target = tmp_path / "reference"
    target.mkdir()
    for name in CONTRACT_FILES:
        shutil.copy(REFERENCE_DIR / name, target / name)
    return target


def edit(folder: Path, name: str, change) -> None:
    path = folder / name
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame = change(frame)
    frame.to_csv(path, index=False)


def set_cell(folder: Path, name: str, row: int, column: str, value: str) -> None:
    """Set a cell; ``row`` counts data rows from 1."""

    def change(frame):
        frame.loc[row - 1, column] = value
        return frame

    edit(folder, name, change)


def test_shipped_catalogue_loads(reference):
    assert len(reference.regions) == 12
    assert set(reference.sectors.index) == set(SECTOR_IDS)
    assert len(reference.trades) >= 25
    assert len(reference.project_types) >= 30
    assert reference.project_type_ids == list(
        pd.read_csv(REFERENCE_DIR / "project_types.csv", dtype=str)["project_type_id"]
    )
    required = reference.project_types.loc["snack_bar", "required_trades"]
    assert required == ("cooking_catering", "bakery_pastry")
    assert reference.project_types.loc["mobile_coffee_kiosk", "required_trades"] == ()
    assert reference.project_types["typical_cost_mad"].dtype == "float64"
    assert reference.project_types["home_based"].dtype == bool
    assert not reference.local_profiles.empty
    assert reference.commune_region()["MA-01"] == "MA-01"
    assert len(reference.fingerprint) == 64


def test_fingerprint_is_stable(reference, catalogue):
    shutil.copy(REFERENCE_DIR / "local_profiles.csv", catalogue / "local_profiles.csv")
    assert load_reference(catalogue).fingerprint == reference.fingerprint
    assert load_reference(REFERENCE_DIR).fingerprint == reference.fingerprint


def test_fingerprint_ignores_line_endings(catalogue):
    before = load_reference(catalogue).fingerprint
    path = catalogue / "sectors.csv"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    assert load_reference(catalogue).fingerprint == before


def test_fingerprint_changes_when_a_file_changes(catalogue):
    before = load_reference(catalogue).fingerprint
    set_cell(catalogue, "project_types.csv", 1, "typical_cost_mad", "46000")
    after = load_reference(catalogue).fingerprint
    assert after != before
    set_cell(catalogue, "project_types.csv", 1, "typical_cost_mad", "45000")
    assert load_reference(catalogue).fingerprint == before


def test_fingerprint_covers_local_profiles(catalogue):
    without = load_reference(catalogue).fingerprint
    shutil.copy(REFERENCE_DIR / "local_profiles.csv", catalogue / "local_profiles.csv")
    assert load_reference(catalogue).fingerprint != without


def test_works_without_local_profiles(catalogue):
    ref = load_reference(catalogue)
    assert ref.local_profiles.empty
    assert ref.commune_region() == {}
    assert len(ref.project_types) >= 30


def expect_error(folder: Path, file: str, row: int | None, column: str | None, match: str):
    with pytest.raises(ReferenceDataError, match=match) as info:
        load_reference(folder)
    assert info.value.details == {"file": file, "row": row, "column": column}
    assert str(info.value).startswith(file)
    if row is not None:
        assert f"row {row}" in str(info.value)
    if column is not None:
        assert repr(column) in str(info.value)
    return info.value


def test_unknown_sector_in_trades(catalogue):
    set_cell(catalogue, "trades.csv", 3, "sector_id", "tourism")
    expect_error(catalogue, "trades.csv", 3, "sector_id", "'tourism' is not one of")


def test_zero_cost_in_project_types(catalogue):
    set_cell(catalogue, "project_types.csv", 5, "typical_cost_mad", "0")
    expect_error(catalogue, "project_types.csv", 5, "typical_cost_mad", "is not a number")


def test_non_numeric_cost_in_project_types(catalogue):
    set_cell(catalogue, "project_types.csv", 2, "typical_cost_mad", "cheap")
    expect_error(catalogue, "project_types.csv", 2, "typical_cost_mad", "'cheap'")


def test_unknown_required_trade(catalogue):
    set_cell(catalogue, "project_types.csv", 4, "required_trades", "bakery_pastry;astronaut")
    expect_error(catalogue, "project_types.csv", 4, "required_trades", "unknown trade 'astronaut'")


def test_duplicate_key(catalogue):
    set_cell(catalogue, "project_types.csv", 6, "project_type_id", "snack_bar")
    expect_error(catalogue, "project_types.csv", 6, "project_type_id", "duplicate key 'snack_bar'")


def test_duplicate_region(catalogue):
    set_cell(catalogue, "regions.csv", 2, "region_id", "MA-01")
    expect_error(catalogue, "regions.csv", 2, "region_id", "duplicate key")


@pytest.mark.parametrize(
    ("file", "column"),
    [
        ("project_types.csv", "min_education"),
        ("trades.csv", "sector_id"),
        ("regions.csv", "poverty_rate"),
        ("sectors.csv", "name_en"),
    ],
)
def test_missing_column(catalogue, file, column):
    edit(catalogue, file, lambda f: f.drop(columns=[column]))
    expect_error(catalogue, file, None, column, "required column is missing")


@pytest.mark.parametrize(
    ("column", "value", "match"),
    [
        ("milieu", "suburban", "'suburban' is not one of"),
        ("physical_demand", "extreme", "'extreme' is not one of"),
        ("min_education", "phd", "'phd' is not one of"),
        ("home_based", "maybe", "expected true or false"),
        ("sector_id", "tourism", "'tourism' is not one of"),
    ],
)
def test_bad_enum_in_project_types(catalogue, column, value, match):
    set_cell(catalogue, "project_types.csv", 7, column, value)
    expect_error(catalogue, "project_types.csv", 7, column, match)


def test_rate_outside_zero_one(catalogue):
    set_cell(catalogue, "regions.csv", 4, "unemployment_rate", "1.5")
    expect_error(catalogue, "regions.csv", 4, "unemployment_rate", "is not a number")


def test_blank_required_cell(catalogue):
    set_cell(catalogue, "trades.csv", 2, "name_fr", " ")
    expect_error(catalogue, "trades.csv", 2, "name_fr", "empty value")


def test_missing_file(catalogue):
    (catalogue / "sectors.csv").unlink()
    expect_error(catalogue, "sectors.csv", None, None, "missing from")


def test_missing_folder(tmp_path):
    with pytest.raises(ReferenceDataError, match="does not exist"):
        load_reference(tmp_path / "nowhere")


def test_local_profile_in_unknown_region(catalogue):
    shutil.copy(REFERENCE_DIR / "local_profiles.csv", catalogue / "local_profiles.csv")
    set_cell(catalogue, "local_profiles.csv", 20, "region_id", "MA-13")
    expect_error(catalogue, "local_profiles.csv", 20, "region_id", "'MA-13' is not one of")
