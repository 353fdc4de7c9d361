"""What a reason says about *this* person and *this* project type: its fact.

A factor's effect is measured by neutralising its features
(:mod:`matcher.model.explanation`); the words shown must then say what is true of
the pair. The training factor, for instance, moves the score whether the person is
trained in a trade the project needs, in another trade of the same sector, or in a
trade of the sector of a project that needs no trade at all: three different
sentences. :func:`pair_facts` reads the pair's feature values (the same
``trained_in_trade``, ``trained_in_sector``, ``needs_trade``… the model saw) and the
person's trades, and returns one :class:`Fact` per factor that has one; the wording
(:data:`matcher.wording.FACT_TEXT`) is chosen from it.

Facts (``kind``) by factor:

- ``training`` / ``experience``: ``trade`` (in a trade the project needs),
  ``sector`` (in another trade of the project's sector, the project needing a
  trade), ``no_trade`` (the project needs no trade; a trade of its sector),
  ``none`` (nothing relevant: such a factor has no effect and is not shown);
- ``education``: ``above``, ``at`` or ``below`` the project's minimum;
- ``preference``: ``wanted`` or ``not_wanted``;
- ``milieu``: ``outside`` (usually run in the other milieu) or ``natural``;
- ``age_demand``: ``demanding`` (medium or high physical demand) or ``light``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

SKILL_COLUMNS: Final[dict[str, tuple[str, str]]] = {
    "training": ("trained_in_trade", "trained_in_sector"),
    "experience": ("experience_trade_years", "experience_sector_years"),
}
"""The (exact trade, same sector) features of each skill factor."""


@dataclass(frozen=True)
class Fact:
    """What is true of the pair for one factor, and the person's trades it is about."""

    kind: str
    trade_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class PairTrades:
    """The trades a fact may name: the person's and the project type's.

    Attributes
    ----------
    trainings : sequence of str
        The person's trainings.
    experience : mapping of str to float
        The person's years per trade.
    required : sequence of str
        The trades the project type needs (empty when it needs none).
    type_sector : str
        The project type's sector.
    trade_sector : mapping of str to str
        The sector of every trade of the catalogue.
    """

    trainings: Sequence[str]
    experience: Mapping[str, float]
    required: Sequence[str]
    type_sector: str
    trade_sector: Mapping[str, str]

    def held(self, factor: str) -> list[str]:
        """The person's trades for a skill factor, each once, in the order given."""
        if factor == "training":
            return list(dict.fromkeys(self.trainings))
        return [t for t, years in self.experience.items() if years > 0]

    def missing(self) -> tuple[str, ...]:
        """The required trades, when the person holds none of them (trained or worked)."""
        held = set(self.held("training")) | set(self.held("experience"))
        if not self.required or held & set(self.required):
            return ()
        return tuple(self.required)


def skill_fact(factor: str, features: Mapping[str, float], trades: PairTrades) -> Fact:
    """The fact of a skill factor (``training`` or ``experience``) for one pair."""
    exact, sector = SKILL_COLUMNS[factor]
    held = trades.held(factor)
    in_sector = [
        t
        for t in held
        if trades.trade_sector.get(t) == trades.type_sector and t not in trades.required
    ]
    if float(features["needs_trade"]) == 0.0:
        if float(features[sector]) > 0.0:
            return Fact("no_trade", tuple(in_sector))
        return Fact("none")
    if float(features[exact]) > 0.0:
        return Fact("trade", tuple(t for t in held if t in trades.required))
    if float(features[sector]) > 0.0:
        return Fact("sector", tuple(in_sector))
    return Fact("none")


def pair_facts(features: Mapping[str, float], trades: PairTrades) -> dict[str, Fact]:
    """The fact of every person factor for one pair (feature values by name)."""
    shortfall = float(features["education_shortfall"])
    margin = float(features["education_margin"])
    return {
        "training": skill_fact("training", features, trades),
        "experience": skill_fact("experience", features, trades),
        "education": Fact("below" if shortfall > 0 else "above" if margin > 0 else "at"),
        "preference": Fact("wanted" if float(features["prefers_sector"]) > 0 else "not_wanted"),
        "milieu": Fact("outside" if float(features["outside_natural_milieu"]) > 0 else "natural"),
        "age_demand": Fact("demanding" if float(features["physical_demand"]) > 0 else "light"),
    }
