"""Tests of matcher.features.builder: hand-computed pair features."""

from __future__ import annotations

import copy
import math

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from matcher.contract import columns as c
from matcher.features.builder import FEATURE_NAMES, INPUT_COLUMNS, PairFeatureBuilder


def pair(project_type_id: str, **overrides) -> dict[str, object]:
    base = {
        c.BENEFICIARY_ID: "B1",
        c.SEX: "M",
        c.AGE: 30,
        c.REGION_ID: "MA-01",
        c.MILIEU: "urban",
        c.EDUCATION_LEVEL: "primary",
        c.TRAININGS: "",
        c.EXPERIENCE: "",
        c.BUDGET_MAD: 50000.0,
        c.PREFERRED_SECTORS: "",
        c.HEALTH_CONSTRAINT: "none",
        c.COMMUNE_CODE: "",
        c.PROJECT_TYPE_ID: project_type_id,
    }
    return base | overrides


def pairs(*rows: dict[str, object]) -> pd.DataFrame:
    frame = pd.DataFrame(list(rows))
    return frame.astype({c.AGE: "int64", c.BUDGET_MAD: "float64"})


@pytest.fixture(scope="module")
def builder(reference):
    return PairFeatureBuilder(reference=reference).fit(pairs(pair("snack_bar")))


def features_of(builder, **kwargs) -> pd.Series:
    ptype = kwargs.pop("project_type_id")
    return builder.transform(pairs(pair(ptype, **kwargs))).iloc[0]


def test_output_columns(builder):
    out = builder.transform(pairs(pair("snack_bar"), pair("apiary")))
    assert list(out.columns) == list(FEATURE_NAMES)
    assert list(builder.get_feature_names_out()) == list(FEATURE_NAMES)
    assert out.index.tolist() == [0, 1]
    assert out["project_type"].tolist() == ["snack_bar", "apiary"]
    assert out["sector"].tolist() == ["catering", "agriculture"]
    assert out["region_sector"].tolist() == ["MA-01|catering", "MA-01|agriculture"]


def test_trained_in_a_required_trade(builder):
    # snack_bar needs cooking_catering or bakery_pastry (catering)
    f = features_of(builder, project_type_id="snack_bar", trainings="bakery_pastry")
    assert f["trained_in_trade"] == 1.0
    assert f["trained_in_sector"] == 1.0
    assert f["needs_trade"] == 1.0


def test_same_sector_only(builder):
    # dairy_processing is a catering trade; street food needs cooking_catering only
    f = features_of(
        builder, project_type_id="traditional_street_food", trainings="dairy_processing"
    )
    assert f["trained_in_trade"] == 0.0
    assert f["trained_in_sector"] == 1.0


def test_training_in_another_sector(builder):
    f = features_of(builder, project_type_id="snack_bar", trainings="joinery;livestock")
    assert f["trained_in_trade"] == 0.0
    assert f["trained_in_sector"] == 0.0


def test_unknown_training_is_ignored(builder):
    f = features_of(builder, project_type_id="snack_bar", trainings="astronaut")
    assert f["trained_in_trade"] == 0.0
    assert f["trained_in_sector"] == 0.0


def test_no_required_trade(builder):
    f = features_of(builder, project_type_id="mobile_coffee_kiosk", trainings="cooking_catering")
    assert f["needs_trade"] == 0.0
    assert f["trained_in_trade"] == 0.0
    assert f["trained_in_sector"] == 1.0


def test_experience_is_log1p_of_the_best_required_trade(builder, reference):
    # aluminium_pvc_joinery (construction) needs ironwork_welding, mirror_work_light_signs, joinery
    assert reference.trades.loc["ironwork_welding", "sector_id"] == "construction"
    f = features_of(
        builder,
        project_type_id="aluminium_pvc_joinery",
        experience="joinery:2;ironwork_welding:7;cooking_catering:9",
    )
    assert f["experience_trade_years"] == pytest.approx(math.log1p(7))
    construction = [
        y
        for t, y in [("joinery", 2), ("ironwork_welding", 7), ("cooking_catering", 9)]
        if reference.trades.loc[t, "sector_id"] == "construction"
    ]
    assert f["experience_sector_years"] == pytest.approx(math.log1p(max(construction)))


def test_experience_in_sector_but_not_in_trade(builder):
    f = features_of(
        builder, project_type_id="traditional_street_food", experience="bakery_pastry:2.5"
    )
    assert f["experience_trade_years"] == 0.0
    assert f["experience_sector_years"] == pytest.approx(math.log1p(2.5))


def test_no_experience(builder):
    f = features_of(builder, project_type_id="snack_bar")
    assert f["experience_trade_years"] == 0.0
    assert f["experience_sector_years"] == 0.0


@pytest.mark.parametrize(
    ("education", "ptype", "shortfall", "margin"),
    [
        ("none", "phone_repair", 2.0, 0.0),  # needs lower_secondary
        ("higher", "phone_repair", 0.0, 2.0),
        ("primary", "snack_bar", 0.0, 0.0),  # needs primary
        ("upper_secondary", "computer_maintenance", 0.0, 0.0),
        ("none", "computer_maintenance", 3.0, 0.0),
    ],
)
def test_education_shortfall_and_margin(builder, education, ptype, shortfall, margin):
    f = features_of(builder, project_type_id=ptype, education_level=education)
    assert (f["education_shortfall"], f["education_margin"]) == (shortfall, margin)


@pytest.mark.parametrize(
    ("budget", "expected"),
    [
        (60000.0, math.log(60000 / 45000)),
        (45000.0, 0.0),
        (0.0, math.log(1 / 45000)),
        (180000.0, math.log(4.0)),
        (900000.0, math.log(4.0)),  # saturates at four times the cost
    ],
)
def test_budget_slack(builder, budget, expected):
    f = features_of(builder, project_type_id="snack_bar", budget_mad=budget)
    assert f["budget_slack"] == pytest.approx(expected)
    assert f["cost_log"] == pytest.approx(math.log(45000))


def test_project_and_age_features(builder):
    f = features_of(builder, project_type_id="snack_bar", age=50, health_constraint="no_heavy_work")
    assert f["physical_demand"] == 1.0  # medium
    assert f["age"] == 50.0
    assert f["age_over_40_x_demand"] == 10.0
    assert f["no_heavy_work"] == 1.0
    assert f["home_based"] == 0.0
    assert f["type_milieu_both"] == 0.0
    g = features_of(builder, project_type_id="home_pastry", age=35, milieu="rural")
    assert g["physical_demand"] == 0.0
    assert g["age_over_40_x_demand"] == 0.0
    assert g["home_based"] == 1.0
    assert g["rural"] == 1.0
    assert f["age_over_50_x_demand"] == 0.0
    h = features_of(builder, project_type_id="sheep_fattening", age=60)
    assert h["physical_demand"] == 2.0
    assert h["age_over_40_x_demand"] == 40.0
    assert h["age_over_50_x_demand"] == 20.0
    assert h["type_milieu_both"] == 0.0
    assert features_of(builder, project_type_id="barber_shop")["type_milieu_both"] == 1.0


@pytest.mark.parametrize(
    ("ptype", "milieu", "outside"),
    [
        ("barber_shop", "urban", 0.0),  # services, both: natural in town
        ("barber_shop", "rural", 1.0),
        ("market_gardening_nursery", "rural", 0.0),  # agriculture, both
        ("market_gardening_nursery", "urban", 1.0),
        ("snack_bar", "urban", 0.0),  # urban only: never "outside"
        ("sheep_fattening", "rural", 0.0),
    ],
)
def test_outside_natural_milieu(builder, ptype, milieu, outside):
    f = features_of(builder, project_type_id=ptype, milieu=milieu)
    assert f["outside_natural_milieu"] == outside


def test_preferences(builder):
    f = features_of(builder, project_type_id="snack_bar", preferred_sectors="crafts;catering")
    assert (f["prefers_sector"], f["has_preferences"]) == (1.0, 1.0)
    g = features_of(builder, project_type_id="snack_bar", preferred_sectors="crafts")
    assert (g["prefers_sector"], g["has_preferences"]) == (0.0, 1.0)
    h = features_of(builder, project_type_id="snack_bar")
    assert (h["prefers_sector"], h["has_preferences"]) == (0.0, 0.0)


LOCAL = [
    "local_urban_share",
    "local_unemployment",
    "local_activity",
    "local_self_employed",
    "local_one_person",
    "competition_index",
    "local_density_all",
    "agri_rural_share",
]


def national_services_density(reference) -> float:
    """Population-weighted mean of the regions' services density."""
    lp = reference.local_profiles
    regions = lp[lp["level"] == "region"].set_index("region_id")
    pop = reference.regions["population"].reindex(regions.index)
    return float((regions["estab_services_per_1000"] * pop).sum() / pop.sum())


def test_commune_lookup_and_region_fallback(builder, reference):
    lp = reference.local_profiles
    communes = lp[(lp["level"] == "commune") & (lp["region_id"] == "MA-01")]
    region_row = lp.loc["MA-01"]
    # a commune whose figures differ from the region's
    commune = communes.loc[communes["unemployment_rate"] != region_row["unemployment_rate"]].iloc[0]
    frame = builder.transform(
        pairs(
            pair("snack_bar", commune_code=str(commune["code"])),
            pair("snack_bar", commune_code=""),
            pair("snack_bar", commune_code="99.999.99.99"),
        )
    )
    known, blank, unknown = (frame.iloc[i] for i in range(3))
    assert known["local_unemployment"] == pytest.approx(commune["unemployment_rate"])
    assert known["local_urban_share"] == pytest.approx(commune["urban_share"])
    # snack_bar is catering: its competition is the census "services" density
    national = national_services_density(reference)
    expected = math.log((commune["estab_services_per_1000"] + 0.5) / (national + 0.5))
    assert known["competition_index"] == pytest.approx(max(-2.0, min(2.0, expected)))
    assert known["agri_rural_share"] == 0.0
    assert known["local_density_all"] == pytest.approx(
        sum(
            commune[f"estab_{k}_per_1000"]
            for k in ("commerce", "services", "industry", "construction")
        )
    )
    assert blank["local_unemployment"] == pytest.approx(region_row["unemployment_rate"])
    assert blank["local_activity"] == pytest.approx(region_row["activity_rate"])
    pd.testing.assert_series_equal(blank[LOCAL], unknown[LOCAL], check_names=False)
    assert known["local_unemployment"] != blank["local_unemployment"]
    # regional figures never depend on the commune
    for row_ in (known, blank, unknown):
        assert row_["region_unemployment"] == pytest.approx(
            reference.regions.loc["MA-01", "unemployment_rate"]
        )
        assert row_["region_poverty"] == pytest.approx(
            reference.regions.loc["MA-01", "poverty_rate"]
        )


def test_agriculture_has_no_census_competition(builder, reference):
    f = features_of(builder, project_type_id="apiary")
    assert f["competition_index"] == 0.0
    assert not np.isnan(f["local_density_all"])
    region = reference.local_profiles.loc["MA-01"]
    assert f["local_urban_share"] == pytest.approx(region["urban_share"])
    assert f["agri_rural_share"] == pytest.approx(1.0 - region["urban_share"])


def test_sex_does_not_change_features(builder):
    rows = [
        pair("snack_bar", trainings="cooking_catering", experience="bakery_pastry:2"),
        pair("apiary", milieu="rural", preferred_sectors="agriculture"),
    ]
    women = builder.transform(pairs(*(r | {c.SEX: "F"} for r in rows)))
    men = builder.transform(pairs(*(r | {c.SEX: "M"} for r in rows)))
    pd.testing.assert_frame_equal(women, men)
    no_sex = builder.transform(pairs(*rows).drop(columns=[c.SEX]))
    pd.testing.assert_frame_equal(no_sex, men)
    assert c.SEX not in INPUT_COLUMNS


def test_unknown_project_type(builder):
    with pytest.raises(ValueError, match="unknown project_type_id 'moon_base'"):
        builder.transform(pairs(pair("snack_bar"), pair("moon_base")))


def test_missing_pair_column(builder):
    with pytest.raises(ValueError, match="lacks pair columns"):
        builder.transform(pairs(pair("snack_bar")).drop(columns=[c.BUDGET_MAD]))


def test_not_a_frame(builder):
    with pytest.raises(ValueError, match="DataFrame"):
        builder.transform(np.zeros((1, len(INPUT_COLUMNS))))


def test_fit_needs_a_reference():
    with pytest.raises(ValueError, match="reference must be a matcher Reference"):
        PairFeatureBuilder().fit(pairs(pair("snack_bar")))


def test_transform_before_fit(reference):
    with pytest.raises(NotFittedError):
        PairFeatureBuilder(reference=reference).transform(pairs(pair("snack_bar")))


def test_transform_does_not_mutate_its_input(builder):
    X = pairs(
        pair("snack_bar", trainings="cooking_catering", commune_code="01.511.01.0"),
        pair("apiary", experience="beekeeping:3"),
    )
    before = copy.deepcopy(X)
    builder.transform(X)
    pd.testing.assert_frame_equal(X, before)


def test_row_order_and_index_are_kept(builder):
    X = pairs(
        pair("snack_bar", trainings="cooking_catering"),
        pair("apiary", budget_mad=30000.0),
        pair("barber_shop", age=55),
    )
    X.index = [10, 5, 7]
    out = builder.transform(X)
    assert out.index.tolist() == [10, 5, 7]
    reversed_out = builder.transform(X.iloc[::-1])
    pd.testing.assert_frame_equal(out.iloc[::-1], reversed_out)


def test_columns_of_a_mapping_equal_the_frame(builder, reference):
    """The serving path passes plain arrays; features must not depend on the container."""
    rows = [
        pair(
            t,
            **{
                c.TRAININGS: "cooking_catering;ironwork_welding",
                c.EXPERIENCE: "ironwork_welding:3",
                c.PREFERRED_SECTORS: "crafts",
                c.COMMUNE_CODE: code,
                c.REGION_ID: region,
            },
        )
        for t in ("snack_bar", "welding_ironwork", "apiary")
        for code, region in (("", "MA-01"), ("01.511.01.0", "MA-01"), ("", "MA-12"))
    ]
    frame = pairs(*rows)
    mapping = {
        col: frame[col].to_numpy(dtype=object if frame[col].dtype == "str" else None)
        for col in frame.columns
    }
    expected = builder.transform(frame)
    got = builder.transform_columns(mapping)
    assert list(got) == list(FEATURE_NAMES)
    for name in FEATURE_NAMES:
        np.testing.assert_array_equal(got[name], expected[name].to_numpy(), err_msg=name)


def test_category_values_cover_every_output(builder, reference):
    values = builder.category_values()
    frame = pairs(
        *[
            pair(t, **{c.REGION_ID: r, c.MILIEU: "rural"})
            for t in reference.project_types.index
            for r in reference.regions.index
        ]
    )
    out = builder.transform(frame)
    for name, known in values.items():
        assert set(out[name]) <= set(known), name
    assert len(values["region_sector"]) == len(values["region"]) * len(values["sector"])


def incomes_history(cells: dict[tuple[str, str], float], n: int = 30) -> pd.DataFrame:
    """``n`` funded projects per (project type, region) cell, all active, with an income."""
    rows = []
    for (ptype, region), income in cells.items():
        for i in range(n):
            wiggle = 1.0 + 0.02 * ((i % 5) - 2)  # a little noise, mean 1
            rows.append(
                pair(ptype, region_id=region, age=25 + i % 20)
                | {c.MONTHLY_INCOME_MAD: income * wiggle}
            )
    return pairs(*rows)


def test_income_records_are_zero_without_incomes(reference):
    history = incomes_history({("fish_selling_motorbike", "MA-01"): 3000.0}).drop(
        columns=[c.MONTHLY_INCOME_MAD]
    )
    fitted = PairFeatureBuilder(reference=reference).fit(history)
    out = fitted.transform(history)
    assert (out["type_income_record"] == 0.0).all()
    assert (out["market_income_record"] == 0.0).all()


def test_type_income_record_follows_the_incomes_of_active_projects(reference):
    # Same sector, cost, milieu and demand: only the type dummies can tell them apart.
    history = incomes_history(
        {("fish_selling_motorbike", "MA-01"): 6000.0, ("fruit_vegetable_vending", "MA-01"): 3000.0}
    )
    fitted = PairFeatureBuilder(reference=reference).fit(history)
    out = fitted.transform(pairs(pair("fish_selling_motorbike"), pair("fruit_vegetable_vending")))
    gap = out["type_income_record"].iloc[0] - out["type_income_record"].iloc[1]
    assert 0.5 < gap < math.log(2.0)  # log(6000 / 3000), shrunk a little by the ridge
    # A type no active project had gets no record.
    assert features_of(fitted, project_type_id="apiary")["type_income_record"] == 0.0


def test_market_income_record_is_per_region_and_sector(reference):
    # Catering and services share one census category, so no local feature varies by
    # region x sector here: only the market dummies can hold the one better market.
    history = incomes_history(
        {
            ("mobile_coffee_kiosk", "MA-01"): 6000.0,
            ("mobile_coffee_kiosk", "MA-02"): 3000.0,
            ("mobile_car_wash", "MA-01"): 3000.0,
            ("mobile_car_wash", "MA-02"): 3000.0,
        }
    )
    fitted = PairFeatureBuilder(reference=reference).fit(history)
    out = fitted.transform(
        pairs(
            pair("mobile_coffee_kiosk", region_id="MA-01"),
            pair("mobile_coffee_kiosk", region_id="MA-02"),
            pair("mobile_car_wash", region_id="MA-01"),
            pair("snack_bar", region_id="MA-01"),  # same market as the first row
            pair("mobile_coffee_kiosk", region_id="MA-05"),  # a market never funded
        )
    )
    record = out["market_income_record"].to_numpy()
    # The interaction is log(2); the four market dummies share it (+-log(2) / 4 each).
    assert 0.25 < record[0] - record[1] < math.log(2.0) / 2
    assert record[0] == record.max()
    assert record[3] == record[0]
    assert record[4] == 0.0


def test_income_records_ignore_inactive_and_missing_incomes(reference):
    history = incomes_history(
        {("fish_selling_motorbike", "MA-01"): 6000.0, ("fruit_vegetable_vending", "MA-01"): 3000.0}
    )
    noisy = pd.concat(
        [
            history,
            pairs(*[pair("fruit_vegetable_vending", age=40) for _ in range(20)]).assign(
                **{c.MONTHLY_INCOME_MAD: [0.0, np.nan] * 10}
            ),
        ],
        ignore_index=True,
    )
    clean = PairFeatureBuilder(reference=reference).fit(history)
    mixed = PairFeatureBuilder(reference=reference).fit(noisy)
    np.testing.assert_allclose(mixed.type_income_, clean.type_income_)
    np.testing.assert_allclose(mixed.market_income_values_, clean.market_income_values_)


def test_too_few_incomes_learn_no_record(reference):
    history = incomes_history({("fish_selling_motorbike", "MA-01"): 6000.0}, n=10)
    fitted = PairFeatureBuilder(reference=reference).fit(history)
    assert not fitted.type_income_.any()
    assert fitted.market_income_keys_ == []


def test_training_tables_against_a_per_trade_reading(builder):
    """The matrix form agrees with reading each cell trade by trade."""
    from matcher.features import skill_match as skills

    trades = skills.TradeCatalogue(
        builder.trade_ids_, builder.required_, builder.trade_sector_, builder.type_sector_
    )
    rng = np.random.default_rng(3)
    pool = [*builder.trade_ids_, "not_a_trade", ""]
    cells = [";".join(rng.choice(pool, size=rng.integers(0, 4), replace=False)) for _ in range(200)]
    exact, sector = skills.training_tables(cells, trades)
    for u, cell in enumerate(cells):
        known = [builder.trade_ids_.index(t) for t in cell.split(";") if t in builder.trade_ids_]
        for k in range(len(builder.project_type_ids_)):
            assert exact[u, k] == float(any(builder.required_[k, i] for i in known))
            sectors = {int(builder.trade_sector_[i]) for i in known}
            assert sector[u, k] == float(int(builder.type_sector_[k]) in sectors)
