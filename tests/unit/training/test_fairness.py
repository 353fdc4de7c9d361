"""The stereotype-shift audit: silent on today's model, loud on one that reads sex."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from matcher.contract.profile_table import validate_profiles
from matcher.contract.tables import read_table
from training.evaluate import eligible_truth_pairs
from training.fairness import pushed_sectors, stereotype_shift
from training.history import load_history
from training.report.ground_truth import _stereotype_shift

DATA = Path(__file__).resolve().parents[3] / "data_samples"


@pytest.fixture(scope="module")
def shipped(reference):
    cohort, _ = validate_profiles(read_table(DATA / "cohort.csv"), reference)
    pairs = eligible_truth_pairs(cohort, read_table(DATA / "cohort_truth.csv"), reference)
    sectors = reference.project_types["sector_id"]
    pairs = pairs.assign(_sector=sectors.reindex(pairs["project_type_id"]).to_numpy())
    history, _ = load_history(DATA / "history.csv", reference)
    return pairs, pushed_sectors(history, sectors)


def test_the_history_pushed_women_into_some_sectors(shipped):
    _, pushed = shipped
    assert pushed
    assert "construction" not in pushed


def test_todays_model_on_the_shipped_world_is_not_flagged(shipped, scorer):
    pairs, pushed = shipped
    ranked_by = scorer.estimate_pairs(pairs, livelihood_mad=3000).value("livelihood")
    audit = stereotype_shift(pairs, ranked_by, pushed=pushed)
    assert audit is not None
    low, high = audit["interval"]
    assert low <= audit["shift_points"] <= high
    assert audit["steering"] is False
    assert set(audit["sector_gaps"]) == {"F", "M"}
    text = _stereotype_shift(audit | {"objective": "livelihood"})
    assert "No steering is shown" in text
    assert "Warning" not in text


def test_a_model_that_reads_sex_is_flagged(shipped, scorer):
    """Planted steering: the same model plus a bonus for women on the pushed sectors."""
    pairs, pushed = shipped
    base = scorer.estimate_pairs(pairs, livelihood_mad=3000).value("livelihood")
    reads_sex = (pairs["sex"].to_numpy() == "F") & pairs["_sector"].isin(pushed).to_numpy()
    audit = stereotype_shift(pairs, base + 0.08 * reads_sex, pushed=pushed)
    assert audit is not None
    assert audit["steering"] is True
    assert audit["interval"][0] > 0
    text = _stereotype_shift(audit | {"objective": "livelihood"})
    assert "Warning: the model steers women towards the sectors they were pushed into" in text


def test_the_truth_itself_has_no_shift(shipped):
    pairs, pushed = shipped
    audit = stereotype_shift(pairs, pairs["p_true"].to_numpy(dtype=np.float64), pushed=pushed)
    assert audit is not None
    assert audit["shift_points"] == 0
    assert audit["steering"] is False


def test_no_pushed_sector_or_one_sex_gives_no_audit(shipped):
    pairs, pushed = shipped
    scores = pairs["p_true"].to_numpy(dtype=np.float64)
    assert stereotype_shift(pairs, scores, pushed=[]) is None
    men = pairs.loc[pairs["sex"] == "M"].reset_index(drop=True)
    assert stereotype_shift(men, men["p_true"].to_numpy(), pushed=pushed) is None
    assert pushed_sectors(pd.DataFrame({"sex": ["M"], "project_type_id": ["x"]}), pd.Series()) == []
