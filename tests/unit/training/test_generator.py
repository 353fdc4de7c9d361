"""Synthetic-world generator: contract shape, validity, calibration, fairness set-up."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import training.generator as generator
from matcher.contract import columns as c
from matcher.contract.eligibility import check_eligibility
from matcher.contract.profile_table import validate_profiles
from matcher.contract.tables import read_table
from matcher.reference import REFERENCE_FILES, Reference, load_reference
from training.generator import (
    World,
    describe_world,
    generate_world,
    true_probability,
    write_world,
)
from training.generator.planted import EXPECTED_ERROR
from training.generator.truth import draw_params
from training.generator.world import TRUTH_COLUMN

REFERENCE_DIR = Path(__file__).resolve().parents[3] / "data_samples" / "reference"


@pytest.fixture(scope="module")
def reference() -> Reference:
    return load_reference(REFERENCE_DIR)


@pytest.fixture(scope="module")
def world(reference: Reference) -> World:
    return generate_world(reference, n_history=5000, n_cohort=300, seed=7)


@pytest.fixture(scope="module")
def written(world: World, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_world(world, tmp_path_factory.mktemp("world"))


def _stereotyped_share(world: World, sex: str) -> float:
    history = world.history
    rows = history[c.SEX] == sex
    return float(history.loc[rows, c.PROJECT_TYPE_ID].isin(world.stereotyped_types).mean())


def test_exports_are_sorted_and_complete():
    assert generator.__all__ == sorted(generator.__all__)
    for name in generator.__all__:
        assert hasattr(generator, name)


def test_same_seed_same_world_and_inputs_untouched(reference, world):
    before = {name: getattr(reference, name).copy() for name in ("project_types", "regions")}
    a = generate_world(reference, n_history=200, n_cohort=40, seed=7)
    b = generate_world(reference, n_history=200, n_cohort=40, seed=7)
    for name in ("history", "cohort", "cohort_truth", "cohort_with_errors"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    for name, frame in before.items():
        pd.testing.assert_frame_equal(getattr(reference, name), frame)
    # the hidden parameters depend on the seed and catalogue, not on the sizes
    assert a.params.intercept == world.params.intercept
    pd.testing.assert_series_equal(a.params.type_base, world.params.type_base)
    pd.testing.assert_frame_equal(a.params.market_effect, world.params.market_effect)


def test_another_seed_gives_other_hidden_effects(reference, world):
    other = draw_params(reference, seed=8)
    assert not np.allclose(other.market_effect, world.params.market_effect)
    assert world.params.market_effect.stack().std() == pytest.approx(0.35, abs=0.1)


def test_contract_columns(world):
    assert list(world.history.columns) == list(c.HISTORY_COLUMNS)
    assert list(world.cohort.columns) == list(c.PROFILE_COLUMNS)
    assert list(world.cohort_truth.columns) == [c.BENEFICIARY_ID, c.PROJECT_TYPE_ID, TRUTH_COLUMN]
    assert list(world.cohort_with_errors.columns) == [*c.PROFILE_COLUMNS, EXPECTED_ERROR]
    assert len(world.history) == 5000
    assert len(world.cohort) == 300


def test_written_files_validate_without_rejects(reference, written):
    assert set(written) == {"history", "cohort", "cohort_truth", "cohort_with_errors"}
    for name in ("history", "cohort"):
        text = read_table(written[name])
        valid, rejects = validate_profiles(text, reference)
        assert rejects.empty, rejects.head().to_string()
        assert len(valid) == len(text)


def test_ids_are_unique_pseudonyms_across_files(world):
    ids = pd.concat([world.history[c.BENEFICIARY_ID], world.cohort[c.BENEFICIARY_ID]])
    assert ids.is_unique
    assert ids.str.fullmatch(r"B[0-9a-f]{6}").all()


def test_history_outcome_columns(written):
    history = read_table(written["history"])
    funded = pd.to_numeric(history[c.FUNDED_MAD])
    assert (funded > 0).all()
    assert (funded <= pd.to_numeric(history[c.BUDGET_MAD])).all()
    assert set(history[c.ACTIVE_12M]) == {"0", "1"}
    dates = pd.to_datetime(history[c.START_DATE], format="%Y-%m-%d")
    assert dates.min() >= pd.Timestamp("2019-01-01")
    assert dates.max() <= pd.Timestamp("2025-06-30")
    income = history[c.MONTHLY_INCOME_MAD]
    assert 0.05 < (income == "").mean() < 0.15
    inactive = (history[c.ACTIVE_12M] == "0") & (income != "")
    assert (pd.to_numeric(income[inactive]) == 0).all()
    active = (history[c.ACTIVE_12M] == "1") & (income != "")
    assert 2000 < pd.to_numeric(income[active]).median() < 4500


def test_funded_type_is_always_eligible(reference, world):
    eligibility = check_eligibility(world.history, reference.project_types)
    cols = world.history[c.PROJECT_TYPE_ID].map(
        {t: k for k, t in enumerate(eligibility.project_type_ids)}
    )
    assert eligibility.eligible[np.arange(len(world.history)), cols.to_numpy()].all()


def test_survival_is_calibrated_on_the_funded_history(world):
    assert 0.70 <= world.history[c.ACTIVE_12M].mean() <= 0.76
    assert world.history_truth.mean() == pytest.approx(0.73, abs=0.015)


def test_population_follows_the_published_profile(world):
    people = pd.concat([world.history, world.cohort])
    assert 0.06 <= (people[c.SEX] == "F").mean() <= 0.14
    assert 0.40 <= (people[c.AGE] < 30).mean() <= 0.60
    assert people[c.AGE].between(18, 65).all()
    regions = people[c.REGION_ID].value_counts(normalize=True)
    assert regions.index[:2].tolist() in (["MA-06", "MA-04"], ["MA-04", "MA-06"])
    assert 0.75 <= (people[c.COMMUNE_CODE] != "").mean() <= 0.92
    assert 0.20 <= (people[c.EDUCATION_LEVEL] == "none").mean() <= 0.40
    assert 0.03 <= (people[c.HEALTH_CONSTRAINT] == "no_heavy_work").mean() <= 0.13
    assert people[c.BUDGET_MAD].between(15_000, 75_000).mean() > 0.8
    assert (people[c.BUDGET_MAD] % 500 == 0).all()


def test_truth_matches_true_probability(reference, world):
    truth = world.cohort_truth
    profiles = truth[[c.BENEFICIARY_ID]].merge(world.cohort, on=c.BENEFICIARY_ID, how="left")
    p = true_probability(profiles, truth[c.PROJECT_TYPE_ID], reference, world.params)
    np.testing.assert_allclose(p, truth[TRUTH_COLUMN], atol=1e-6)


def test_truth_is_sex_neutral(reference, world):
    cohort = world.cohort
    before = cohort.copy()
    type_ids = np.resize(reference.project_type_ids, len(cohort))
    p = true_probability(cohort, type_ids, reference, world.params)
    swapped = cohort.assign(**{c.SEX: cohort[c.SEX].map({"F": "M", "M": "F"})})
    np.testing.assert_array_equal(p, true_probability(swapped, type_ids, reference, world.params))
    pd.testing.assert_frame_equal(cohort, before)


def test_policy_is_biased_against_women_while_truth_is_not(world):
    women, men = _stereotyped_share(world, "F"), _stereotyped_share(world, "M")
    assert women > men + 0.25
    sectors = world.history[c.PROJECT_TYPE_ID].map(dict(world.type_sector))
    construction = sectors == "construction"
    is_woman = world.history[c.SEX] == "F"
    assert construction[is_woman].mean() < construction[~is_woman].mean() / 3


def test_truth_spread_makes_ranking_matter(world):
    per_person = world.cohort_truth.groupby(c.BENEFICIARY_ID)[TRUTH_COLUMN]
    assert (per_person.max() - per_person.min()).mean() > 0.3
    assert per_person.max().median() > 0.8
    assert per_person.min().median() < 0.5


def test_cohort_truth_covers_exactly_the_eligible_pairs(reference, world):
    eligibility = check_eligibility(world.cohort, reference.project_types)
    rows, cols = np.nonzero(eligibility.eligible)
    expected = set(
        zip(
            world.cohort[c.BENEFICIARY_ID].to_numpy()[rows],
            np.asarray(eligibility.project_type_ids)[cols],
            strict=True,
        )
    )
    truth = world.cohort_truth
    got = set(zip(truth[c.BENEFICIARY_ID], truth[c.PROJECT_TYPE_ID], strict=True))
    assert got == expected
    assert len(got) == len(truth)
    assert truth[TRUTH_COLUMN].between(0, 1, inclusive="neither").all()


def _check_planted_errors(reference: Reference, path: Path) -> None:
    text = read_table(path)
    expected = text.pop(EXPECTED_ERROR)
    valid, rejects = validate_profiles(text, reference)
    planted = expected[expected != ""]
    assert 8 <= len(planted) <= 12
    assert 25 <= len(text) <= 35
    assert sorted(rejects[c.ROW_NUMBER]) == sorted(planted.index + 1)
    fields = rejects.set_index(c.ROW_NUMBER)[c.ERROR].str.split(":", n=1).str[0]
    for row_number, field in fields.items():
        assert field == expected[row_number - 1], rejects.to_string()
    assert ";" not in "".join(rejects[c.ERROR]), "each planted row breaks exactly one rule"
    assert len(valid) == (expected == "").sum()


def test_planted_errors_are_rejected_for_the_expected_field(reference, written):
    _check_planted_errors(reference, written["cohort_with_errors"])
    expected = set(read_table(written["cohort_with_errors"])[EXPECTED_ERROR]) - {""}
    assert {c.AGE, c.REGION_ID, c.COMMUNE_CODE, c.BENEFICIARY_ID, c.SEX} <= expected


def test_catalogue_without_local_profiles(tmp_path):
    for name in REFERENCE_FILES:
        shutil.copy(REFERENCE_DIR / name, tmp_path / name)
    reference = load_reference(tmp_path)
    assert reference.local_profiles.empty
    world = generate_world(reference, n_history=400, n_cohort=60, seed=3)
    assert (world.history[c.COMMUNE_CODE] == "").all()
    paths = write_world(world, tmp_path / "out")
    for name in ("history", "cohort"):
        _, rejects = validate_profiles(read_table(paths[name]), reference)
        assert rejects.empty
    _check_planted_errors(reference, paths["cohort_with_errors"])


def test_describe_world_reports_the_readme_figures(world):
    figures = describe_world(world)
    assert figures["n_history"] == 5000
    assert figures["survival_rate"] == pytest.approx(world.history[c.ACTIVE_12M].mean(), abs=1e-4)
    shares = figures["sector_share_by_sex"]
    assert isinstance(shares, dict)
    assert sum(shares["F"].values()) == pytest.approx(1.0, abs=1e-3)
    assert figures["n_planted_errors"] == 10


def test_rejects_negative_sizes(reference):
    with pytest.raises(ValueError, match=">= 0"):
        generate_world(reference, n_history=-1, n_cohort=0, seed=0)


def test_empty_world(reference, tmp_path):
    world = generate_world(reference, n_history=0, n_cohort=0, seed=1)
    assert list(world.history.columns) == list(c.HISTORY_COLUMNS)
    assert world.history.empty
    assert world.cohort_truth.empty
    assert describe_world(world)["n_history"] == 0
    assert read_table(write_world(world, tmp_path)["history"]).empty


def test_shipped_sample_files_are_exactly_what_the_documented_command_makes(tmp_path: Path) -> None:
    """data_samples/README.md's command regenerates the shipped files byte for byte."""
    data = REFERENCE_DIR.parent
    world = generate_world(
        load_reference(REFERENCE_DIR), n_history=6000, n_cohort=600, seed=20261129
    )
    paths = write_world(world, tmp_path)
    for name, path in paths.items():
        assert path.read_bytes() == (data / path.name).read_bytes(), name
