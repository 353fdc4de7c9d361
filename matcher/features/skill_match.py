"""What a person knows and wants, per project type: the list-cell tables.

A pairs frame repeats each person's ``trainings``, ``experience`` and
``preferred_sectors`` cells once per project type.
:class:`~matcher.features.builder.PairFeatureBuilder` therefore parses each *distinct*
cell once and builds a small (distinct cell x project type) table here; the pair
features are then plain fancy indexing into these tables. Every function is
pure: it reads the fitted catalogue arrays it is given and returns new arrays.

The catalogue arrays (:class:`TradeCatalogue`) are fitted state of the builder,
built by :func:`required_trades` and :func:`sector_positions`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from matcher.contract.tables import parse_experience, split_list
from matcher.domain import SECTOR_IDS

Tables = tuple[NDArray[np.float64], NDArray[np.float64]]
"""Two (distinct cell x column) tables of float64."""


@dataclass(frozen=True)
class TradeCatalogue:
    """The fitted trade arrays the tables are read from.

    Attributes
    ----------
    trade_ids : sequence of str
        The trade vocabulary.
    required : ndarray of bool, shape (n_types, n_trades)
        The trades each project type needs (:func:`required_trades`).
    trade_sector, type_sector : ndarray of int
        Sector position of each trade and of each project type
        (:func:`sector_positions`).
    """

    trade_ids: Sequence[str]
    required: NDArray[np.bool_]
    trade_sector: NDArray[np.intp]
    type_sector: NDArray[np.intp]


def required_trades(
    type_trades: Sequence[Sequence[str]], trade_ids: Sequence[str]
) -> NDArray[np.bool_]:
    """The (project type x trade) matrix of the trades each project type needs.

    Parameters
    ----------
    type_trades : sequence of sequence of str
        The ``required_trades`` of each project type, in catalogue order.
    trade_ids : sequence of str
        The trade vocabulary (every required trade must be in it).

    Returns
    -------
    ndarray of bool, shape (n_types, n_trades)
    """
    trade_pos = {t: i for i, t in enumerate(trade_ids)}
    required = np.zeros((len(type_trades), len(trade_ids)), dtype=bool)
    for k, trades in enumerate(type_trades):
        for trade in trades:
            required[k, trade_pos[trade]] = True
    return required


def sector_positions(sector_ids: Sequence[object]) -> NDArray[np.intp]:
    """Position of each sector id in :data:`~matcher.domain.SECTOR_IDS`."""
    sector_pos = {s: i for i, s in enumerate(SECTOR_IDS)}
    return np.array([sector_pos[str(s)] for s in sector_ids], dtype=np.intp)


def training_tables(uniques: Sequence[str], trades: TradeCatalogue) -> Tables:
    """Whether each distinct ``trainings`` cell covers each project type.

    Returns
    -------
    exact : ndarray of float, shape (n_cells, n_types)
        1 where the person is trained in one of the type's required trades.
    sector : ndarray of float, shape (n_cells, n_types)
        1 where the person is trained in some trade of the type's sector.
        Unknown trades are ignored.
    """
    trade_pos = {t: i for i, t in enumerate(trades.trade_ids)}
    has = np.zeros((len(uniques), len(trades.trade_ids)))
    for u, cell in enumerate(uniques):
        for trade in split_list(cell):
            position = trade_pos.get(trade)
            if position is not None:
                has[u, position] = 1.0
    # Two small matrix products instead of numpy calls per cell: one
    # recommendation has a distinct cell per qualification-gap trial.
    in_sector = np.zeros((len(trades.trade_ids), len(SECTOR_IDS)))
    in_sector[np.arange(len(trades.trade_ids)), trades.trade_sector] = 1.0
    exact = (has @ trades.required.T.astype(np.float64) > 0).astype(np.float64)
    trained = has @ in_sector > 0
    sector = trained[:, trades.type_sector].astype(np.float64)
    return exact, sector


def experience_tables(uniques: Sequence[str], trades: TradeCatalogue) -> Tables:
    """Years of relevant experience of each distinct ``experience`` cell, per project type.

    Returns
    -------
    exact : ndarray of float, shape (n_cells, n_types)
        ``log1p`` of the most years in one of the type's required trades.
    sector : ndarray of float, shape (n_cells, n_types)
        ``log1p`` of the most years in a trade of the type's sector. A trade
        listed twice counts with its larger value; unknown trades are ignored.
    """
    trade_pos = {t: i for i, t in enumerate(trades.trade_ids)}
    n_types = trades.required.shape[0]
    exact = np.zeros((len(uniques), n_types))
    sector = np.zeros((len(uniques), n_types))
    for u, cell in enumerate(uniques):
        years = np.zeros(len(trades.trade_ids))
        for trade, value in parse_experience(cell):
            if trade in trade_pos:
                years[trade_pos[trade]] = max(years[trade_pos[trade]], value)
        if not years.any():
            continue
        exact[u] = np.log1p((trades.required * years[None, :]).max(axis=1))
        by_sector = np.zeros(len(SECTOR_IDS))
        np.maximum.at(by_sector, trades.trade_sector, years)
        sector[u] = np.log1p(by_sector[trades.type_sector])
    return exact, sector


def preference_tables(uniques: Sequence[str]) -> Tables:
    """The sectors each distinct ``preferred_sectors`` cell names.

    Returns
    -------
    table : ndarray of float, shape (n_cells, n_sectors)
        1 where the cell names the sector (columns in
        :data:`~matcher.domain.SECTOR_IDS` order; unknown sectors are ignored).
    has : ndarray of float, shape (n_cells,)
        1 where the cell names at least one known sector.
    """
    table = np.zeros((len(uniques), len(SECTOR_IDS)))
    has = np.zeros(len(uniques))
    for u, cell in enumerate(uniques):
        for sector in split_list(cell):
            if sector in SECTOR_IDS:
                table[u, SECTOR_IDS.index(sector)] = 1.0
                has[u] = 1.0
    return table, has
