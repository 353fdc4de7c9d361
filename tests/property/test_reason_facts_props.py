"""Every reason shown, in every language, states something true of the person and the project.

Profiles are drawn from the shipped catalogue; each sentence of each recommendation
is read back against the templates of :data:`matcher.wording.FACT_TEXT` (which
fact it states and which trades it names, by their names in that language), and the
fact is then checked by hand against the profile and the project type's row of the
catalogue, not against the model's features.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matcher.domain import EDUCATION_LEVELS, Profile, Recommendation
from matcher.model.explanation import NEUTRAL_BUDGET_SLACK
from matcher.reference import Reference, load_reference
from matcher.service import recommend
from matcher.wording import (
    ALTERNATIVE,
    FACT_TEXT,
    LANGUAGES,
    LIST_SEPARATOR,
    MISSING_TRADE_TEXT,
    REASON_TEXT,
)

CATALOGUE = load_reference(Path(__file__).resolve().parents[2] / "data_samples" / "reference")
REGIONS = sorted(str(r) for r in CATALOGUE.regions.index)
TRADES = sorted(str(t) for t in CATALOGUE.trades.index)
SECTORS = sorted(str(s) for s in CATALOGUE.sectors.index)
FACTS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def profiles(draw) -> Profile:
    age = draw(st.integers(18, 75))
    exp_trades = draw(st.lists(st.sampled_from(TRADES), max_size=3, unique=True))
    max_years = max(age - 14, 0)
    # the profile rules allow at most age - 14 years in a trade and twice that in all
    per_trade = min(max_years, 20, (2 * max_years) // max(len(exp_trades), 1))
    return Profile(
        beneficiary_id="P1",
        sex=draw(st.sampled_from(["F", "M"])),
        age=age,
        region_id=draw(st.sampled_from(REGIONS)),
        milieu=draw(st.sampled_from(["urban", "rural"])),
        education_level=draw(st.sampled_from(EDUCATION_LEVELS)),
        trainings=tuple(draw(st.lists(st.sampled_from(TRADES), max_size=3))),
        experience=tuple(
            {"trade_id": t, "years": draw(st.integers(0, per_trade * 2)) / 2} for t in exp_trades
        ),
        budget_mad=float(draw(st.integers(5, 150)) * 1000),
        preferred_sectors=tuple(draw(st.lists(st.sampled_from(SECTORS), max_size=3))),
        health_constraint=draw(st.sampled_from(["none", "no_heavy_work"])),
    )


def template_regex(template: str) -> re.Pattern[str]:
    return re.compile(
        "^" + re.escape(template).replace(re.escape("{trades}"), "(?P<trades>.+)") + "$"
    )


def read_sentence(factor: str, text: str, lang: str, raises: bool) -> tuple[str, list[str]]:
    """Which fact a sentence states, and the trade ids it names (by their names in ``lang``)."""
    for fact, texts in FACT_TEXT.get(factor, {}).items():
        match = template_regex(texts[lang][0 if raises else 1]).match(text)
        if match:
            named = match.groupdict().get("trades")
            if named is None:
                return fact, []
            by_name = {CATALOGUE.names[t][lang]: t for t in TRADES}
            return fact, [by_name[name] for name in named.split(LIST_SEPARATOR[lang])]
    assert text == REASON_TEXT[factor][lang][0 if raises else 1], (factor, lang, text)
    return "", []


def holds(
    profile: Profile, ptype: str, factor: str, fact: str, named: list[str], raises: bool
) -> bool:
    """The fact, checked by hand from the profile and the catalogue row of the type."""
    row = CATALOGUE.project_types.loc[ptype]
    required = set(row["required_trades"])
    sector = str(row["sector_id"])
    if factor in ("training", "experience"):
        held = (
            set(profile.trainings)
            if factor == "training"
            else {e.trade_id for e in profile.experience if e.years > 0}
        )
        in_sector = {t for t in held if CATALOGUE.trade_sector[t] == sector}
        if fact == "trade":
            return bool(named) and set(named) <= held & required
        if fact == "sector":
            return (
                bool(required)
                and not held & required
                and bool(named)
                and set(named) == in_sector - required
            )
        if fact == "no_trade":
            return not required and bool(named) and set(named) == in_sector
        return False  # "none" has no effect: it is never shown
    if factor == "education":
        person = EDUCATION_LEVELS.index(profile.education_level.value)
        minimum = EDUCATION_LEVELS.index(str(row["min_education"]))
        return {"above": person > minimum, "at": person == minimum, "below": person < minimum}[fact]
    if factor == "preference":
        return (sector in profile.preferred_sectors) == (fact == "wanted")
    if factor == "milieu":
        agriculture = sector == "agriculture"
        rural = profile.milieu.value == "rural"
        outside = row["milieu"] == "both" and agriculture != rural
        return outside == (fact == "outside")
    if factor == "age_demand":
        return (row["physical_demand"] != "low") == (fact == "demanding")
    if factor == "budget":
        slack = math.log(min(profile.budget_mad / float(row["typical_cost_mad"]), 4.0))
        return (slack > NEUTRAL_BUDGET_SLACK) == raises
    return fact == ""  # the market: the model's judgement of the place, by direction


def check_missing_trade_note(profile: Profile, rec: Recommendation, reference: Reference) -> None:
    required = list(reference.type_required_trades[rec.project_type_id])
    held = set(profile.trainings) | {e.trade_id for e in profile.experience if e.years > 0}
    lacks = bool(required) and not held & set(required)
    assert (rec.missing_trade_text is not None) == lacks, rec.project_type_id
    if lacks:
        assert rec.missing_trade_text is not None
        for lang in LANGUAGES:
            names = ALTERNATIVE[lang].join(reference.names[t][lang] for t in required)
            assert rec.missing_trade_text[lang] == MISSING_TRADE_TEXT[lang].replace(
                "{trades}", names
            )


@FACTS
@given(profile=profiles())
def test_every_reason_states_a_true_fact_in_every_language(profile, reference, scorer):
    result = recommend(profile, reference=reference, scorer=scorer, top_k=8, with_gaps=False)
    for rec in result.recommendations:
        check_missing_trade_note(profile, rec, reference)
        for reason in rec.reasons:
            raises = reason.effect > 0
            read = {
                lang: read_sentence(reason.factor, reason.text[lang], lang, raises)
                for lang in LANGUAGES
            }
            # the three languages state the same fact about the same trades
            assert len({(fact, tuple(named)) for fact, named in read.values()}) == 1, read
            fact, named = read["en"]
            assert fact == reason.fact
            assert holds(profile, rec.project_type_id, reason.factor, fact, named, raises), (
                rec.project_type_id,
                reason,
                profile,
            )
