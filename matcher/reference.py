"""Load and validate the reference catalogue (contract section 1).

The catalogue is regions, sectors, trades and project types, plus an optional
``local_profiles.csv`` (census indicators by region, province and commune). A
catalogue from another team with only the contract's files works: local
indicators then fall back to the region's figures.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from matcher.contract import columns as c
from matcher.contract.eligibility import TypeRules
from matcher.contract.tables import split_list
from matcher.contract.vocabulary import EDUCATION_LEVELS, PHYSICAL_DEMANDS, SECTOR_IDS
from matcher.errors import ReferenceDataError

REFERENCE_FILES = ("regions.csv", "sectors.csv", "trades.csv", "project_types.csv")
OPTIONAL_FILES = ("local_profiles.csv", "centres.csv")
CENTRE_ID_PATTERN = r"^[a-z0-9_]{1,32}$"
"""A ``centre_id``: 1-32 lower-case letters, digits or ``_``."""
PROJECT_MILIEUX = ("urban", "rural", "both")
BOOLEAN_TEXT = {"true": True, "false": False, "1": True, "0": False}


@dataclass(frozen=True, eq=False)
class Reference:
    """The validated catalogue, each table indexed by its key.

    Attributes
    ----------
    regions, sectors, trades, project_types : pandas.DataFrame
        Contract tables indexed by ``region_id``, ``sector_id``, ``trade_id`` and
        ``project_type_id``. ``project_types.required_trades`` holds tuples.
    local_profiles : pandas.DataFrame
        Census indicators indexed by ``code`` (may be empty).
    fingerprint : str
        sha256 over the canonicalised files: a model is only used with the
        catalogue it was trained on. ``centres.csv`` is not part of it (who
        follows a person does not change what a model learnt), so adding or
        editing centres never invalidates a model version.
    centres : pandas.DataFrame
        The Foundation's centres indexed by ``centre_id`` (contract section 8),
        ``region_ids`` as tuples; empty when the catalogue ships none.
    """

    regions: pd.DataFrame
    sectors: pd.DataFrame
    trades: pd.DataFrame
    project_types: pd.DataFrame
    local_profiles: pd.DataFrame
    fingerprint: str
    source: str = field(default="")
    centres: pd.DataFrame = field(default_factory=lambda: _empty_centres())

    @cached_property
    def centre_ids(self) -> frozenset[str]:
        """Known centre ids."""
        return frozenset(str(i) for i in self.centres.index)

    @property
    def project_type_ids(self) -> list[str]:
        """Project type ids in catalogue order."""
        return [str(i) for i in self.project_types.index]

    @cached_property
    def region_ids(self) -> frozenset[str]:
        """Known region ids."""
        return frozenset(str(r) for r in self.regions.index)

    @cached_property
    def trade_ids(self) -> frozenset[str]:
        """Known trade ids."""
        return frozenset(str(t) for t in self.trades.index)

    @cached_property
    def sector_ids(self) -> frozenset[str]:
        """Known sector ids."""
        return frozenset(str(s) for s in self.sectors.index)

    @cached_property
    def names(self) -> dict[str, dict[str, str]]:
        """``{id: {"fr", "ar", "en"}}`` for project types, trades, sectors and regions."""
        out: dict[str, dict[str, str]] = {}
        for table in (self.regions, self.sectors, self.trades, self.project_types):
            for key, fr, ar, en in zip(
                table.index, table["name_fr"], table["name_ar"], table["name_en"], strict=True
            ):
                out[str(key)] = {"fr": str(fr), "ar": str(ar), "en": str(en)}
        return out

    @cached_property
    def type_cost(self) -> dict[str, float]:
        """Typical cost (MAD) of each project type."""
        return {
            str(k): float(v)
            for k, v in zip(
                self.project_types.index, self.project_types["typical_cost_mad"], strict=True
            )
        }

    @cached_property
    def type_sector(self) -> dict[str, str]:
        """Sector of each project type."""
        return {
            str(k): str(v)
            for k, v in zip(self.project_types.index, self.project_types["sector_id"], strict=True)
        }

    @cached_property
    def trade_sector(self) -> dict[str, str]:
        """Sector of each trade."""
        return {
            str(k): str(v) for k, v in zip(self.trades.index, self.trades["sector_id"], strict=True)
        }

    @cached_property
    def type_required_trades(self) -> dict[str, tuple[str, ...]]:
        """Required trades of each project type."""
        return {
            str(k): tuple(v)
            for k, v in zip(
                self.project_types.index, self.project_types["required_trades"], strict=True
            )
        }

    @cached_property
    def type_rules(self) -> TypeRules:
        """The project-type columns the eligibility rules read, as arrays."""
        return TypeRules.of(self.project_types)

    def commune_region(self) -> dict[str, str]:
        """Map each known commune (and province) code to its region_id."""
        return self._commune_region

    @cached_property
    def _commune_region(self) -> dict[str, str]:
        if self.local_profiles.empty:
            return {}
        lp = self.local_profiles
        return dict(zip(lp.index.astype(str), lp["region_id"].astype(str), strict=True))


def _fail(file: str, row: int | None, column: str | None, message: str) -> ReferenceDataError:
    where = file
    if row is not None:
        where += f", row {row}"
    if column is not None:
        where += f", column {column!r}"
    return ReferenceDataError(
        f"{where}: {message}", details={"file": file, "row": row, "column": column}
    )


def _read(directory: Path, name: str, required: tuple[str, ...]) -> pd.DataFrame:
    path = directory / name
    if not path.is_file():
        raise _fail(name, None, None, f"missing from {directory}")
    try:
        frame = pd.read_csv(path, dtype="str", keep_default_na=False, encoding="utf-8")
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise _fail(name, None, None, f"cannot be read: {exc}") from exc
    frame.columns = [str(col).strip() for col in frame.columns]
    missing = [col for col in required if col not in frame.columns]
    if missing:
        raise _fail(name, None, missing[0], "required column is missing")
    for col in required:
        blank = frame[col].str.strip() == ""
        allowed_blank = {"required_trades", "province_code", "name_ar"}
        if blank.any() and col not in allowed_blank:
            raise _fail(name, int(np.argmax(blank.to_numpy())) + 1, col, "empty value")
    return frame


def _unique_key(frame: pd.DataFrame, name: str, key: str) -> None:
    dup = frame[key].duplicated()
    if dup.any():
        row = int(np.argmax(dup.to_numpy())) + 1
        raise _fail(name, row, key, f"duplicate key {frame[key].iloc[row - 1]!r}")


def _numbers(
    frame: pd.DataFrame,
    name: str,
    col: str,
    *,
    low: float | None,
    high: float | None,
    strict_low: bool = False,
) -> pd.Series:
    values = pd.to_numeric(frame[col], errors="coerce")
    bad = values.isna()
    if low is not None:
        bad |= values <= low if strict_low else values < low
    if high is not None:
        bad |= values > high
    if bad.any():
        row = int(np.argmax(bad.to_numpy())) + 1
        bound = f"({'>' if strict_low else '>='} {low}" + (
            f", <= {high})" if high is not None else ")"
        )
        raise _fail(name, row, col, f"{frame[col].iloc[row - 1]!r} is not a number {bound}")
    return values.astype("float64")


def _enum(frame: pd.DataFrame, name: str, col: str, allowed: tuple[str, ...]) -> None:
    bad = ~frame[col].isin(allowed)
    if bad.any():
        row = int(np.argmax(bad.to_numpy())) + 1
        raise _fail(
            name,
            row,
            col,
            f"{frame[col].iloc[row - 1]!r} is not one of {', '.join(allowed)}",
        )


def _empty_centres() -> pd.DataFrame:
    frame = pd.DataFrame(columns=list(c.CENTRES_REQUIRED))
    return frame.set_index("centre_id", drop=False)


def _load_centres(directory: Path, region_ids: tuple[str, ...]) -> pd.DataFrame:
    """``centres.csv`` checked: ids, known regions, and every region served by a centre."""
    if not (directory / "centres.csv").is_file():
        return _empty_centres()
    name = "centres.csv"
    centres = _read(directory, name, c.CENTRES_REQUIRED)
    _unique_key(centres, name, "centre_id")
    served: set[str] = set()
    lists: list[tuple[str, ...]] = []
    for i, (centre_id, cell) in enumerate(
        zip(centres["centre_id"], centres["region_ids"], strict=True), start=1
    ):
        if not re.fullmatch(CENTRE_ID_PATTERN, centre_id):
            raise _fail(name, i, "centre_id", f"{centre_id!r} is not 1-32 of a-z, 0-9, _")
        items = tuple(split_list(cell))
        unknown = [r for r in items if r not in region_ids]
        if unknown or not items:
            what = f"unknown region {unknown[0]!r}" if unknown else "serves no region"
            raise _fail(name, i, "region_ids", what)
        served.update(items)
        lists.append(items)
    orphans = [r for r in region_ids if r not in served]
    if orphans:
        raise _fail(name, None, "region_ids", f"no centre serves region {orphans[0]!r}")
    centres = centres.assign(region_ids=pd.Series(lists, index=centres.index, dtype=object))
    return centres.set_index("centre_id", drop=False)


def _fingerprint(directory: Path, names: list[str]) -> str:
    digest = hashlib.sha256()
    for name in sorted(names):
        text = (directory / name).read_text(encoding="utf-8").replace("\r\n", "\n")
        canonical = "\n".join(line.rstrip() for line in text.strip().splitlines())
        digest.update(name.encode())
        digest.update(b"\0")
        digest.update(canonical.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def load_reference(directory: Path | str) -> Reference:
    """Load and validate a catalogue directory.

    Parameters
    ----------
    directory : Path or str
        Folder holding the contract's reference CSV files.

    Returns
    -------
    Reference

    Raises
    ------
    ReferenceDataError
        Naming the file, row (1 = first data row) and column at fault.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise ReferenceDataError(f"reference folder {directory} does not exist")

    regions = _read(directory, "regions.csv", c.REGIONS_REQUIRED)
    _unique_key(regions, "regions.csv", "region_id")
    regions = regions.assign(
        population=_numbers(regions, "regions.csv", "population", low=0, high=None),
        urban_share=_numbers(regions, "regions.csv", "urban_share", low=0, high=1),
        unemployment_rate=_numbers(regions, "regions.csv", "unemployment_rate", low=0, high=1),
        poverty_rate=_numbers(regions, "regions.csv", "poverty_rate", low=0, high=1),
    )

    sectors = _read(directory, "sectors.csv", c.SECTORS_REQUIRED)
    _unique_key(sectors, "sectors.csv", "sector_id")
    _enum(sectors, "sectors.csv", "sector_id", SECTOR_IDS)

    trades = _read(directory, "trades.csv", c.TRADES_REQUIRED)
    _unique_key(trades, "trades.csv", "trade_id")
    _enum(trades, "trades.csv", "sector_id", tuple(sectors["sector_id"]))

    types = _read(directory, "project_types.csv", c.PROJECT_TYPES_REQUIRED)
    _unique_key(types, "project_types.csv", "project_type_id")
    _enum(types, "project_types.csv", "sector_id", tuple(sectors["sector_id"]))
    _enum(types, "project_types.csv", "milieu", PROJECT_MILIEUX)
    _enum(types, "project_types.csv", "physical_demand", PHYSICAL_DEMANDS)
    _enum(types, "project_types.csv", "min_education", EDUCATION_LEVELS)
    home = types["home_based"].str.strip().str.lower()
    bad_home = ~home.isin(list(BOOLEAN_TEXT))
    if bad_home.any():
        row = int(np.argmax(bad_home.to_numpy())) + 1
        raise _fail("project_types.csv", row, "home_based", "expected true or false")
    known_trades = set(trades["trade_id"])
    required: list[tuple[str, ...]] = []
    for i, cell in enumerate(types["required_trades"], start=1):
        items = tuple(split_list(cell))
        unknown = [t for t in items if t not in known_trades]
        if unknown:
            raise _fail("project_types.csv", i, "required_trades", f"unknown trade {unknown[0]!r}")
        required.append(items)
    types = types.assign(
        typical_cost_mad=_numbers(
            types, "project_types.csv", "typical_cost_mad", low=0, high=None, strict_low=True
        ),
        home_based=home.map(BOOLEAN_TEXT).astype(bool),
        required_trades=pd.Series(required, index=types.index, dtype=object),
    )

    names = list(REFERENCE_FILES)
    local = pd.DataFrame(columns=list(c.LOCAL_PROFILES_REQUIRED))
    if (directory / "local_profiles.csv").is_file():
        local = _read(directory, "local_profiles.csv", c.LOCAL_PROFILES_REQUIRED)
        _unique_key(local, "local_profiles.csv", "code")
        _enum(local, "local_profiles.csv", "region_id", tuple(regions["region_id"]))
        numeric = {
            col: _numbers(local, "local_profiles.csv", col, low=0, high=1)
            for col in c.LOCAL_PROFILES_REQUIRED
            if col.endswith(("_share", "_rate"))
        }
        numeric |= {
            col: _numbers(local, "local_profiles.csv", col, low=0, high=None)
            for col in c.LOCAL_PROFILES_REQUIRED
            if col.endswith("_per_1000") or col == "population"
        }
        local = local.assign(**numeric)
        names.append("local_profiles.csv")

    return Reference(
        regions=regions.set_index("region_id", drop=False),
        sectors=sectors.set_index("sector_id", drop=False),
        trades=trades.set_index("trade_id", drop=False),
        project_types=types.set_index("project_type_id", drop=False),
        local_profiles=local.set_index("code", drop=False),
        fingerprint=_fingerprint(directory, names),
        source=str(directory),
        centres=_load_centres(directory, tuple(regions["region_id"])),
    )
