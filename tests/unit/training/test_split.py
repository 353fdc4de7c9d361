"""The chronological, beneficiary-grouped split."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from matcher.reference import Reference
from training.history import load_history
from training.split import chronological_split

DATA = Path(__file__).resolve().parents[3] / "data_samples"


def history_of(people: int, *, seed: int = 0, repeat_share: float = 0.3) -> pd.DataFrame:
    """People funded on distinct days; some get a second project later on."""
    rng = np.random.default_rng(seed)
    first = pd.Timestamp("2019-01-01") + pd.to_timedelta(rng.permutation(people * 3)[:people], "D")
    ids = [f"P{i:05d}" for i in range(people)]
    rows = pd.DataFrame({"beneficiary_id": ids, "start_date": first})
    again = rows.sample(frac=repeat_share, random_state=seed)
    again = again.assign(
        start_date=again["start_date"] + pd.to_timedelta(rng.integers(30, 900, len(again)), "D")
    )
    frame = pd.concat([rows, again], ignore_index=True)
    return frame.sample(frac=1, random_state=seed).reset_index(drop=True)


def first_dates(frame: pd.DataFrame) -> pd.Series:
    return frame.groupby("beneficiary_id")["start_date"].min()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_no_beneficiary_on_both_sides(seed: int) -> None:
    frame = history_of(500, seed=seed)
    split = chronological_split(frame)
    train_ids = set(frame.loc[split.train, "beneficiary_id"])
    test_ids = set(frame.loc[split.test, "beneficiary_id"])
    assert not train_ids & test_ids
    assert sorted(np.concatenate([split.train, split.test])) == list(range(len(frame)))


def test_test_side_is_strictly_later_by_first_funding() -> None:
    frame = history_of(400, seed=3)
    split = chronological_split(frame)
    first = first_dates(frame)
    train_first = first[frame.loc[split.train, "beneficiary_id"].unique()]
    test_first = first[frame.loc[split.test, "beneficiary_id"].unique()]
    assert train_first.max() < split.cut_date <= test_first.min()
    assert frame.loc[split.test, "start_date"].min() >= split.cut_date


def test_one_project_per_person_gives_a_strictly_later_test_set() -> None:
    frame = history_of(300, seed=4, repeat_share=0.0)
    split = chronological_split(frame)
    assert frame.loc[split.train, "start_date"].max() < frame.loc[split.test, "start_date"].min()


@pytest.mark.parametrize("share", [0.1, 0.2, 0.3, 0.5])
def test_test_share_is_roughly_honoured(share: float) -> None:
    frame = history_of(1000, seed=5, repeat_share=0.0)
    split = chronological_split(frame, test_share=share)
    assert len(split.test) / len(frame) == pytest.approx(share, abs=0.02)


def test_people_funded_on_the_cut_date_go_to_test_together() -> None:
    dates = pd.to_datetime(["2020-01-01"] * 5 + ["2021-01-01"] * 5)
    frame = pd.DataFrame({"beneficiary_id": [f"P{i}" for i in range(10)], "start_date": dates})
    split = chronological_split(frame, test_share=0.3)
    assert split.cut_date == pd.Timestamp("2021-01-01")
    assert sorted(split.test) == [5, 6, 7, 8, 9]


@pytest.mark.parametrize("share", [0, 1, -0.1, 1.5])
def test_test_share_must_be_in_the_open_interval(share: float) -> None:
    with pytest.raises(ValueError, match="test_share"):
        chronological_split(history_of(50), test_share=share)


def test_a_single_start_date_cannot_be_split() -> None:
    frame = pd.DataFrame(
        {"beneficiary_id": ["A", "B", "C"], "start_date": pd.to_datetime(["2022-05-01"] * 3)}
    )
    with pytest.raises(ValueError, match="same start date"):
        chronological_split(frame)


def test_split_of_the_shipped_history(reference: Reference) -> None:
    history, _ = load_history(DATA / "history.csv", reference)
    split = chronological_split(history)
    train = history.iloc[split.train]
    test = history.iloc[split.test]
    assert not set(train["beneficiary_id"]) & set(test["beneficiary_id"])
    assert train["start_date"].max() < test["start_date"].min()
    assert len(test) / len(history) == pytest.approx(0.2, abs=0.02)
    assert set(train["active_12m"]) == set(test["active_12m"]) == {0, 1}
