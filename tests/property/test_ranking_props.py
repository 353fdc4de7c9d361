"""Property tests of the ranking through rank_cohort and recommend, with the session model.

Profiles are drawn with explicit strategies from the shipped catalogue's regions,
communes, trades and sectors (``st.builds`` would ignore the pydantic constraints).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matcher.contract import columns as c
from matcher.contract.profile_table import profiles_frame
from matcher.domain import EDUCATION_LEVELS, Profile
from matcher.reference import load_reference
from matcher.service import rank_cohort, recommend

CATALOGUE = load_reference(Path(__file__).resolve().parents[2] / "data_samples" / "reference")
REGIONS = sorted(str(r) for r in CATALOGUE.regions.index)
TRADES = sorted(str(t) for t in CATALOGUE.trades.index)
SECTORS = sorted(str(s) for s in CATALOGUE.sectors.index)
COMMUNES: dict[str, list[str]] = {}
for code, region in CATALOGUE.commune_region().items():
    COMMUNES.setdefault(region, []).append(code)

RANKING = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def profiles(draw, bid: str) -> Profile:
    region = draw(st.sampled_from(REGIONS))
    commune = draw(st.none() | st.sampled_from(sorted(COMMUNES[region])[:50]))
    exp_trades = draw(st.lists(st.sampled_from(TRADES), max_size=3, unique=True))
    age = draw(st.integers(18, 75))
    # plausibility: years in a trade <= age - 14, three trades <= twice that
    most = min(30, (age - 14) * 2 // 3)
    return Profile(
        beneficiary_id=bid,
        sex=draw(st.sampled_from(["F", "M"])),
        age=age,
        region_id=region,
        milieu=draw(st.sampled_from(["urban", "rural"])),
        education_level=draw(st.sampled_from(EDUCATION_LEVELS)),
        trainings=tuple(draw(st.lists(st.sampled_from(TRADES), max_size=3))),
        experience=tuple(
            {"trade_id": t, "years": draw(st.decimals(0, most, places=1).map(float))}
            for t in exp_trades
        ),
        budget_mad=float(draw(st.integers(0, 120)) * 1000),
        preferred_sectors=tuple(draw(st.lists(st.sampled_from(SECTORS), max_size=3))),
        health_constraint=draw(st.sampled_from(["none", "no_heavy_work"])),
        commune_code=commune,
    )


@st.composite
def cohorts(draw) -> list[Profile]:
    n = draw(st.integers(1, 4))
    return [draw(profiles(f"P{i}")) for i in range(n)]


def eligible_by_hand(profile: Profile, reference) -> set[str]:
    pt = reference.project_types
    ok = (
        (pt["typical_cost_mad"] <= profile.budget_mad)
        & pt["milieu"].isin(["both", profile.milieu.value])
        & ~(
            (profile.health_constraint.value == "no_heavy_work") & (pt["physical_demand"] == "high")
        )
    )
    return {str(t) for t in pt.index[ok]}


@pytest.fixture(scope="module")
def shuffled_reference(reference):
    order = np.random.default_rng(7).permutation(len(reference.project_types))
    return dataclasses.replace(reference, project_types=reference.project_types.iloc[order])


@RANKING
@given(people=cohorts(), top_k=st.integers(1, 12))
def test_rank_cohort_invariants(reference, scorer, shuffled_reference, people, top_k):
    frame = profiles_frame(people, reference)
    ranked = rank_cohort(frame, reference=reference, scorer=scorer, top_k=top_k)
    for p in people:
        mine = ranked.loc[ranked[c.BENEFICIARY_ID] == p.beneficiary_id]
        eligible = eligible_by_hand(p, reference)
        n = min(top_k, len(eligible))
        assert len(mine) == n
        assert mine[c.RANK].tolist() == list(range(1, n + 1))
        # rank follows the objective: livelihood when the version has an income part
        scores = mine["livelihood" if scorer.has_income else c.SCORE].to_numpy()
        assert (np.diff(scores) <= 0).all()
        assert ((scores >= 0) & (scores <= 1)).all()
        assert (mine["score_low"] <= mine[c.SCORE]).all()
        assert (mine[c.SCORE] <= mine["score_high"]).all()
        assert mine[c.PROJECT_TYPE_ID].is_unique
        assert set(mine[c.PROJECT_TYPE_ID]) <= eligible
        if n:
            assert set(mine["n_eligible"]) == {len(eligible)}
        ids = mine[c.PROJECT_TYPE_ID].tolist()
        for k in range(n - 1):
            if scores[k] == scores[k + 1]:
                assert ids[k] < ids[k + 1]
    again = rank_cohort(frame, reference=reference, scorer=scorer, top_k=top_k)
    assert again.equals(ranked)
    reordered = rank_cohort(frame, reference=shuffled_reference, scorer=scorer, top_k=top_k)
    assert reordered.equals(ranked)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(person=profiles("Q1"), top_k=st.integers(1, 8))
def test_recommend_invariants(reference, scorer, person, top_k):
    result = recommend(person, reference=reference, scorer=scorer, top_k=top_k, with_gaps=False)
    eligible = eligible_by_hand(person, reference)
    recs = result.recommendations
    assert result.n_eligible == len(eligible)
    assert len(recs) == min(top_k, len(eligible))
    assert [r.rank for r in recs] == list(range(1, len(recs) + 1))
    assert {r.project_type_id for r in recs} <= eligible
    excluded = {e.project_type_id: e for e in result.excluded}
    assert set(excluded) == set(reference.project_type_ids) - eligible
    assert all(e.reason in e.reasons and e.reasons for e in excluded.values())
    ranked = rank_cohort(
        profiles_frame([person], reference), reference=reference, scorer=scorer, top_k=top_k
    )
    assert [(r.project_type_id, r.score) for r in recs] == list(
        zip(ranked[c.PROJECT_TYPE_ID], ranked[c.SCORE], strict=True)
    )
