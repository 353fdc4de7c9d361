"""Tests of matcher.service: ranking, exclusions, parity, faithful reasons, gaps."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from matcher.contract import columns as c
from matcher.contract.eligibility import MILIEU_MISMATCH, OVER_BUDGET, TOO_PHYSICAL
from matcher.contract.profile_table import profiles_frame
from matcher.contract.tables import parse_experience, read_table, split_list
from matcher.domain import Profile
from matcher.errors import InvalidProfileError
from matcher.model.explanation import neutralise
from matcher.service import evidence_level, rank_cohort, recommend
from matcher.wording import EXCLUSION_TEXT

DATA = Path(__file__).resolve().parents[3] / "data_samples"


def to_profile(record: pd.Series, **overrides) -> Profile:
    fields = {
        "beneficiary_id": record["beneficiary_id"],
        "sex": record["sex"],
        "age": int(record["age"]),
        "region_id": record["region_id"],
        "milieu": record["milieu"],
        "education_level": record["education_level"],
        "trainings": tuple(split_list(record["trainings"])),
        "experience": tuple(
            {"trade_id": t, "years": y} for t, y in parse_experience(record["experience"])
        ),
        "budget_mad": float(record["budget_mad"]),
        "preferred_sectors": tuple(split_list(record["preferred_sectors"])),
        "health_constraint": record["health_constraint"] or "none",
        "commune_code": record["commune_code"] or None,
    }
    return Profile(**(fields | overrides))


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    return read_table(DATA / "cohort.csv")


@pytest.fixture(scope="module")
def person(cohort) -> Profile:
    """B3b8d0c: many eligible types, several excluded, trainings but gaps left."""
    return to_profile(cohort.set_index("beneficiary_id", drop=False).loc["B3b8d0c"])


@pytest.fixture(scope="module")
def result(person, reference, scorer):
    return recommend(person, reference=reference, scorer=scorer, objective="survival", top_k=10)


def rules_by_hand(profile: Profile, reference) -> dict[str, list[str]]:
    out = {}
    for ptype, row in reference.project_types.iterrows():
        failed = []
        if row["typical_cost_mad"] > profile.budget_mad:
            failed.append(OVER_BUDGET)
        if row["milieu"] not in ("both", profile.milieu.value):
            failed.append(MILIEU_MISMATCH)
        if profile.health_constraint.value == "no_heavy_work" and row["physical_demand"] == "high":
            failed.append(TOO_PHYSICAL)
        out[str(ptype)] = failed
    return out


def test_ranking_shape(result, person, reference, scorer):
    rules = rules_by_hand(person, reference)
    eligible = {t for t, failed in rules.items() if not failed}
    assert 10 < len(eligible) < len(rules)
    assert result.n_eligible == len(eligible)
    recs = result.recommendations
    assert [r.rank for r in recs] == list(range(1, 11))
    scores = [r.score for r in recs]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert {r.project_type_id for r in recs} <= eligible
    assert len({r.project_type_id for r in recs}) == len(recs)
    for a, b in itertools.pairwise(recs):
        if a.score == b.score:
            assert a.project_type_id < b.project_type_id
    assert result.model_version == scorer.version
    assert result.beneficiary_id == "B3b8d0c"
    assert result.top_k == 10


def test_recommendation_fields(result, person, reference):
    for rec in result.recommendations:
        row = reference.project_types.loc[rec.project_type_id]
        assert rec.cost_mad == row["typical_cost_mad"]
        assert rec.sector_id == row["sector_id"]
        assert rec.budget_mad == person.budget_mad
        assert rec.margin_mad == person.budget_mad - row["typical_cost_mad"]
        assert rec.names["fr"] == row["name_fr"]
        assert rec.evidence == evidence_level(rec.evidence_n)
        assert 1 <= len(rec.reasons) <= 4


def test_excluded_types_carry_their_rules(result, person, reference):
    rules = rules_by_hand(person, reference)
    excluded = {e.project_type_id: e for e in result.excluded}
    assert set(excluded) == {t for t, failed in rules.items() if failed}
    for ptype, exclusion in excluded.items():
        assert list(exclusion.reasons) == rules[ptype]
        assert exclusion.reason == rules[ptype][0]
        assert exclusion.text == EXCLUSION_TEXT[exclusion.reason]
    assert result.n_eligible + len(result.excluded) == len(reference.project_types)
    assert not excluded.keys() & {r.project_type_id for r in result.recommendations}


def test_same_input_same_result(result, person, reference, scorer):
    again = recommend(person, reference=reference, scorer=scorer, objective="survival", top_k=10)
    assert again == result
    assert again.to_dict() == result.to_dict()


def test_to_dict_keeps_reason_direction(result):
    out = result.to_dict()
    first = out["recommendations"][0]["reasons"][0]
    assert first["direction"] == result.recommendations[0].reasons[0].direction
    assert first["direction"] in ("raises", "lowers")


def ranking(frame: pd.DataFrame, beneficiary_id: str) -> list[tuple[int, str, float]]:
    mine = frame.loc[frame[c.BENEFICIARY_ID] == beneficiary_id]
    return [
        (int(r), str(t), float(s))
        for r, t, s in zip(mine[c.RANK], mine[c.PROJECT_TYPE_ID], mine[c.SCORE], strict=True)
    ]


def test_rank_cohort_gives_the_same_ranking(result, person, reference, scorer):
    frame = profiles_frame([person], reference)
    ranked = rank_cohort(frame, reference=reference, scorer=scorer, objective="survival", top_k=10)
    assert ranking(ranked, person.beneficiary_id) == [
        (r.rank, r.project_type_id, r.score) for r in result.recommendations
    ]
    assert set(ranked["n_eligible"]) == {result.n_eligible}


def test_parity_over_several_people_scored_together(cohort, reference, scorer):
    """One recommend() for all doors: a chunk of people ranks each as recommend() does."""
    people = [to_profile(cohort.iloc[i]) for i in range(0, 60, 12)]
    ranked = rank_cohort(
        profiles_frame(people, reference),
        reference=reference,
        scorer=scorer,
        objective="survival",
        top_k=50,
    )
    for p in people:
        single = recommend(
            p, reference=reference, scorer=scorer, objective="survival", top_k=50, with_gaps=False
        )
        assert ranking(ranked, p.beneficiary_id) == [
            (r.rank, r.project_type_id, r.score) for r in single.recommendations
        ]


def pair_frame(profile: Profile, ptype: str, reference) -> pd.DataFrame:
    frame = profiles_frame([profile], reference)
    return frame.assign(**{c.PROJECT_TYPE_ID: pd.array([ptype], dtype="str")})


def test_reasons_are_faithful(result, person, reference, scorer):
    builder = scorer.pipeline.named_steps["features"]
    checked = 0
    for rec in result.recommendations:
        top = rec.reasons[0]
        features = scorer.features(pair_frame(person, rec.project_type_id, reference))
        base = scorer.score_features(features)[0]
        neutral = scorer.score_features(neutralise(features, top.factor, builder))[0]
        assert base == pytest.approx(rec.score, abs=1e-6)
        if top.direction == "raises":
            assert base > neutral, (rec.project_type_id, top)
        else:
            assert base < neutral, (rec.project_type_id, top)
        assert base - neutral == pytest.approx(top.effect, abs=1e-3)
        # the reasons are ordered by size of effect
        sizes = [abs(r.effect) for r in rec.reasons]
        assert sizes == sorted(sizes, reverse=True)
        checked += 1
    assert checked == 10


def test_qualification_gaps_are_real(result, person, reference, scorer):
    full = recommend(
        person, reference=reference, scorer=scorer, objective="survival", top_k=50, with_gaps=False
    )
    now = {r.project_type_id: r for r in full.recommendations}
    assert result.qualification_gaps, "this profile is chosen because it has gaps"
    assert len(result.qualification_gaps) <= 3
    for gap in result.qualification_gaps:
        required = reference.project_types.loc[gap.project_type_id, "required_trades"]
        assert gap.trade_id in required
        assert gap.trade_id not in person.trainings
        assert gap.score_without == pytest.approx(now[gap.project_type_id].score, abs=1e-6)
        assert gap.rank_without == now[gap.project_type_id].rank
        assert gap.rank_with < gap.rank_without
        assert gap.score_with - gap.score_without >= 0.02 - 1e-9
        trained = person.model_copy(update={"trainings": (*person.trainings, gap.trade_id)})
        ranked = rank_cohort(
            profiles_frame([trained], reference),
            reference=reference,
            scorer=scorer,
            objective="survival",
            top_k=50,
        )
        score_with = ranked.set_index(c.PROJECT_TYPE_ID).loc[gap.project_type_id, c.SCORE]
        assert score_with == pytest.approx(gap.score_with, abs=1e-6)
    assert len({g.project_type_id for g in result.qualification_gaps}) == len(
        result.qualification_gaps
    )


def test_without_gaps(person, reference, scorer):
    out = recommend(
        person, reference=reference, scorer=scorer, objective="survival", top_k=3, with_gaps=False
    )
    assert out.qualification_gaps == ()
    assert len(out.recommendations) == 3


def test_nobody_eligible_is_not_an_error(person, reference, scorer):
    broke = person.model_copy(update={"budget_mad": 0.0})
    out = recommend(broke, reference=reference, scorer=scorer, objective="survival")
    assert out.recommendations == ()
    assert out.n_eligible == 0
    assert out.qualification_gaps == ()
    assert len(out.excluded) == len(reference.project_types)
    assert all(OVER_BUDGET in e.reasons for e in out.excluded)
    ranked = rank_cohort(
        profiles_frame([broke], reference), reference=reference, scorer=scorer, objective="survival"
    )
    assert ranked.empty
    assert {c.BENEFICIARY_ID, c.RANK, c.PROJECT_TYPE_ID, c.SCORE} <= set(ranked.columns)


def test_top_k_larger_than_eligible(person, reference, scorer):
    tight = person.model_copy(update={"budget_mad": 15000.0})
    out = recommend(
        tight, reference=reference, scorer=scorer, objective="survival", top_k=50, with_gaps=False
    )
    expected = sum(not f for f in rules_by_hand(tight, reference).values())
    assert 0 < expected < 50
    assert out.n_eligible == expected
    assert len(out.recommendations) == expected


@pytest.mark.parametrize("top_k", [0, -1, 51])
def test_top_k_bounds(person, reference, scorer, top_k):
    with pytest.raises(ValueError, match="top_k"):
        recommend(person, reference=reference, scorer=scorer, objective="survival", top_k=top_k)
    with pytest.raises(ValueError, match="top_k"):
        rank_cohort(
            profiles_frame([person], reference),
            reference=reference,
            scorer=scorer,
            objective="survival",
            top_k=top_k,
        )


def test_unknown_region(person, reference, scorer):
    with pytest.raises(InvalidProfileError) as info:
        recommend(
            person.model_copy(update={"region_id": "MA-99", "commune_code": None}),
            reference=reference,
            scorer=scorer,
            objective="survival",
        )
    assert info.value.details["field"] == "profile.region_id"


def test_rank_cohort_columns_and_explain(cohort, reference, scorer):
    people = [to_profile(cohort.iloc[i]) for i in (0, 1, 2)]
    frame = profiles_frame(people, reference)
    plain = rank_cohort(frame, reference=reference, scorer=scorer, objective="survival", top_k=3)
    explained = rank_cohort(
        frame, reference=reference, scorer=scorer, objective="survival", top_k=3, explain=True
    )
    assert list(plain.columns) == [
        c.BENEFICIARY_ID,
        c.RANK,
        c.PROJECT_TYPE_ID,
        c.SCORE,
        "sector_id",
        c.COST_MAD,
        c.BUDGET_MAD,
        "n_eligible",
        "livelihood",
        "expected_income_mad",
        "score_low",
        "score_high",
    ]
    pd.testing.assert_frame_equal(explained.drop(columns=["reasons"]), plain)
    assert explained["reasons"].str.len().gt(0).all()
    for _, group in plain.groupby(c.BENEFICIARY_ID, sort=False):
        assert group[c.RANK].tolist() == list(range(1, len(group) + 1))
        assert (np.diff(group[c.SCORE].to_numpy()) <= 0).all()
        assert len(group) == min(3, int(group["n_eligible"].iloc[0]))
    assert plain[c.COST_MAD].le(plain[c.BUDGET_MAD]).all()


@pytest.mark.parametrize(
    ("n", "level"), [(0, "thin"), (19, "thin"), (20, "moderate"), (79, "moderate"), (80, "solid")]
)
def test_evidence_level(n, level):
    assert evidence_level(n) == level


# ---------------------------------------------------------------- livelihood (contract 7)


@pytest.fixture(scope="module")
def by_livelihood(person, reference, scorer):
    return recommend(person, reference=reference, scorer=scorer, top_k=10)


def test_default_objective_is_livelihood_and_ranks_by_it(by_livelihood, scorer):
    assert scorer.has_income
    assert by_livelihood.objective == "livelihood"
    assert by_livelihood.livelihood_mad == 3000.0
    values = [r.livelihood for r in by_livelihood.recommendations]
    assert values == sorted(values, reverse=True)
    for rec in by_livelihood.recommendations:
        assert 0 <= rec.livelihood <= rec.score
        assert rec.score_low < rec.score < rec.score_high
        assert rec.expected_income_mad > 0


def test_livelihood_is_survival_times_the_income_share_above_the_threshold(
    by_livelihood, person, reference, scorer
):
    """P(active and income >= T) = p * (1 - Phi((log T - mu) / sigma)), by hand."""
    from scipy.stats import norm

    for rec in by_livelihood.recommendations:
        features = scorer.features(pair_frame(person, rec.project_type_id, reference))
        mu = scorer.model.predict_log_income(features)[0]
        sigma = scorer.income_sigma
        share = 1 - norm.cdf((np.log(3000) - mu) / sigma)
        assert rec.livelihood == pytest.approx(rec.score * share, abs=2e-6)
        assert rec.expected_income_mad == pytest.approx(np.exp(mu + sigma**2 / 2), abs=0.01)


def test_reasons_explain_the_livelihood_being_ranked(by_livelihood, person, reference, scorer):
    builder = scorer.pipeline.named_steps["features"]
    for rec in by_livelihood.recommendations:
        top = rec.reasons[0]
        features = scorer.features(pair_frame(person, rec.project_type_id, reference))
        values = {
            "base": features,
            "neutral": neutralise(features, top.factor, builder),
        }
        base, neutral = (
            scorer.objective_values(v, objective="livelihood", livelihood_mad=3000)[0]
            for v in values.values()
        )
        assert base == pytest.approx(rec.livelihood, abs=1e-6)
        assert base - neutral == pytest.approx(top.effect, abs=1e-3)


def test_gaps_follow_livelihood_and_rank_cohort_agrees(by_livelihood, person, reference, scorer):
    ranked = rank_cohort(profiles_frame([person], reference), reference=reference, scorer=scorer)
    shown = [(r.rank, r.project_type_id) for r in by_livelihood.recommendations[:5]]
    assert shown == list(zip(ranked[c.RANK], ranked[c.PROJECT_TYPE_ID], strict=True))
    full = rank_cohort(
        profiles_frame([person], reference), reference=reference, scorer=scorer, top_k=50
    ).set_index(c.PROJECT_TYPE_ID)
    for gap in by_livelihood.qualification_gaps:
        assert gap.objective == "livelihood"
        assert gap.score_without == pytest.approx(full.loc[gap.project_type_id, "livelihood"])
        assert gap.rank_without == full.loc[gap.project_type_id, c.RANK]


def test_a_higher_threshold_lowers_livelihood_not_survival(person, reference, scorer):
    low = recommend(person, reference=reference, scorer=scorer, top_k=5, livelihood_mad=3000)
    high = recommend(person, reference=reference, scorer=scorer, top_k=5, livelihood_mad=6000)
    scores = {r.project_type_id: r for r in low.recommendations}
    for rec in high.recommendations:
        if rec.project_type_id in scores:
            assert rec.score == scores[rec.project_type_id].score
            assert rec.livelihood < scores[rec.project_type_id].livelihood
