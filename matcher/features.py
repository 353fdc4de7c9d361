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
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Self

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.linear_model import Ridge
from sklearn.utils.validation import check_is_fitted

from matcher import columns as c
from matcher.domain import EDUCATION_LEVELS, PHYSICAL_DEMANDS, SECTOR_IDS
from matcher.lookup import Lookup, factorize
from matcher.reference import Reference
from matcher.tabular import parse_experience, split_list

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

CATEGORICAL_FEATURES: Final[tuple[str, ...]] = (
    "project_type",
    "sector",
    "region",
    "region_sector",
)
PERSON_FIT_FEATURES: Final[tuple[str, ...]] = (
    "trained_in_trade",
    "trained_in_sector",
    "experience_trade_years",
    "experience_sector_years",
    "needs_trade",
    "education_shortfall",
    "education_margin",
    "age",
    "physical_demand",
    "age_over_40_x_demand",
    "age_over_50_x_demand",
    "no_heavy_work",
    "prefers_sector",
    "has_preferences",
    "budget_slack",
)
PROJECT_FEATURES: Final[tuple[str, ...]] = (
    "cost_log",
    "home_based",
    "type_milieu_both",
    "rural",
    "outside_natural_milieu",
)
LOCAL_FEATURES: Final[tuple[str, ...]] = (
    "region_unemployment",
    "region_poverty",
    "local_urban_share",
    "local_unemployment",
    "local_activity",
    "local_self_employed",
    "local_one_person",
    "competition_index",
    "local_density_all",
    "agri_rural_share",
)
INCOME_RECORD_FEATURES: Final[tuple[str, ...]] = (
    "type_income_record",
    "market_income_record",
)
"""Learned at fit from the incomes of active projects (0 when none were given)."""
NUMERIC_FEATURES: Final[tuple[str, ...]] = (
    PERSON_FIT_FEATURES + PROJECT_FEATURES + LOCAL_FEATURES + INCOME_RECORD_FEATURES
)
FEATURE_NAMES: Final[tuple[str, ...]] = NUMERIC_FEATURES + CATEGORICAL_FEATURES

MONOTONIC_INCREASING: Final[frozenset[str]] = frozenset(
    {
        "trained_in_trade",
        "trained_in_sector",
        "experience_trade_years",
        "experience_sector_years",
        "education_margin",
        "prefers_sector",
        "budget_slack",
    }
)
"""Features whose effect on success the domain knows to be non-negative."""

MONOTONIC_DECREASING: Final[frozenset[str]] = frozenset({"education_shortfall"})
"""Features whose effect on success the domain knows to be non-positive."""

MAX_BUDGET_RATIO: Final = 4.0
"""Budget beyond four times the cost adds nothing more (working capital saturates)."""

CENSUS_CATEGORY: Final[dict[str, str]] = {
    "commerce": "commerce",
    "catering": "services",
    "services": "services",
    "crafts": "industry",
    "construction": "construction",
}
"""Which census establishment category measures local competition for a sector."""

MIN_INCOME_ROWS: Final = 50
"""Fewer active projects with an income than this: no income records are learned."""

INCOME_RIDGE_ALPHA: Final = 4.0
"""Ridge penalty of the income regression (log MAD; residual sd is about 0.45)."""

DENSITY_COLUMNS: Final[tuple[str, ...]] = (
    "estab_commerce_per_1000",
    "estab_services_per_1000",
    "estab_industry_per_1000",
    "estab_construction_per_1000",
)


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
        trade_pos = {t: i for i, t in enumerate(self.trade_ids_)}
        n_types, n_trades = len(types), len(self.trade_ids_)
        required = np.zeros((n_types, n_trades), dtype=bool)
        for k, trades in enumerate(types["required_trades"]):
            for trade in trades:
                required[k, trade_pos[trade]] = True
        self.required_ = required
        sector_pos = {s: i for i, s in enumerate(SECTOR_IDS)}
        self.trade_sector_ = np.array(
            [sector_pos[str(s)] for s in ref.trades["sector_id"]], dtype=np.intp
        )
        self.type_sector_ = np.array([sector_pos[str(s)] for s in types["sector_id"]], np.intp)
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
        self.type_density_col_ = np.array(
            [
                DENSITY_COLUMNS.index(f"estab_{CENSUS_CATEGORY[s]}_per_1000")
                if s in CENSUS_CATEGORY
                else -1
                for s in self.type_sector_ids_
            ],
            dtype=np.intp,
        )
        self._fit_locations(ref)
        self.feature_names_out_ = np.array(FEATURE_NAMES, dtype=object)
        self.n_features_in_ = len(X.columns)
        self.type_income_ = np.zeros(n_types)
        self.market_income_keys_: list[str] = []
        self.market_income_values_ = np.zeros(0)
        self._fit_income_records(X)
        self.__dict__.pop("_lookups", None)  # built over the records' empty start
        return self

    def _fit_income_records(self, X: pd.DataFrame) -> None:
        """Ridge of log income on the pair features plus type, sector and market dummies."""
        if c.MONTHLY_INCOME_MAD not in X.columns:
            return
        income = pd.to_numeric(X[c.MONTHLY_INCOME_MAD], errors="coerce").to_numpy(np.float64)
        rows = np.flatnonzero(np.isfinite(income) & (income > 0))
        if len(rows) < MIN_INCOME_ROWS:
            return
        features = self.transform(X.iloc[rows])  # records are still 0 here
        numeric = features[[f for f in NUMERIC_FEATURES if f not in INCOME_RECORD_FEATURES]]
        numeric = numeric.fillna(numeric.median()).fillna(0.0).to_numpy(np.float64)
        spread = numeric.std(axis=0)
        numeric = (numeric - numeric.mean(axis=0)) / np.where(spread > 0, spread, 1.0)
        blocks, levels = [numeric], {}
        for name in ("project_type", "sector", "region_sector"):
            codes, uniques = _factorize(features[name])
            blocks.append(np.eye(len(uniques))[codes])
            levels[name] = uniques
        ridge = Ridge(alpha=INCOME_RIDGE_ALPHA).fit(np.hstack(blocks), np.log(income[rows]))
        coef = np.asarray(ridge.coef_, dtype=np.float64)
        effects, start = {}, numeric.shape[1]
        for name, uniques in levels.items():
            effects[name] = dict(zip(uniques, coef[start : start + len(uniques)], strict=True))
            start += len(uniques)
        self.type_income_ = np.array(
            [
                effects["project_type"].get(t, 0.0) + effects["sector"].get(s, 0.0)
                for t, s in zip(self.project_type_ids_, self.type_sector_ids_, strict=True)
            ]
        )
        self.market_income_keys_ = list(effects["region_sector"])
        self.market_income_values_ = np.array(list(effects["region_sector"].values()))

    def _fit_locations(self, ref: Reference) -> None:
        regions = ref.regions
        self.region_figures_ = {
            str(r): (float(row.unemployment_rate), float(row.poverty_rate))
            for r, row in regions.iterrows()
        }
        local = ref.local_profiles
        table: dict[str, NDArray[np.float64]] = {}
        for region_id, row in regions.iterrows():
            table[str(region_id)] = np.array(
                [row.urban_share, row.unemployment_rate] + [np.nan] * 7, dtype=np.float64
            )
        if not local.empty:
            cols = [
                "urban_share",
                "unemployment_rate",
                "activity_rate",
                "self_employed_share",
                "one_person_estab_share",
                *DENSITY_COLUMNS,
            ]
            values = local[cols].to_numpy(dtype=np.float64)
            for code, level, vals in zip(local.index, local["level"], values, strict=True):
                key = str(code) if level != "region" else str(local.loc[code, "region_id"])
                table[key] = vals
        self.location_keys_ = list(table)
        values = np.vstack([table[k] for k in self.location_keys_])
        # A catalogue without local profiles leaves whole indicators unknown:
        # a constant keeps every model happy (trees cannot bin an all-missing column).
        values[:, np.isnan(values).all(axis=0)] = 0.0
        self.location_values_ = values
        region_rows = [i for i, k in enumerate(self.location_keys_) if k in regions.index]
        weights = (
            regions["population"]
            .reindex([self.location_keys_[i] for i in region_rows])
            .to_numpy(dtype=np.float64)
        )
        with np.errstate(all="ignore"):
            national = np.array(
                [
                    np.nansum(values[region_rows, j] * weights) / weights.sum()
                    if np.isfinite(values[region_rows, j]).any()
                    else 0.0
                    for j in range(values.shape[1])
                ]
            )
        self.national_values_ = national

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
        n = len(X[c.PROJECT_TYPE_ID])
        t = self._lookup("project_type_ids_").positions(_text(X[c.PROJECT_TYPE_ID]))
        if (t < 0).any():
            bad = _text(X[c.PROJECT_TYPE_ID])[t < 0][0]
            raise ValueError(f"unknown project_type_id {bad!r}")

        train_codes, train_uniques = _factorize(X[c.TRAININGS])
        exact_tab, sector_tab = self._training_tables(train_uniques)
        exp_codes, exp_uniques = _factorize(X[c.EXPERIENCE])
        exp_exact_tab, exp_sector_tab = self._experience_tables(exp_uniques)
        pref_codes, pref_uniques = _factorize(X[c.PREFERRED_SECTORS])
        pref_tab, has_pref = self._preference_tables(pref_uniques)

        education = _EDUCATION.positions(_text(X[c.EDUCATION_LEVEL])).astype(np.float64)
        age = np.asarray(X[c.AGE], dtype=np.float64)
        demand = self.type_demand_[t]
        budget = np.asarray(X[c.BUDGET_MAD], dtype=np.float64)
        cost = self.type_cost_[t]
        rural = (_text(X[c.MILIEU]) == "rural").astype(np.float64)
        region = _text(X[c.REGION_ID])

        loc = self._location_values(X, n)
        competition = np.zeros(n)
        has_density = self.type_density_col_[t] >= 0
        col = 5 + self.type_density_col_[t][has_density]
        local_density = loc[has_density, col]
        national_density = self.national_values_[col]
        with np.errstate(all="ignore"):
            competition[has_density] = np.clip(
                np.log((local_density + 0.5) / (national_density + 0.5)), -2.0, 2.0
            )
        competition = np.nan_to_num(competition, nan=0.0)
        agriculture = np.asarray(self.type_sector_ids_, dtype=object)[t] == "agriculture"
        both = self.type_both_[t] > 0
        outside = both & ((agriculture & (rural == 0)) | (~agriculture & (rural == 1)))
        region_codes, region_uniques = _factorize(X[c.REGION_ID])
        reg_fig = np.array(
            [self.region_figures_.get(r, (np.nan, np.nan)) for r in region_uniques], np.float64
        ).reshape(-1, 2)

        sector_ids = np.array(self.type_sector_ids_, dtype=object)[t]
        market = region + "|" + sector_ids
        features = {
            "trained_in_trade": exact_tab[train_codes, t],
            "trained_in_sector": sector_tab[train_codes, t],
            "experience_trade_years": exp_exact_tab[exp_codes, t],
            "experience_sector_years": exp_sector_tab[exp_codes, t],
            "needs_trade": np.asarray(self.required_.any(axis=1), dtype=np.float64)[t],
            "education_shortfall": np.maximum(self.type_min_education_[t] - education, 0.0),
            "education_margin": np.maximum(education - self.type_min_education_[t], 0.0),
            "age": age,
            "physical_demand": demand,
            "age_over_40_x_demand": np.maximum(age - 40.0, 0.0) * demand,
            "age_over_50_x_demand": np.maximum(age - 50.0, 0.0) * demand,
            "no_heavy_work": (_text(X[c.HEALTH_CONSTRAINT]) == "no_heavy_work").astype(np.float64),
            "prefers_sector": pref_tab[pref_codes, self.type_sector_[t]],
            "has_preferences": has_pref[pref_codes],
            "budget_slack": np.log(np.clip(np.maximum(budget, 1.0) / cost, 0.0, MAX_BUDGET_RATIO)),
            "cost_log": np.log(cost),
            "home_based": self.type_home_[t],
            "type_milieu_both": self.type_both_[t],
            "rural": rural,
            "outside_natural_milieu": outside.astype(np.float64),
            "region_unemployment": reg_fig[region_codes, 0],
            "region_poverty": reg_fig[region_codes, 1],
            "local_urban_share": loc[:, 0],
            "local_unemployment": loc[:, 1],
            "local_activity": loc[:, 2],
            "local_self_employed": loc[:, 3],
            "local_one_person": loc[:, 4],
            "competition_index": competition,
            "local_density_all": np.nansum(loc[:, 5:9], axis=1)
            if not np.isnan(loc[:, 5:9]).all()
            else np.full(n, np.nan),
            "agri_rural_share": np.where(agriculture, 1.0 - loc[:, 0], 0.0),
            "type_income_record": self.type_income_[t],
            "market_income_record": self._market_income(market),
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

    def _market_income(self, market: NDArray[np.object_]) -> NDArray[np.float64]:
        pos = self._lookup("market_income_keys_").positions(market)
        values = np.append(self.market_income_values_, 0.0)
        return np.asarray(values[pos], dtype=np.float64)  # -1 (unknown market) reads the 0

    def _training_tables(
        self, uniques: list[str]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        trade_pos = {t: i for i, t in enumerate(self.trade_ids_)}
        n_types = len(self.project_type_ids_)
        exact = np.zeros((len(uniques), n_types))
        sector = np.zeros((len(uniques), n_types))
        for u, cell in enumerate(uniques):
            idx = [trade_pos[x] for x in split_list(cell) if x in trade_pos]
            if not idx:
                continue
            exact[u] = self.required_[:, idx].any(axis=1)
            trained = np.zeros(len(SECTOR_IDS), dtype=bool)
            trained[self.trade_sector_[idx]] = True
            sector[u] = trained[self.type_sector_]
        return exact, sector

    def _experience_tables(
        self, uniques: list[str]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        trade_pos = {t: i for i, t in enumerate(self.trade_ids_)}
        n_types = len(self.project_type_ids_)
        exact = np.zeros((len(uniques), n_types))
        sector = np.zeros((len(uniques), n_types))
        for u, cell in enumerate(uniques):
            years = np.zeros(len(self.trade_ids_))
            for trade, value in parse_experience(cell):
                if trade in trade_pos:
                    years[trade_pos[trade]] = max(years[trade_pos[trade]], value)
            if not years.any():
                continue
            exact[u] = np.log1p((self.required_ * years[None, :]).max(axis=1))
            by_sector = np.zeros(len(SECTOR_IDS))
            np.maximum.at(by_sector, self.trade_sector_, years)
            sector[u] = np.log1p(by_sector[self.type_sector_])
        return exact, sector

    def _preference_tables(
        self, uniques: list[str]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        table = np.zeros((len(uniques), len(SECTOR_IDS)))
        has = np.zeros(len(uniques))
        for u, cell in enumerate(uniques):
            for sector in split_list(cell):
                if sector in SECTOR_IDS:
                    table[u, SECTOR_IDS.index(sector)] = 1.0
                    has[u] = 1.0
        return table, has

    def _location_values(self, X: pd.DataFrame | Mapping[str, Any], n: int) -> NDArray[np.float64]:
        keys = self._lookup("location_keys_")
        commune = keys.positions(_text(X[c.COMMUNE_CODE]))
        region = keys.positions(_text(X[c.REGION_ID]))
        pos = np.where(commune >= 0, commune, region)
        values = np.full((n, self.location_values_.shape[1]), np.nan)
        known = pos >= 0
        values[known] = self.location_values_[pos[known]]
        return values

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
