"""The words of a reason are chosen from the pair's facts: trade, same sector, no trade needed.

The sentences a counsellor reads are checked whole, for the cases of issue 13: a
hairdresser offered a triporteur (needs no trade), shoe repair (needs leather goods)
and a barber's; a welder offered plumbing.
"""

from __future__ import annotations

import pytest

from matcher.domain import Profile
from matcher.model.facts import Fact, PairTrades, pair_facts, skill_fact
from matcher.service import recommend

SECTORS = {"a1": "crafts", "a2": "crafts", "b1": "services"}


def trades(trainings=(), experience=None, required=("a1",), sector="crafts") -> PairTrades:
    return PairTrades(
        trainings=trainings,
        experience=experience or {},
        required=required,
        type_sector=sector,
        trade_sector=SECTORS,
    )


def features(**values: float) -> dict[str, float]:
    base = dict.fromkeys(
        [
            "trained_in_trade",
            "trained_in_sector",
            "experience_trade_years",
            "experience_sector_years",
            "needs_trade",
            "education_shortfall",
            "education_margin",
            "prefers_sector",
            "outside_natural_milieu",
            "physical_demand",
        ],
        0.0,
    )
    return base | values


def test_trained_in_a_trade_the_project_needs():
    fact = skill_fact(
        "training",
        features(trained_in_trade=1, trained_in_sector=1, needs_trade=1),
        trades(trainings=("a1", "b1")),
    )
    assert fact == Fact("trade", ("a1",))


def test_trained_in_another_trade_of_the_sector():
    fact = skill_fact(
        "training", features(trained_in_sector=1, needs_trade=1), trades(trainings=("a2", "b1"))
    )
    assert fact == Fact("sector", ("a2",))


def test_the_project_needs_no_trade():
    fact = skill_fact(
        "training",
        features(trained_in_sector=1, needs_trade=0),
        trades(trainings=("a2",), required=()),
    )
    assert fact == Fact("no_trade", ("a2",))
    nothing = skill_fact("training", features(needs_trade=0), trades(required=()))
    assert nothing == Fact("none")


def test_experience_facts_count_only_years_worked():
    fact = skill_fact(
        "experience",
        features(experience_sector_years=1.1, needs_trade=1),
        trades(experience={"a1": 0.0, "a2": 2.0}),
    )
    assert fact == Fact("sector", ("a2",))
    assert trades(experience={"a1": 0.0}).missing() == ("a1",)
    assert trades(experience={"a1": 0.5}).missing() == ()
    assert trades(trainings=("a1",)).missing() == ()
    assert trades(required=()).missing() == ()


def test_other_person_facts():
    facts = pair_facts(
        features(education_shortfall=1, prefers_sector=1, outside_natural_milieu=1),
        trades(),
    )
    assert facts["education"].kind == "below"
    assert facts["preference"].kind == "wanted"
    assert facts["milieu"].kind == "outside"
    assert facts["age_demand"].kind == "light"
    assert (
        pair_facts(features(education_margin=2, physical_demand=2), trades())["education"].kind
        == "above"
    )


def hairdresser(**changes: object) -> Profile:
    fields: dict[str, object] = {
        "beneficiary_id": "H1",
        "sex": "F",
        "age": 30,
        "region_id": "MA-06",
        "milieu": "urban",
        "education_level": "primary",
        "trainings": ("womens_hairdressing_aesthetics",),
        "experience": ({"trade_id": "womens_hairdressing_aesthetics", "years": 3},),
        "budget_mad": 60000,
    }
    return Profile.model_validate(fields | changes)


@pytest.fixture(scope="module")
def options(reference, scorer):
    result = recommend(hairdresser(), reference=reference, scorer=scorer, top_k=50)
    return {rec.project_type_id: rec for rec in result.recommendations}


def texts(rec, factor: str, lang: str) -> list[str]:
    return [r.text[lang] for r in rec.reasons if r.factor == factor]


def test_the_hairdresser_reads_what_is_true_of_each_option(options):
    salon = options["womens_beauty_salon"]
    assert texts(salon, "training", "fr") == [
        "Formation en Coiffure dames & esthétique, un métier que ce projet demande"
    ]
    assert salon.missing_trade_text is None
    triporteur = options["triporteur_transport"]
    for sentence in texts(triporteur, "training", "en"):
        assert sentence == (
            "Trained in Women's hairdressing & aesthetics, a trade of the same sector; "
            "this project needs no particular trade"
        )
    assert triporteur.missing_trade_text is None
    shoes = options["shoe_repair"]
    assert texts(shoes, "training", "fr") == [
        "Formation en Coiffure dames & esthétique, un autre métier du même secteur "
        "(pas un métier que ce projet demande)"
    ]
    assert shoes.missing_trades == ("leather_goods",)
    assert shoes.missing_trade_text == {
        "fr": "Demande un métier que la personne n'a pas : Maroquinerie & travail du cuir",
        "ar": "يتطلب حرفة لا يتقنها المستفيد: صناعة الجلد",
        "en": "Needs a trade the person does not hold: Leather goods",
    }
    # the old words, false for every option but the salon, are gone from all of them
    for ptype, rec in options.items():
        for reason in rec.reasons:
            if ptype != "womens_beauty_salon" and reason.factor == "training":
                assert "a trade this project needs" not in reason.text["en"], ptype


def test_the_welder_is_told_he_lacks_the_plumbing_trade(reference, scorer):
    welder = hairdresser(trainings=("ironwork_welding",), experience=(), sex="M")
    result = recommend(welder, reference=reference, scorer=scorer, top_k=50)
    options = {rec.project_type_id: rec for rec in result.recommendations}
    assert options["sanitary_plumber"].missing_trade_text == {
        "fr": "Demande un métier que la personne n'a pas : Plomberie sanitaire",
        "ar": "يتطلب حرفة لا يتقنها المستفيد: الترصيص الصحي",
        "en": "Needs a trade the person does not hold: Sanitary plumbing",
    }
    babouches = options["leather_babouches"].missing_trade_text
    assert babouches is not None
    assert babouches["en"] == (
        "Needs a trade the person does not hold: Leather goods or Traditional crafts"
    )
    assert options["welding_ironwork"].missing_trade_text is None
    for rec in result.recommendations:
        needs = reference.type_required_trades[rec.project_type_id]
        lacks = bool(needs) and "ironwork_welding" not in needs
        assert (rec.missing_trade_text is not None) == lacks, rec.project_type_id
