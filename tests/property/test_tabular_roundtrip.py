"""Property tests: the contract's list syntax survives writing and reading."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.contract.tables import (
    format_years,
    join_experience,
    join_list,
    parse_experience,
    read_table,
    split_list,
    write_table,
)

ids = st.from_regex(r"[a-z0-9_]{1,16}", fullmatch=True)
years = st.one_of(
    st.integers(0, 60).map(float),
    st.floats(0.0, 60.0, allow_nan=False, allow_infinity=False),
    st.decimals(0, 60, places=2).map(float),
)
experience = st.lists(st.tuples(ids, years), max_size=6)
id_lists = st.lists(ids, max_size=6)


@given(id_lists)
def test_list_cell_round_trip(items):
    assert split_list(join_list(items)) == items


@given(experience)
def test_experience_cell_round_trip(items):
    cell = join_experience(items)
    assert parse_experience(cell) == items
    assert ".0;" not in cell + ";"  # whole years are written without a trailing .0


@given(years)
def test_format_years_round_trip(value):
    text = format_years(value)
    assert float(text) == value
    assert not text.endswith(".0")


@settings(max_examples=25)
@given(
    st.lists(st.tuples(id_lists, experience), min_size=1, max_size=5),
    st.sampled_from([".csv", ".parquet"]),
)
def test_file_round_trip(rows, suffix):
    frame = pd.DataFrame(
        {
            "beneficiary_id": [f"B{i}" for i in range(len(rows))],
            "trainings": [join_list(t) for t, _ in rows],
            "experience": [join_experience(e) for _, e in rows],
        }
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"cohort{suffix}"
        write_table(frame, path)
        back = read_table(path)
    assert back["beneficiary_id"].tolist() == frame["beneficiary_id"].tolist()
    assert [split_list(cell) for cell in back["trainings"]] == [t for t, _ in rows]
    assert [parse_experience(cell) for cell in back["experience"]] == [e for _, e in rows]
