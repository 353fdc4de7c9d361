"""A table of profiles checked against the profile rules, vectorised, row by row.

:func:`validate_profiles` turns a frame of text cells into the *canonical profile
frame* (typed columns; lists as normalised ``a;b`` strings) plus a *rejects* frame with
one line per bad row, naming every broken rule. No row is ever dropped silently: each
input row is either valid or rejected. The rules, bounds and messages are those of
:mod:`matcher.contract.profile_rules`, so a file row and an API profile are refused
for the same field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from matcher.contract import columns as c
from matcher.contract.profile_rules import (
    AGE_MAX,
    AGE_MESSAGE,
    AGE_MIN,
    BENEFICIARY_ID_PATTERN,
    BUDGET_MAX_MAD,
    BUDGET_MESSAGE,
    BUDGET_MIN_MAD,
    EXPERIENCE_YEARS_MAX,
    ID_MESSAGE,
    YEARS_MESSAGE,
    Catalogue,
    Profile,
    budget_problem,
    check_profile,
    experience_problem,
    profile_to_row,
    unknown_items,
)
from matcher.contract.tables import (
    MALFORMED,
    join_experience,
    join_list,
    parse_experience,
    split_list,
)
from matcher.contract.vocabulary import EDUCATION_LEVELS
from matcher.errors import DataSchemaError

REJECT_COLUMNS = [c.ROW_NUMBER, c.BENEFICIARY_ID, c.ERROR]


def require_columns(columns: Iterable[str], required: Iterable[str], *, what: str) -> None:
    """Raise :class:`DataSchemaError` naming the required columns missing."""
    names = list(columns)
    present = set(names)
    missing = sorted(set(required) - present)
    if missing:
        hint = ""
        if len(names) == 1:
            hint = (
                f" (the header was read as one column, {names[0][:60]!r}: columns must be "
                "separated by ',', ';' or a tab)"
            )
        raise DataSchemaError(
            f"{what} lacks required column(s): {', '.join(missing)}{hint}",
            details={"missing_columns": missing},
        )


@dataclass
class _Checks:
    """The text cells of a frame and the error messages collected against them."""

    frame: pd.DataFrame
    errors: list[pd.Series] = field(default_factory=list)

    def col(self, name: str) -> pd.Series:
        if name in self.frame.columns:
            return self.frame[name].astype("str").fillna("").str.strip()
        return pd.Series([""] * len(self.frame), index=self.frame.index, dtype="str")

    def rule(self, mask: pd.Series, message: str | pd.Series) -> None:
        index = self.frame.index
        if isinstance(message, str):
            self.errors.append(
                pd.Series(np.where(mask.to_numpy(), message, ""), index=index, dtype="str")
            )
        else:
            self.errors.append(message.where(mask, "").astype("str"))

    def message(self) -> pd.Series:
        """Every broken rule of each row, joined with ``; `` (empty when valid)."""
        out = pd.Series([""] * len(self.frame), index=self.frame.index, dtype="str")
        for err in self.errors:
            out = out.where(err == "", np.where(out == "", err, out + "; " + err))
        return out


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


def _list_checker(known: set[str], name: str, what: str) -> Callable[[str], tuple[str, str]]:
    def check(cell: str) -> tuple[str, str]:
        items = list(dict.fromkeys(split_list(cell)))
        problem = unknown_items(items, known, what)
        return ("", f"{name}: {problem}") if problem else (join_list(items), "")

    return check


def _experience_checker(known: set[str]) -> Callable[[str], tuple[str, str]]:
    def check(cell: str) -> tuple[str, str]:
        try:
            items = parse_experience(cell)
        except ValueError as exc:
            return "", f"experience: {exc}"
        trades = [t for t, _ in items]
        if problem := unknown_items(trades, known, "trade"):
            return "", f"experience: {problem}"
        if len(set(trades)) != len(trades):
            return "", "experience: a trade is listed twice"
        if any(y > EXPERIENCE_YEARS_MAX for _, y in items):
            return "", f"experience: {YEARS_MESSAGE}"
        return join_experience(items), ""

    return check


def _person_columns(checks: _Checks, *, unique_ids: bool) -> dict[str, pd.Series]:
    """Identity, age, sex, milieu, education and health: rules without the catalogue."""
    ids = checks.col(c.BENEFICIARY_ID)
    checks.rule(~ids.str.fullmatch(BENEFICIARY_ID_PATTERN), f"beneficiary_id: {ID_MESSAGE}")
    if unique_ids:
        checks.rule(
            ids.duplicated(keep="first") & (ids != ""),
            "beneficiary_id: duplicate of an earlier row",
        )
    sex = checks.col(c.SEX).str.upper()
    checks.rule(~sex.isin(["F", "M"]), "sex: must be F or M")
    age = pd.to_numeric(checks.col(c.AGE), errors="coerce")
    bad_age = age.isna() | (age % 1 != 0) | (age < AGE_MIN) | (age > AGE_MAX)
    checks.rule(bad_age, "age: " + checks.col(c.AGE) + f" {AGE_MESSAGE}")
    milieu = checks.col(c.MILIEU).str.lower()
    checks.rule(~milieu.isin(["urban", "rural"]), "milieu: must be urban or rural")
    education = checks.col(c.EDUCATION_LEVEL).str.lower()
    checks.rule(
        ~education.isin(EDUCATION_LEVELS),
        "education_level: must be one of " + ", ".join(EDUCATION_LEVELS),
    )
    health = checks.col(c.HEALTH_CONSTRAINT).str.lower().replace("", "none")
    checks.rule(
        ~health.isin(["none", "no_heavy_work"]), "health_constraint: must be none or no_heavy_work"
    )
    budget = pd.to_numeric(checks.col(c.BUDGET_MAD), errors="coerce")
    finite = np.isfinite(budget.fillna(0))
    bad_budget = budget.isna() | ~finite | (budget < 0) | (budget > BUDGET_MAX_MAD)
    checks.rule(
        bad_budget, "budget_mad: " + checks.col(c.BUDGET_MAD).map(repr) + f" {BUDGET_MESSAGE}"
    )
    implausible = ~bad_budget & (budget > 0) & (budget < BUDGET_MIN_MAD)
    checks.rule(implausible, "budget_mad: " + budget.map(budget_problem).astype("str"))
    return {
        c.BENEFICIARY_ID: ids,
        c.SEX: sex,
        c.AGE: age,
        c.MILIEU: milieu,
        c.EDUCATION_LEVEL: education,
        c.HEALTH_CONSTRAINT: health,
        c.BUDGET_MAD: budget,
    }


def _catalogue_columns(checks: _Checks, reference: Catalogue) -> dict[str, pd.Series]:
    """Region, trades, experience, sectors and commune: rules that need the catalogue."""
    region = checks.col(c.REGION_ID)
    checks.rule(
        ~region.isin(list(reference.region_ids)), "region_id: unknown region " + region.map(repr)
    )
    known_trades = set(reference.trade_ids)
    trainings, err = _by_unique(
        checks.col(c.TRAININGS), _list_checker(known_trades, "trainings", "trade")
    )
    checks.errors.append(err)
    experience, err = _by_unique(checks.col(c.EXPERIENCE), _experience_checker(known_trades))
    checks.errors.append(err)
    sectors, err = _by_unique(
        checks.col(c.PREFERRED_SECTORS),
        _list_checker(set(reference.sector_ids), "preferred_sectors", "sector"),
    )
    checks.errors.append(err)
    commune = checks.col(c.COMMUNE_CODE)
    commune_region = reference.commune_region()
    if commune_region:
        mapped = commune.map(commune_region)
        checks.rule(
            (commune != "") & mapped.isna(), "commune_code: unknown commune " + commune.map(repr)
        )
        checks.rule(
            (commune != "") & mapped.notna() & (mapped != region),
            "commune_code: " + commune.map(repr) + " does not lie in region " + region,
        )
    return {
        c.REGION_ID: region,
        c.TRAININGS: trainings,
        c.EXPERIENCE: experience,
        c.PREFERRED_SECTORS: sectors,
        c.COMMUNE_CODE: commune,
    }


def _plausibility(checks: _Checks, typed: dict[str, pd.Series]) -> None:
    """Rules across fields: years of experience against age (once per distinct pair)."""
    age, experience = typed[c.AGE], typed[c.EXPERIENCE]
    valid_age = age.notna() & (age % 1 == 0) & (age >= AGE_MIN) & (age <= AGE_MAX)
    usable = valid_age & (experience != "")
    if not usable.any():
        return
    pairs = pd.DataFrame({"age": age[usable], "experience": experience[usable]})
    distinct = pairs.drop_duplicates()
    problems = {
        (a, e): experience_problem(float(a), parse_experience(e))
        for a, e in zip(distinct["age"], distinct["experience"], strict=True)
    }
    message = pd.Series("", index=checks.frame.index, dtype="str")
    message[usable] = [
        problems[(a, e)] for a, e in zip(pairs["age"], pairs["experience"], strict=True)
    ]
    checks.rule(message != "", "experience: " + message)


def validate_profiles(
    frame: pd.DataFrame,
    reference: Catalogue,
    *,
    unique_ids: bool = True,
    first_row_number: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split a text frame into valid canonical profiles and rejected rows.

    Parameters
    ----------
    frame : pandas.DataFrame
        Text cells as read by :func:`matcher.contract.tables.read_table`; extra
        columns are kept untouched on the valid rows.
    reference : Catalogue
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
    index = frame.index
    if first_row_number is None:
        row_numbers = pd.Series(np.asarray(index) + 1, index=index, dtype="int64")
    else:
        start = first_row_number
        row_numbers = pd.Series(np.arange(start, start + len(frame)), index=index)
    checks = _Checks(frame)
    typed = _person_columns(checks, unique_ids=unique_ids) | _catalogue_columns(checks, reference)
    _plausibility(checks, typed)
    message = checks.message()
    if MALFORMED in frame.columns:
        # a row whose fields do not line up with the header: its cells mean nothing
        shape = frame[MALFORMED].astype("str").fillna("")
        message = message.where(shape == "", "row: " + shape)
    bad = message != ""
    rejects = pd.DataFrame(
        {
            c.ROW_NUMBER: row_numbers[bad],
            c.BENEFICIARY_ID: typed[c.BENEFICIARY_ID][bad],
            c.ERROR: message[bad],
        },
        columns=REJECT_COLUMNS,
    ).reset_index(drop=True)
    ok = ~bad
    valid = frame.loc[ok].drop(columns=[MALFORMED], errors="ignore")
    for name in c.PROFILE_COLUMNS:
        valid[name] = typed[name][ok]
    valid[c.AGE] = valid[c.AGE].astype("int64")
    valid[c.BUDGET_MAD] = valid[c.BUDGET_MAD].astype("float64")
    valid[c.ROW_NUMBER] = row_numbers[ok]
    return valid.reset_index(drop=True), rejects


def profiles_frame(profiles: Iterable[Profile], reference: Catalogue) -> pd.DataFrame:
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
