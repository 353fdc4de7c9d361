"""History validation (contract section 4): typed rows, rejects with messages, refusals."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from matcher.errors import DataSchemaError, TrainingDataError
from matcher.reference import Reference
from training.history import MIN_ROWS, load_history, validate_history

DATA = Path(__file__).resolve().parents[3] / "data_samples"


@pytest.fixture(scope="module")
def shipped() -> pd.DataFrame:
    return pd.read_csv(DATA / "history.csv", dtype="str", keep_default_na=False)


@pytest.fixture
def rows(shipped: pd.DataFrame) -> pd.DataFrame:
    return shipped.head(12).copy()


def message_of(rejects: pd.DataFrame, row_number: int) -> str:
    return str(rejects.set_index("row_number").loc[row_number, "error"])


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("project_type_id", "space_tourism", "project_type_id: unknown project type"),
        ("funded_mad", "0", "funded_mad: must be a number > 0"),
        ("funded_mad", "-1500", "funded_mad: must be a number > 0"),
        ("funded_mad", "lots", "funded_mad: must be a number > 0"),
        ("start_date", "2023-02-30", "start_date: must be a date YYYY-MM-DD"),
        ("start_date", "05/03/2023", "start_date: must be a date YYYY-MM-DD"),
        ("start_date", "", "start_date: must be a date YYYY-MM-DD"),
        ("active_12m", "2", "active_12m: must be 0 or 1"),
        ("active_12m", "yes", "active_12m: must be 0 or 1"),
        ("active_12m", "", "active_12m: must be 0 or 1"),
        ("monthly_income_mad", "-10", "monthly_income_mad: >= 0"),
        ("age", "17", "age:"),
        ("region_id", "MA-99", "region_id: unknown region"),
    ],
)
def test_a_bad_value_rejects_its_row_with_a_message(
    rows: pd.DataFrame, reference: Reference, column: str, value: str, message: str
) -> None:
    rows.loc[3, column] = value
    valid, rejects = validate_history(rows, reference)
    assert rejects["row_number"].tolist() == [4]
    assert message in message_of(rejects, 4)
    assert rejects["beneficiary_id"].tolist() == [rows.loc[3, "beneficiary_id"]]
    assert len(valid) == len(rows) - 1
    assert rows.loc[3, "beneficiary_id"] not in set(valid["beneficiary_id"])


def test_several_problems_on_one_row_are_all_named(
    rows: pd.DataFrame, reference: Reference
) -> None:
    rows.loc[0, ["project_type_id", "funded_mad", "active_12m"]] = ["nope", "0", "7"]
    _, rejects = validate_history(rows, reference)
    message = message_of(rejects, 1)
    assert message.split("; ") == [
        "project_type_id: unknown project type",
        "funded_mad: must be a number > 0",
        "active_12m: must be 0 or 1",
    ]


def test_rejects_keep_file_order_across_profile_and_outcome_errors(
    rows: pd.DataFrame, reference: Reference
) -> None:
    rows.loc[8, "sex"] = "X"
    rows.loc[2, "active_12m"] = "2"
    rows.loc[5, "start_date"] = "tomorrow"
    _, rejects = validate_history(rows, reference)
    assert rejects["row_number"].tolist() == [3, 6, 9]
    assert list(rejects.columns) == ["row_number", "beneficiary_id", "error"]
    assert "sex:" in message_of(rejects, 9)


def test_valid_rows_are_typed(rows: pd.DataFrame, reference: Reference) -> None:
    rows.loc[0, "monthly_income_mad"] = ""
    valid, rejects = validate_history(rows, reference)
    assert rejects.empty
    assert len(valid) == len(rows)
    assert pd.api.types.is_datetime64_any_dtype(valid["start_date"])
    assert valid["active_12m"].dtype == "int64"
    assert valid["funded_mad"].dtype == "float64"
    assert valid["monthly_income_mad"].dtype == "float64"
    assert pd.isna(valid.loc[0, "monthly_income_mad"])
    assert valid["start_date"].iloc[1] == pd.Timestamp(rows.loc[1, "start_date"])
    assert valid["row_number"].tolist() == list(range(1, len(rows) + 1))


def test_monthly_income_is_optional(rows: pd.DataFrame, reference: Reference) -> None:
    valid, rejects = validate_history(rows.drop(columns=["monthly_income_mad"]), reference)
    assert rejects.empty
    assert valid["monthly_income_mad"].isna().all()


def test_a_person_may_have_several_projects(rows: pd.DataFrame, reference: Reference) -> None:
    rows.loc[1, "beneficiary_id"] = rows.loc[0, "beneficiary_id"]
    valid, rejects = validate_history(rows, reference)
    assert rejects.empty
    assert len(valid) == len(rows)


@pytest.mark.parametrize("column", ["project_type_id", "funded_mad", "start_date", "active_12m"])
def test_missing_required_column_is_a_schema_error(
    rows: pd.DataFrame, reference: Reference, column: str
) -> None:
    with pytest.raises(DataSchemaError, match=column):
        validate_history(rows.drop(columns=[column]), reference)


def test_load_history_refuses_too_few_valid_rows(
    tmp_path: Path, shipped: pd.DataFrame, reference: Reference
) -> None:
    path = tmp_path / "history.csv"
    frame = shipped.head(MIN_ROWS + 5).copy()
    frame.loc[:9, "funded_mad"] = "0"
    frame.to_csv(path, index=False)
    with pytest.raises(TrainingDataError, match=f"at least {MIN_ROWS}"):
        load_history(path, reference)


def test_load_history_refuses_a_single_outcome_class(
    tmp_path: Path, shipped: pd.DataFrame, reference: Reference
) -> None:
    path = tmp_path / "history.parquet"
    shipped.head(200).assign(active_12m="1").to_parquet(path, index=False)
    with pytest.raises(TrainingDataError, match="single value"):
        load_history(path, reference)


def test_load_history_reads_the_shipped_file(reference: Reference) -> None:
    valid, rejects = load_history(DATA / "history.csv", reference)
    assert len(valid) == 6000
    assert rejects.empty
