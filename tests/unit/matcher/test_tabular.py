"""Tests of matcher.contract.tables: text-only reading, list syntax, atomic writes, chunking."""

from __future__ import annotations

import gc
import os
import stat
import warnings
from pathlib import Path

import pandas as pd
import pytest

from matcher.contract.tables import (
    format_years,
    iter_table,
    join_experience,
    join_list,
    parse_experience,
    read_header,
    read_table,
    split_list,
    write_table,
)
from matcher.errors import DataSchemaError


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


# -- reading as text ------------------------------------------------------------------


def test_csv_cells_are_read_as_text_without_coercion(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(
        "beneficiary_id,age,budget_mad,commune_code,note\n"
        "007,30,1e3,01.051.01.0,NA\n"
        "B2,,12500.50,,null\n",
        encoding="utf-8",
    )
    frame = read_table(path)
    assert list(frame.columns) == ["beneficiary_id", "age", "budget_mad", "commune_code", "note"]
    assert frame.to_dict("records") == [
        {
            "beneficiary_id": "007",
            "age": "30",
            "budget_mad": "1e3",
            "commune_code": "01.051.01.0",
            "note": "NA",
        },
        {
            "beneficiary_id": "B2",
            "age": "",
            "budget_mad": "12500.50",
            "commune_code": "",
            "note": "null",
        },
    ]
    assert all(str(frame[col].dtype) in ("str", "object") for col in frame.columns)


def test_header_names_are_stripped(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(" beneficiary_id , age\nB1,30\n", encoding="utf-8")
    assert list(read_table(path).columns) == ["beneficiary_id", "age"]
    assert read_header(path) == ["beneficiary_id", "age"]


def test_parquet_cells_are_read_as_text(tmp_path):
    path = tmp_path / "t.parquet"
    pd.DataFrame(
        {
            "beneficiary_id": ["B1", "B2"],
            "age": [30, 41],
            "budget_mad": [12500.0, 2.5],
            "home_based": [True, False],
            "trainings": [["joinery", "upholstery"], []],
            "commune_code": ["01.051.01.0", None],
        }
    ).to_parquet(path, index=False)
    frame = read_table(path)
    assert frame.to_dict("records") == [
        {
            "beneficiary_id": "B1",
            "age": "30",
            "budget_mad": "12500",
            "home_based": "true",
            "trainings": "joinery;upholstery",
            "commune_code": "01.051.01.0",
        },
        {
            "beneficiary_id": "B2",
            "age": "41",
            "budget_mad": "2.5",
            "home_based": "false",
            "trainings": "",
            "commune_code": "",
        },
    ]
    assert read_header(path) == list(frame.columns)


def test_empty_csv_is_a_schema_error(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(DataSchemaError, match="empty"):
        read_table(path)
    with pytest.raises(DataSchemaError, match="empty"):
        list(iter_table(path))
    with pytest.raises(DataSchemaError, match="empty"):
        read_header(path)


@pytest.mark.parametrize("name", ["cohort.xls", "cohort.txt", "cohort"])
def test_unsupported_extension_is_a_schema_error(tmp_path, name):
    path = tmp_path / name
    path.write_text("beneficiary_id\nB1\n", encoding="utf-8")
    with pytest.raises(DataSchemaError, match="unsupported file type"):
        read_table(path)
    with pytest.raises(DataSchemaError, match="unsupported file type"):
        list(iter_table(path))
    with pytest.raises(DataSchemaError, match="unsupported file type"):
        write_table(pd.DataFrame({"a": [1]}), path)


def test_missing_file_is_a_schema_error(tmp_path):
    with pytest.raises(DataSchemaError, match="no such file"):
        read_table(tmp_path / "absent.csv")
    with pytest.raises(DataSchemaError, match="no such file"):
        list(iter_table(tmp_path / "absent.parquet"))


def test_latin1_bytes_do_not_crash(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("beneficiary_id,name_fr\nB1,Fès\nB2,Méknès\n".encode("latin-1"))
    frame = read_table(path)
    assert frame["beneficiary_id"].tolist() == ["B1", "B2"]
    assert frame["name_fr"].tolist() == ["Fès", "Méknès"]
    chunks = list(iter_table(path, chunk_rows=1))
    assert [c.index.tolist() for c in chunks] == [[0], [1]]
    assert pd.concat(chunks)["name_fr"].tolist() == ["Fès", "Méknès"]


# -- chunking -------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_iter_table_keeps_row_numbering_continuous(tmp_path, suffix):
    path = tmp_path / f"rows{suffix}"
    frame = pd.DataFrame(
        {
            "beneficiary_id": [f"B{i:02d}" for i in range(20)],
            "age": [str(20 + i) for i in range(20)],
        }
    )
    write_table(frame, path)
    chunks = list(iter_table(path, chunk_rows=7))
    assert [len(c) for c in chunks] == [7, 7, 6]
    assert [c.index[0] for c in chunks] == [0, 7, 14]
    joined = pd.concat(chunks)
    assert joined.index.tolist() == list(range(20))
    assert joined["beneficiary_id"].tolist() == [f"B{i:02d}" for i in range(20)]
    assert joined["age"].tolist() == [str(20 + i) for i in range(20)]


def test_iter_table_closes_the_file_when_abandoned(tmp_path):
    path = tmp_path / "rows.csv"
    write_table(pd.DataFrame({"beneficiary_id": [f"B{i}" for i in range(20)]}), path)
    with warnings.catch_warnings(record=True) as log:
        warnings.simplefilter("always", ResourceWarning)
        chunks = iter_table(path, chunk_rows=7)
        next(chunks)
        chunks.close()
        del chunks
        gc.collect()
    assert [str(w.message) for w in log if issubclass(w.category, ResourceWarning)] == []


def test_iter_table_header_only_yields_no_rows(tmp_path):
    path = tmp_path / "header.csv"
    path.write_text("beneficiary_id,age\n", encoding="utf-8")
    chunks = list(iter_table(path, chunk_rows=7))
    assert sum(len(c) for c in chunks) == 0
    assert all(list(c.columns) == ["beneficiary_id", "age"] for c in chunks)
    assert read_header(path) == ["beneficiary_id", "age"]


# -- writing --------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_write_table_round_trip_and_leaves_no_part_file(tmp_path, suffix):
    path = tmp_path / "sub" / f"out{suffix}"
    frame = pd.DataFrame({"beneficiary_id": ["B1", "B2"], "trainings": ["a;b", ""]})
    write_table(frame, path)
    assert read_table(path).to_dict("records") == frame.to_dict("records")
    assert leftovers(path.parent) == []
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]


@pytest.mark.usefixtures("umask_022")
@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_write_table_mode_honours_umask(tmp_path, suffix):
    path = tmp_path / f"out{suffix}"
    write_table(pd.DataFrame({"a": ["1"]}), path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_write_table_failure_leaves_no_file_under_final_name(tmp_path, monkeypatch):
    path = tmp_path / "out.csv"

    def half_written(self, target, *args, **kwargs):
        Path(target).write_text("beneficiary_id\nB1\n", encoding="utf-8")
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_csv", half_written)
    with pytest.raises(OSError, match="disk full"):
        write_table(pd.DataFrame({"beneficiary_id": ["B1", "B2"]}), path)
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []


def test_write_table_failure_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "out.csv"
    path.write_text("old\n", encoding="utf-8")

    def boom(self, target, *args, **kwargs):
        Path(target).write_text("partial", encoding="utf-8")
        raise RuntimeError("interrupted")

    monkeypatch.setattr(pd.DataFrame, "to_csv", boom)
    with pytest.raises(RuntimeError, match="interrupted"):
        write_table(pd.DataFrame({"a": ["1"]}), path)
    assert path.read_text(encoding="utf-8") == "old\n"
    assert leftovers(tmp_path) == []


# -- list and experience syntax -------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "items"),
    [
        ("", []),
        ("a", ["a"]),
        ("a;b;c", ["a", "b", "c"]),
        (" a ; b ;", ["a", "b"]),
        (";;", []),
        ("a;a", ["a", "a"]),
    ],
)
def test_split_list(cell, items):
    assert split_list(cell) == items


def test_join_list():
    assert join_list(["a", "b", "c"]) == "a;b;c"
    assert join_list([]) == ""


@pytest.mark.parametrize(
    ("cell", "items"),
    [
        ("", []),
        ("joinery:3", [("joinery", 3.0)]),
        ("joinery:3;upholstery:1.5", [("joinery", 3.0), ("upholstery", 1.5)]),
        ("joinery:0", [("joinery", 0.0)]),
        (" joinery : 2.25 ", [("joinery", 2.25)]),
    ],
)
def test_parse_experience(cell, items):
    assert parse_experience(cell) == items


@pytest.mark.parametrize(
    "cell",
    [
        "joinery",
        ":3",
        "joinery:",
        "joinery:x",
        "joinery:-1",
        "joinery:nan",
        "joinery:inf",
        "a:1:2",
        "a:1;b",
    ],
)
def test_parse_experience_rejects_malformed(cell):
    with pytest.raises(ValueError, match="experience item"):
        parse_experience(cell)


@pytest.mark.parametrize(
    ("years", "text"), [(3.0, "3"), (3, "3"), (0.0, "0"), (2.5, "2.5"), (0.1, "0.1"), (60.0, "60")]
)
def test_format_years_drops_trailing_zero(years, text):
    assert format_years(years) == text


def test_join_experience():
    assert join_experience([("joinery", 3.0), ("upholstery", 1.5)]) == "joinery:3;upholstery:1.5"
    assert join_experience([]) == ""


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_count_rows_counts_data_rows(tmp_path, suffix):
    from matcher.contract.tables import count_rows

    path = tmp_path / f"rows{suffix}"
    write_table(pd.DataFrame({"beneficiary_id": [f"B{i}" for i in range(13)]}), path)
    assert count_rows(path) == 13
    empty = tmp_path / f"empty{suffix}"
    write_table(pd.DataFrame({"beneficiary_id": pd.Series([], dtype="str")}), empty)
    assert count_rows(empty) == 0
