"""Read and validate a history file (contract section 4) for training."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from matcher.contract import columns as c
from matcher.contract.profile_table import REJECT_COLUMNS, require_columns, validate_profiles
from matcher.contract.tables import read_table
from matcher.errors import TrainingDataError
from matcher.reference import Reference

MIN_ROWS = 50


def validate_history(
    frame: pd.DataFrame, reference: Reference
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split a history text frame into valid typed rows and rejects.

    Profile columns follow :func:`matcher.contract.profile_table.validate_profiles`; the outcome
    columns add: a known ``project_type_id``, ``funded_mad`` > 0, a
    ``YYYY-MM-DD`` ``start_date``, ``active_12m`` in {0, 1}, and an optional
    ``monthly_income_mad`` >= 0.
    """
    require_columns(frame.columns, c.HISTORY_REQUIRED, what="the history file")
    valid, rejects = validate_profiles(frame, reference, unique_ids=False)
    if valid.empty:
        return valid, rejects
    ptype = valid[c.PROJECT_TYPE_ID].astype("str").str.strip()
    funded = pd.to_numeric(valid[c.FUNDED_MAD], errors="coerce")
    start = pd.to_datetime(valid[c.START_DATE], format="%Y-%m-%d", errors="coerce")
    active = valid[c.ACTIVE_12M].astype("str").str.strip()
    income_text = (
        valid[c.MONTHLY_INCOME_MAD].astype("str").str.strip()
        if c.MONTHLY_INCOME_MAD in valid.columns
        else pd.Series([""] * len(valid), index=valid.index, dtype="str")
    )
    income = pd.to_numeric(income_text.replace("", np.nan), errors="coerce")
    checks = [
        (~ptype.isin(reference.project_types.index), "project_type_id: unknown project type"),
        (funded.isna() | (funded <= 0), "funded_mad: must be a number > 0"),
        (start.isna(), "start_date: must be a date YYYY-MM-DD"),
        (~active.isin(["0", "1"]), "active_12m: must be 0 or 1"),
        ((income_text != "") & (income.isna() | (income < 0)), "monthly_income_mad: >= 0"),
    ]
    message = pd.Series([""] * len(valid), index=valid.index, dtype="str")
    for mask, text in checks:
        message = message.where(~mask, np.where(message == "", text, message + "; " + text))
    bad = message != ""
    more = pd.DataFrame(
        {
            c.ROW_NUMBER: valid.loc[bad, c.ROW_NUMBER],
            c.BENEFICIARY_ID: valid.loc[bad, c.BENEFICIARY_ID],
            c.ERROR: message[bad],
        },
        columns=REJECT_COLUMNS,
    )
    ok = ~bad
    typed = valid.loc[ok].assign(
        **{
            c.PROJECT_TYPE_ID: ptype[ok],
            c.FUNDED_MAD: funded[ok].astype("float64"),
            c.START_DATE: start[ok],
            c.ACTIVE_12M: active[ok].astype("int64"),
            c.MONTHLY_INCOME_MAD: income[ok].astype("float64"),
        }
    )
    all_rejects = pd.concat([rejects, more], ignore_index=True).sort_values(c.ROW_NUMBER)
    return typed.reset_index(drop=True), all_rejects.reset_index(drop=True)


def load_history(path: Path | str, reference: Reference) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read and validate a history file; refuse one that cannot support training.

    Raises
    ------
    DataSchemaError
        Unreadable file or missing required column.
    TrainingDataError
        Fewer than ``MIN_ROWS`` valid rows, or a single outcome class.
    """
    valid, rejects = validate_history(read_table(path), reference)
    if len(valid) < MIN_ROWS:
        raise TrainingDataError(
            f"{path}: only {len(valid)} valid rows ({len(rejects)} rejected); "
            f"training needs at least {MIN_ROWS}"
        )
    if valid[c.ACTIVE_12M].nunique() < 2:
        raise TrainingDataError(f"{path}: active_12m has a single value; nothing to learn")
    return valid, rejects
