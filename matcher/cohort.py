"""Validate cohort and history rows against the contract, vectorised, row by row.

:func:`validate_profiles` turns a frame of text cells into the *canonical
profile frame* (typed columns; lists as normalised ``a;b`` strings) plus a
*rejects* frame with one line per bad row, naming every broken rule. No row is
ever dropped silently: each input row is either valid or rejected.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from matcher import columns as c
from matcher.domain import EDUCATION_LEVELS, Profile
from matcher.errors import DataSchemaError, InvalidProfileError
from matcher.reference import Reference
from matcher.tabular import join_experience, join_list, parse_experience, split_list

ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
REJECT_COLUMNS = [c.ROW_NUMBER, c.BENEFICIARY_ID, c.ERROR]


def require_columns(columns: Iterable[str], required: Iterable[str], *, what: str) -> None:
    """Raise :class:`DataSchemaError` naming the first required column missing."""
    present = set(columns)
    missing = sorted(set(required) - present)
    if missing:
        raise DataSchemaError(
            f"{what} lacks required column(s): {', '.join(missing)}",
            details={"missing_columns": missing},
        )


def _by_unique(
    series: pd.Series, func: Callable[[str], tuple[str, str]]
) -> tuple[pd.Series, pd.Series]:
    """Apply ``func(cell) -> (normalised, error)`` once per distinct value."""
    codes, uniques = pd.factorize(series, use_na_sentinel=False)
    results = [func(str(u)) for u in uniques]
    norm = np.array([r[0] for r in results], dtype=object)
    errs = np.array([r[1] for r in results], dtype=object)
    return (
        pd.Series(norm[codes], index=series.index, dtype="str"),
        pd.Series(errs[codes], index=series.index, dtype="str"),
    )


def _list_checker(known: set[str], field: str, what: str) -> Callable[[str], tuple[str, str]]:
    def check(cell: str) -> tuple[str, str]:
        items = list(dict.fromkeys(split_list(cell)))
        unknown = [i for i in items if i not in known]
        if unknown:
            return "", f"{field}: unknown {what} {', '.join(map(repr, unknown))}"
        return join_list(items), ""

    return check


def _experience_checker(known: set[str]) -> Callable[[str], tuple[str, str]]:
    def check(cell: str) -> tuple[str, str]:
        try:
            items = parse_experience(cell)
        except ValueError as exc:
            return "", f"experience: {exc}"
        trades = [t for t, _ in items]
        unknown = [t for t in trades if t not in known]
        if unknown:
            return "", f"experience: unknown trade {', '.join(map(repr, unknown))}"
        if len(set(trades)) != len(trades):
            return "", "experience: a trade is listed twice"
        if any(y > 60 for _, y in items):
            return "", "experience: years must be at most 60"
        return join_experience(items), ""

    return check


def validate_profiles(
    frame: pd.DataFrame,
    reference: Reference,
    *,
    unique_ids: bool = True,
    first_row_number: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split a text frame into valid canonical profiles and rejected rows.

    Parameters
    ----------
    frame : pandas.DataFrame
        Text cells as read by :func:`matcher.tabular.read_table`; extra columns
        are kept untouched on the valid rows.
    reference : Reference
        The catalogue that defines known regions, trades, sectors and communes.
    unique_ids : bool
        Reject a ``beneficiary_id`` seen on an earlier row (cohort files).
    first_row_number : int, optional
        Row number of the first row; defaults to ``frame.index + 1``.

    Returns
    -------
    (valid, rejects) : tuple of pandas.DataFrame
        ``valid`` has the contract columns typed plus ``row_number``;
        ``rejects`` has ``row_number``, ``beneficiary_id`` and ``error``.

    Raises
    ------
    DataSchemaError
        If a required column is missing.
    """
    require_columns(frame.columns, c.PROFILE_REQUIRED, what="the file")
    n = len(frame)
    index = frame.index
    if first_row_number is None:
        row_numbers = pd.Series(np.asarray(index) + 1, index=index, dtype="int64")
    else:
        row_numbers = pd.Series(np.arange(first_row_number, first_row_number + n), index=index)

    def col(name: str) -> pd.Series:
        if name in frame.columns:
            return frame[name].astype("str").fillna("").str.strip()
        return pd.Series([""] * n, index=index, dtype="str")

    errors: list[pd.Series] = []

    def rule(mask: pd.Series, message: str | pd.Series) -> None:
        if isinstance(message, str):
            errors.append(
                pd.Series(np.where(mask.to_numpy(), message, ""), index=index, dtype="str")
            )
        else:
            errors.append(message.where(mask, "").astype("str"))

    ids = col(c.BENEFICIARY_ID)
    rule(
        ~ids.str.fullmatch(ID_RE.pattern),
        "beneficiary_id: must be 1-64 of A-Za-z0-9_- (a pseudonym)",
    )
    if unique_ids:
        dup = ids.duplicated(keep="first") & (ids != "")
        rule(dup, "beneficiary_id: duplicate of an earlier row")

    sex = col(c.SEX).str.upper()
    rule(~sex.isin(["F", "M"]), "sex: must be F or M")

    age_num = pd.to_numeric(col(c.AGE), errors="coerce")
    bad_age = age_num.isna() | (age_num % 1 != 0) | (age_num < 18) | (age_num > 75)
    rule(bad_age, "age: " + col(c.AGE) + " is not a whole number from 18 to 75")

    region = col(c.REGION_ID)
    rule(~region.isin(reference.regions.index), "region_id: unknown region " + region.map(repr))

    milieu = col(c.MILIEU).str.lower()
    rule(~milieu.isin(["urban", "rural"]), "milieu: must be urban or rural")

    education = col(c.EDUCATION_LEVEL).str.lower()
    rule(
        ~education.isin(EDUCATION_LEVELS),
        "education_level: must be one of " + ", ".join(EDUCATION_LEVELS),
    )

    budget = pd.to_numeric(col(c.BUDGET_MAD), errors="coerce")
    bad_budget = budget.isna() | ~np.isfinite(budget.fillna(0)) | (budget < 0)
    rule(bad_budget, "budget_mad: " + col(c.BUDGET_MAD).map(repr) + " is not a number >= 0")

    known_trades = set(reference.trades.index)
    trainings, err = _by_unique(col(c.TRAININGS), _list_checker(known_trades, "trainings", "trade"))
    errors.append(err)
    experience, err = _by_unique(col(c.EXPERIENCE), _experience_checker(known_trades))
    errors.append(err)
    sectors, err = _by_unique(
        col(c.PREFERRED_SECTORS),
        _list_checker(set(reference.sectors.index), "preferred_sectors", "sector"),
    )
    errors.append(err)

    health = col(c.HEALTH_CONSTRAINT).str.lower().replace("", "none")
    rule(
        ~health.isin(["none", "no_heavy_work"]), "health_constraint: must be none or no_heavy_work"
    )

    commune = col(c.COMMUNE_CODE)
    commune_region = reference.commune_region()
    if commune_region:
        mapped = commune.map(commune_region)
        unknown_commune = (commune != "") & mapped.isna()
        rule(unknown_commune, "commune_code: unknown commune " + commune.map(repr))
        outside = (commune != "") & mapped.notna() & (mapped != region)
        rule(outside, "commune_code: " + commune.map(repr) + " does not lie in region " + region)

    message = pd.Series([""] * n, index=index, dtype="str")
    for err_series in errors:
        message = message.where(
            err_series == "", np.where(message == "", err_series, message + "; " + err_series)
        )
    bad = message != ""

    rejects = pd.DataFrame(
        {c.ROW_NUMBER: row_numbers[bad], c.BENEFICIARY_ID: ids[bad], c.ERROR: message[bad]},
        columns=REJECT_COLUMNS,
    ).reset_index(drop=True)

    ok = ~bad
    valid = frame.loc[ok].copy()
    typed = {
        c.BENEFICIARY_ID: ids[ok],
        c.SEX: sex[ok],
        c.AGE: age_num[ok].astype("int64"),
        c.REGION_ID: region[ok],
        c.MILIEU: milieu[ok],
        c.EDUCATION_LEVEL: education[ok],
        c.TRAININGS: trainings[ok],
        c.EXPERIENCE: experience[ok],
        c.BUDGET_MAD: budget[ok].astype("float64"),
        c.PREFERRED_SECTORS: sectors[ok],
        c.HEALTH_CONSTRAINT: health[ok],
        c.COMMUNE_CODE: commune[ok],
    }
    for name, values in typed.items():
        valid[name] = values
    valid[c.ROW_NUMBER] = row_numbers[ok]
    return valid.reset_index(drop=True), rejects


def profile_to_row(profile: Profile) -> dict[str, object]:
    """Write a profile as one row of the canonical profile frame."""
    return {
        c.BENEFICIARY_ID: profile.beneficiary_id,
        c.SEX: profile.sex.value,
        c.AGE: profile.age,
        c.REGION_ID: profile.region_id,
        c.MILIEU: profile.milieu.value,
        c.EDUCATION_LEVEL: profile.education_level.value,
        c.TRAININGS: join_list(list(dict.fromkeys(profile.trainings))),
        c.EXPERIENCE: join_experience((e.trade_id, e.years) for e in profile.experience),
        c.BUDGET_MAD: float(profile.budget_mad),
        c.PREFERRED_SECTORS: join_list(list(dict.fromkeys(profile.preferred_sectors))),
        c.HEALTH_CONSTRAINT: profile.health_constraint.value,
        c.COMMUNE_CODE: profile.commune_code or "",
    }


def check_profile(profile: Profile, reference: Reference) -> None:
    """Check a schema-valid profile against the catalogue (one person, fast path).

    The same rules as :func:`validate_profiles` that need the catalogue: known
    region, trades and sectors, and a commune that lies in the region.

    Raises
    ------
    InvalidProfileError
        Naming the field at fault (e.g. ``profile.region_id``).
    """

    def fail(field: str, message: str) -> InvalidProfileError:
        return InvalidProfileError(f"{field}: {message}", details={"field": f"profile.{field}"})

    if profile.region_id not in reference.region_ids:
        raise fail("region_id", f"unknown region {profile.region_id!r}")
    unknown = [t for t in profile.trainings if t not in reference.trade_ids]
    if unknown:
        raise fail("trainings", f"unknown trade {', '.join(map(repr, unknown))}")
    trades = [e.trade_id for e in profile.experience]
    unknown = [t for t in trades if t not in reference.trade_ids]
    if unknown:
        raise fail("experience", f"unknown trade {', '.join(map(repr, unknown))}")
    if len(set(trades)) != len(trades):
        raise fail("experience", "a trade is listed twice")
    unknown = [s for s in profile.preferred_sectors if s not in reference.sector_ids]
    if unknown:
        raise fail("preferred_sectors", f"unknown sector {', '.join(map(repr, unknown))}")
    if profile.commune_code:
        communes = reference.commune_region()
        if communes:
            region = communes.get(profile.commune_code)
            if region is None:
                raise fail("commune_code", f"unknown commune {profile.commune_code!r}")
            if region != profile.region_id:
                raise fail(
                    "commune_code",
                    f"{profile.commune_code!r} does not lie in region {profile.region_id}",
                )


def profiles_frame(profiles: Iterable[Profile], reference: Reference) -> pd.DataFrame:
    """Check profiles against the catalogue and return the canonical frame.

    Raises
    ------
    InvalidProfileError
        Naming the field at fault (e.g. ``profile.region_id``).
    """
    rows = []
    for profile in profiles:
        check_profile(profile, reference)
        rows.append(profile_to_row(profile))
    frame = pd.DataFrame(rows, columns=list(c.PROFILE_COLUMNS))
    for name in c.PROFILE_COLUMNS:
        if name not in (c.AGE, c.BUDGET_MAD):
            frame[name] = frame[name].astype("str")
    frame[c.AGE] = frame[c.AGE].astype("int64")
    frame[c.BUDGET_MAD] = frame[c.BUDGET_MAD].astype("float64")
    frame[c.ROW_NUMBER] = np.arange(1, len(frame) + 1, dtype=np.int64)
    return frame
