"""Tests of matcher.features.id_positions: the dict and pandas paths give the same positions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from matcher.features.id_positions import SMALL, Lookup, factorize


def test_positions_and_unknowns():
    lookup = Lookup(["a", "b", "c"])
    got = lookup.positions(np.array(["c", "a", "zz", None, ""], dtype=object))
    assert got.tolist() == [2, 0, -1, -1, -1]
    assert got.dtype == np.intp
    assert len(lookup) == 3


@pytest.mark.parametrize("n", [0, 1, SMALL - 1, SMALL, 3 * SMALL])
def test_small_and_large_paths_agree(n):
    ids = [f"id{i}" for i in range(500)]
    rng = np.random.default_rng(n)
    pool = np.array([*ids, "unknown", None], dtype=object)
    values = pool[rng.integers(0, len(pool), n)]
    expected = [ids.index(v) if v in ids else -1 for v in values]
    assert Lookup(ids).positions(values).tolist() == expected


def test_accepts_pandas_strings():
    """Arrow-backed string Series (pandas 3's default) are looked up like plain lists."""
    series = pd.Series(["b", "a", "q"], dtype="str")
    assert Lookup(["a", "b"]).positions(series).tolist() == [1, 0, -1]


@pytest.mark.parametrize("n", [0, 5, SMALL + 3])
def test_factorize_matches_pandas(n):
    rng = np.random.default_rng(n)
    values = np.array(["a", "b", "", "c;d"], dtype=object)[rng.integers(0, 4, n)]
    codes, uniques = factorize(values)
    expected_codes, expected_uniques = pd.factorize(values, use_na_sentinel=False)
    assert codes.tolist() == expected_codes.tolist()
    assert uniques == list(expected_uniques)
    assert codes.dtype == np.intp
