"""Pair features: how well one project type suits one person in one place.

:class:`PairFeatureBuilder` is the first step of the model pipeline, so training,
the API and batch scoring share exactly one transformation. Its input is a
*pairs frame*: the canonical profile columns (lists as ``a;b`` text) plus
``project_type_id``. It is vectorised: list cells are parsed once per distinct
value and looked up in small (distinct value x project type) tables.

``sex`` is never read: it is kept outside the model for the fairness audit.

The builder learns one thing from the rows it is fitted on: the *income record*
of each project type and of each region x sector market, i.e. how much more or
less than comparable people the active businesses of that type (that market)
earned at 12 months (``monthly_income_mad``, log scale, adjusted for the pair
features by a ridge regression). A type's survival is estimated from ~100 funded
projects, a 0/1 outcome each; the incomes of the same projects carry more
information about how well such a business does, so the model uses the records
as the prior centre of the per-type and per-market effects. Without incomes in
the fitted rows (the column is optional) both records are 0.

The builder holds the fitted state and assembles the features; the pure parts
live beside it: :mod:`matcher.features.names` (the output names, re-exported
here), :mod:`matcher.features.skill_match` (trainings, experience and preferences per project
type), :mod:`matcher.features.local_market` (local indicators) and
:mod:`matcher.features.income_records` (the income regression).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Self

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from matcher.contract import columns as c
from matcher.domain import EDUCATION_LEVELS, PHYSICAL_DEMANDS
from matcher.features import income_records, local_market, skill_match
from matcher.features.id_positions import Lookup, factorize
from matcher.features.income_records import INCOME_RIDGE_ALPHA as INCOME_RIDGE_ALPHA
from matcher.features.income_records import MIN_INCOME_ROWS as MIN_INCOME_ROWS
from matcher.features.local_market import CENSUS_CATEGORY as CENSUS_CATEGORY
from matcher.features.local_market import DENSITY_COLUMNS as DENSITY_COLUMNS
from matcher.features.names import CATEGORICAL_FEATURES as CATEGORICAL_FEATURES
from matcher.features.names import FEATURE_NAMES as FEATURE_NAMES
from matcher.features.names import INCOME_RECORD_FEATURES as INCOME_RECORD_FEATURES
from matcher.features.names import LOCAL_FEATURES as LOCAL_FEATURES
from matcher.features.names import MONOTONIC_DECREASING as MONOTONIC_DECREASING
from matcher.features.names import MONOTONIC_INCREASING as MONOTONIC_INCREASING
from matcher.features.names import NUMERIC_FEATURES as NUMERIC_FEATURES
from matcher.features.names import PERSON_FIT_FEATURES as PERSON_FIT_FEATURES
from matcher.features.names import PROJECT_FEATURES as PROJECT_FEATURES
from matcher.reference import Reference

FEATURE_VERSION: Final = 3
"""Bumped whenever the features or the builder's fitted state change: artefacts
built with another version are refused by the registry instead of failing later."""

INPUT_COLUMNS: Final[tuple[str, ...]] = (
    c.AGE,
    c.REGION_ID,
    c.MILIEU,
    c.EDUCATION_LEVEL,
    c.TRAININGS,
    c.EXPERIENCE,
    c.BUDGET_MAD,
    c.PREFERRED_SECTORS,
    c.HEALTH_CONSTRAINT,
    c.COMMUNE_CODE,
    c.PROJECT_TYPE_ID,
)
"""Columns the builder reads from a pairs frame (``sex`` is not among them)."""

MAX_BUDGET_RATIO: Final = 4.0
"""Budget beyond four times the cost adds nothing more (working capital saturates)."""

_EDUCATION: Final = Lookup(EDUCATION_LEVELS)

FeatureColumns = dict[str, NDArray[Any]]
"""Features as plain arrays by name: float64 for numeric, object (str) for categories."""


def _text(values: Any) -> NDArray[np.object_]:
    """A column as a plain object array of str ("" for missing): fast for small frames."""
    if isinstance(values, pd.Series):
        values = values.to_numpy(dtype=object, na_value="")
    return np.asarray(values, dtype=object)


def n_rows(columns: pd.DataFrame | Mapping[str, Any]) -> int:
    """Rows of a frame or of a mapping of equal-length columns."""
    if isinstance(columns, pd.DataFrame):
        return len(columns)
    return len(next(iter(columns.values()))) if columns else 0


def feature_frame(columns: Mapping[str, Any], index: pd.Index | None = None) -> pd.DataFrame:
    """Feature columns as the model step receives them (categories as object columns).

    Object columns are kept as such: pandas would otherwise infer Arrow-backed
    strings, which cost more than the arithmetic on a few hundred rows.
    """
    return pd.DataFrame(
        {
            name: pd.Series(values, index=index, dtype=object)
            if np.asarray(values).dtype == object
            else values
            for name, values in columns.items()
        },
        index=index,
    )


def _factorize(values: Any) -> tuple[NDArray[np.intp], list[str]]:
    codes, uniques = factorize(_text(values))
    return codes, [str(u) for u in uniques]


class PairFeatureBuilder(TransformerMixin, BaseEstimator):
    """Turn (profile, project type) pairs into model features.

    Parameters
    ----------
    reference : Reference or None
        The catalogue the pairs refer to (project types, trades, regions, local
        profiles). Required at ``fit``.

    Attributes
    ----------
    project_type_ids_ : list of str
        Known project types, in catalogue order.
    trade_ids_ : list of str
        Trade vocabulary.
    type_income_ : ndarray of float
        Income record of each project type (log scale; 0 without incomes).
    market_income_keys_ : list of str
        ``region|sector`` keys with a market income record.
    market_income_values_ : ndarray of float
        Their records (other markets get 0).
    feature_names_out_ : ndarray of str
        Output column names.

    Examples
    --------
    >>> from matcher.reference import load_reference
    >>> builder = PairFeatureBuilder(reference=load_reference("data_samples/reference"))
    >>> builder = builder.fit(pairs_frame)  # doctest: +SKIP
    """

    def __init__(self, *, reference: Reference | None = None) -> None:
        self.reference = reference

    # -- fitting -----------------------------------------------------------------
    def fit(self, X: pd.DataFrame, y: object = None) -> Self:
        """Learn the catalogue lookups and the income records of ``X``'s active projects.

        ``X`` needs the pair columns; ``monthly_income_mad`` is optional (rows
        with a positive income are the active projects that reported one).
        ``y`` is not used.
        """
        if not isinstance(self.reference, Reference):
            raise ValueError(
                f"reference must be a matcher Reference, got {type(self.reference).__name__}"
            )
        self._check_columns(X)
        self.__dict__.pop("_lookups", None)
        ref = self.reference
        types = ref.project_types
        self.project_type_ids_ = [str(i) for i in types.index]
        self.trade_ids_ = [str(i) for i in ref.trades.index]
        self.required_ = skill_match.required_trades(
            list(types["required_trades"]), self.trade_ids_
        )
        self.trade_sector_ = skill_match.sector_positions(list(ref.trades["sector_id"]))
        self.type_sector_ = skill_match.sector_positions(list(types["sector_id"]))
        self.type_sector_ids_ = [str(s) for s in types["sector_id"]]
        self.type_cost_ = types["typical_cost_mad"].to_numpy(dtype=np.float64)
        self.type_min_education_ = np.array(
            [EDUCATION_LEVELS.index(str(e)) for e in types["min_education"]], dtype=np.float64
        )
        self.type_demand_ = np.array(
            [PHYSICAL_DEMANDS.index(str(d)) for d in types["physical_demand"]], dtype=np.float64
        )
        self.type_home_ = types["home_based"].to_numpy(dtype=np.float64)
        self.type_both_ = (types["milieu"] == "both").to_numpy(dtype=np.float64)
        self.type_density_col_ = local_market.density_columns(self.type_sector_ids_)
        locations = local_market.fit_locations(ref)
        self.region_figures_ = locations.region_figures
        self.location_keys_ = locations.keys
        self.location_values_ = locations.values
        self.national_values_ = locations.national
        self.feature_names_out_ = np.array(FEATURE_NAMES, dtype=object)
        self.n_features_in_ = len(X.columns)
        self.type_income_ = np.zeros(len(types))
        self.market_income_keys_: list[str] = []
        self.market_income_values_ = np.zeros(0)
        self._fit_income_records(X)
        self.__dict__.pop("_lookups", None)  # built over the records' empty start
        return self

    def _fit_income_records(self, X: pd.DataFrame) -> None:
        """Learn the records from the active projects of ``X`` (see :mod:`.income_records`)."""
        rows, income = income_records.reported_incomes(X)
        if len(rows) < MIN_INCOME_ROWS:
            return
        records = income_records.fit_income_records(
            self.transform(X.iloc[rows]),  # records are still 0 here
            income,
            numeric=[f for f in NUMERIC_FEATURES if f not in INCOME_RECORD_FEATURES],
            project_type_ids=self.project_type_ids_,
            type_sector_ids=self.type_sector_ids_,
        )
        self.type_income_ = records.type_income
        self.market_income_keys_ = records.market_keys
        self.market_income_values_ = records.market_values

    def _lookup(self, attribute: str) -> Lookup:
        """A :class:`Lookup` over a fitted list of ids, built on first use, not pickled."""
        lookups: dict[str, Lookup] = self.__dict__.setdefault("_lookups", {})
        if attribute not in lookups:
            lookups[attribute] = Lookup(getattr(self, attribute))
        return lookups[attribute]

    def __getstate__(self) -> dict[str, Any]:
        state: dict[str, Any] = super().__getstate__()
        state.pop("_lookups", None)
        return state

    def _check_columns(self, X: object) -> None:
        if not isinstance(X, Mapping | pd.DataFrame):
            raise ValueError(f"X must be a pandas DataFrame of pairs, got {type(X).__name__}")
        missing = [col for col in INPUT_COLUMNS if col not in X]
        if missing:
            raise ValueError(f"X lacks pair columns {missing}; expected {list(INPUT_COLUMNS)}")

    # -- transforming ------------------------------------------------------------
    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """Return the feature frame (numeric columns plus categorical ``str`` columns)."""
        return feature_frame(self.transform_columns(X), index=X.index)

    def transform_columns(self, X: pd.DataFrame | Mapping[str, Any]) -> FeatureColumns:
        """The features as plain arrays, in :data:`FEATURE_NAMES` order.

        ``X`` is a pairs frame or a mapping of the same columns to equal-length
        arrays: the serving path builds one recommendation's pairs without pandas.
        """
        check_is_fitted(self)
        self._check_columns(X)
        t = self._type_positions(X)
        region = _text(X[c.REGION_ID])
        sector_ids = np.array(self.type_sector_ids_, dtype=object)[t]
        market = region + "|" + sector_ids
        features = {
            **self._skill_features(X, t),
            **self._person_features(X, t),
            **self._place_features(X, t, region),
            "type_income_record": self.type_income_[t],
            "market_income_record": income_records.market_income(
                self._lookup("market_income_keys_"), self.market_income_values_, market
            ),
        }
        # Categories stay plain object arrays: for the few hundred rows of one
        # recommendation, Arrow-backed strings cost more than the arithmetic.
        categories = {
            "project_type": np.array(self.project_type_ids_, dtype=object)[t],
            "sector": sector_ids,
            "region": region,
            "region_sector": market,
        }
        return {name: features[name] for name in NUMERIC_FEATURES} | categories

    def _type_positions(self, X: pd.DataFrame | Mapping[str, Any]) -> NDArray[np.intp]:
        """Each pair's project type as a catalogue position; unknown types are refused."""
        t = self._lookup("project_type_ids_").positions(_text(X[c.PROJECT_TYPE_ID]))
        if (t < 0).any():
            bad = _text(X[c.PROJECT_TYPE_ID])[t < 0][0]
            raise ValueError(f"unknown project_type_id {bad!r}")
        return t

    def _skill_features(
        self, X: pd.DataFrame | Mapping[str, Any], t: NDArray[np.intp]
    ) -> dict[str, NDArray[Any]]:
        """Trainings, experience and sector preferences against each pair's type."""
        trades = skill_match.TradeCatalogue(
            self.trade_ids_, self.required_, self.trade_sector_, self.type_sector_
        )
        train_codes, train_uniques = _factorize(X[c.TRAININGS])
        exact_tab, sector_tab = skill_match.training_tables(train_uniques, trades)
        exp_codes, exp_uniques = _factorize(X[c.EXPERIENCE])
        exp_exact_tab, exp_sector_tab = skill_match.experience_tables(exp_uniques, trades)
        pref_codes, pref_uniques = _factorize(X[c.PREFERRED_SECTORS])
        pref_tab, has_pref = skill_match.preference_tables(pref_uniques)
        return {
            "trained_in_trade": exact_tab[train_codes, t],
            "trained_in_sector": sector_tab[train_codes, t],
            "experience_trade_years": exp_exact_tab[exp_codes, t],
            "experience_sector_years": exp_sector_tab[exp_codes, t],
            "needs_trade": np.asarray(self.required_.any(axis=1), dtype=np.float64)[t],
            "prefers_sector": pref_tab[pref_codes, self.type_sector_[t]],
            "has_preferences": has_pref[pref_codes],
        }

    def _person_features(
        self, X: pd.DataFrame | Mapping[str, Any], t: NDArray[np.intp]
    ) -> dict[str, NDArray[Any]]:
        """Education, age, health and budget against each pair's type demands and cost."""
        education = _EDUCATION.positions(_text(X[c.EDUCATION_LEVEL])).astype(np.float64)
        age = np.asarray(X[c.AGE], dtype=np.float64)
        demand = self.type_demand_[t]
        budget = np.asarray(X[c.BUDGET_MAD], dtype=np.float64)
        cost = self.type_cost_[t]
        return {
            "education_shortfall": np.maximum(self.type_min_education_[t] - education, 0.0),
            "education_margin": np.maximum(education - self.type_min_education_[t], 0.0),
            "age": age,
            "physical_demand": demand,
            "age_over_40_x_demand": np.maximum(age - 40.0, 0.0) * demand,
            "age_over_50_x_demand": np.maximum(age - 50.0, 0.0) * demand,
            "no_heavy_work": (_text(X[c.HEALTH_CONSTRAINT]) == "no_heavy_work").astype(np.float64),
            "budget_slack": np.log(np.clip(np.maximum(budget, 1.0) / cost, 0.0, MAX_BUDGET_RATIO)),
            "cost_log": np.log(cost),
            "home_based": self.type_home_[t],
            "type_milieu_both": self.type_both_[t],
        }

    def _place_features(
        self,
        X: pd.DataFrame | Mapping[str, Any],
        t: NDArray[np.intp],
        region: NDArray[np.object_],
    ) -> dict[str, NDArray[Any]]:
        """Milieu, regional rates and local market indicators of each pair's place and type."""
        n = len(X[c.PROJECT_TYPE_ID])
        rural = (_text(X[c.MILIEU]) == "rural").astype(np.float64)
        loc = local_market.location_values(
            self._lookup("location_keys_"),
            self.location_values_,
            commune=_text(X[c.COMMUNE_CODE]),
            region=region,
            n=n,
        )
        agriculture = np.asarray(self.type_sector_ids_, dtype=object)[t] == "agriculture"
        local = local_market.local_features(
            loc,
            density_col=self.type_density_col_[t],
            national=self.national_values_,
            agriculture=agriculture,
        )
        both = self.type_both_[t] > 0
        outside = both & ((agriculture & (rural == 0)) | (~agriculture & (rural == 1)))
        region_codes, region_uniques = _factorize(X[c.REGION_ID])
        reg_fig = local_market.region_rates(self.region_figures_, region_uniques)
        return {
            "rural": rural,
            "outside_natural_milieu": outside.astype(np.float64),
            "region_unemployment": reg_fig[region_codes, 0],
            "region_poverty": reg_fig[region_codes, 1],
            **local,
        }

    def category_values(self) -> dict[str, list[str]]:
        """Every value each categorical feature can take for a known catalogue."""
        check_is_fitted(self)
        sectors = sorted(set(self.type_sector_ids_))
        regions = list(self.region_figures_)
        return {
            "project_type": list(self.project_type_ids_),
            "sector": sectors,
            "region": regions,
            "region_sector": [f"{r}|{s}" for r in regions for s in sectors],
        }

    def get_feature_names_out(self, input_features: object = None) -> NDArray[np.object_]:
        """Names of the output columns."""
        check_is_fitted(self)
        return np.asarray(self.feature_names_out_, dtype=object)


def scale_block(X: NDArray[np.float64], factor: float = 1.0) -> NDArray[np.float64]:
    """Multiply a block of encoded columns by ``factor``.

    Used after one-hot encoding so that an L2-penalised model shrinks the
    per-category effects (project type, region x sector) harder than the shared
    pair features: each category is estimated from few funded projects.
    """
    return np.asarray(X, dtype=np.float64) * factor
