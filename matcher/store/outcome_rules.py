"""The rules an outcome must keep before it is stored (contract section 8).

An outcome that contradicts its diagnosis, its decision, the project's other
follow-ups or itself raises :class:`matcher.errors.OutcomeRuleError` naming the
field, and nothing is stored. The checks are pure: they read what the store
loaded (:class:`OutcomeFacts`) and the catalogue's costs the caller passes.

The rules, in the order they are checked:

1. a project was decided for the diagnosis (a decision other than ``none``);
2. ``project_type_id`` is the decided type, or ``changed_to_reason`` says why it
   changed to another type, which must not be one the person was excluded from;
3. ``start_date`` is not before the decision and not in the future;
4. the follow-up is due: ``start_date`` + horizon is not in the future, and no
   ``active_Xm`` flag is given before its date;
5. ``funded_mad`` lies between :data:`MIN_COST_SHARE` × the type's cost and
   :data:`MAX_AMOUNT_FACTOR` × the larger of the cost and the person's budget;
   ``monthly_income_mad`` is at most :data:`MAX_MONTHLY_INCOME_MAD`, and 0 or
   empty when the business is not active;
6. the ``active_Xm`` flags of this record and of the project's other current
   records never say active at a later horizon but not at an earlier one;
7. ``start_date`` and ``project_type_id`` agree with the project's other
   current records (a correction may change them, one horizon at a time);
8. a second record for the same horizon is a correction: it needs
   ``correction_reason`` and is stored as the next version.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

from matcher.errors import OutcomeRuleError

HORIZONS: Final[tuple[int, ...]] = (3, 6, 12, 24)
"""Follow-up horizons in months that carry an ``active_Xm`` flag."""
START: Final = 0
"""The horizon of the record that notes the project's start (type, amount, date; no flag)."""
MIN_COST_SHARE: Final = 0.25
MAX_AMOUNT_FACTOR: Final = 1.5
MAX_MONTHLY_INCOME_MAD: Final = 50_000.0


@dataclass(frozen=True)
class OutcomeIn:
    """One follow-up as the counsellor sends it."""

    project_type_id: str
    funded_mad: float
    start_date: date
    horizon_months: int | None
    flags: Mapping[int, bool | None]
    monthly_income_mad: float | None
    changed_to_reason: str | None = None
    correction_reason: str | None = None


@dataclass(frozen=True)
class PriorOutcome:
    """A current record of another (or the same) horizon of the same project."""

    horizon_months: int | None
    version: int
    project_type_id: str
    start_date: date
    flags: Mapping[int, bool | None]


@dataclass(frozen=True)
class OutcomeFacts:
    """What the store knows about the project the outcome follows."""

    decided_type: str | None
    decided_on: date | None
    budget_mad: float
    excluded_types: frozenset[str]
    prior: Sequence[PriorOutcome]


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months (clamped to the month's last day)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _fail(field: str, message: str) -> OutcomeRuleError:
    return OutcomeRuleError(f"{field}: {message}", details={"field": field})


def horizon_of(outcome: OutcomeIn) -> int:
    """The horizon the record answers: given, or the latest flag it carries."""
    if outcome.horizon_months is not None:
        if outcome.horizon_months not in (START, *HORIZONS):
            allowed = ", ".join(map(str, (START, *HORIZONS)))
            raise _fail("horizon_months", f"must be one of {allowed}")
        return outcome.horizon_months
    known = [h for h in HORIZONS if outcome.flags.get(h) is not None]
    if not known:
        raise _fail("horizon_months", "say which follow-up this is (or give an active_Xm flag)")
    return max(known)


def check_outcome(
    outcome: OutcomeIn, facts: OutcomeFacts, *, type_cost: Mapping[str, float], today: date
) -> tuple[int, int]:
    """Check ``outcome`` against the rules of this module.

    Returns
    -------
    (horizon_months, version) : tuple of int
        The horizon the record answers and the version it will be stored as.

    Raises
    ------
    OutcomeRuleError
        The first broken rule, with ``details["field"]``.
    """
    horizon = horizon_of(outcome)
    _check_type(outcome, facts)
    _check_dates(outcome, facts, horizon, today)
    _check_amounts(outcome, facts, type_cost)
    others = [p for p in facts.prior if p.horizon_months != horizon]
    _check_flags(outcome, others)
    if not outcome.correction_reason:
        _check_agreement(outcome, others)
    return horizon, _version(outcome, facts, horizon)


def _check_type(outcome: OutcomeIn, facts: OutcomeFacts) -> None:
    if facts.decided_type is None:
        raise _fail(
            "diagnosis_id", "no project was decided for this diagnosis: record the decision first"
        )
    if outcome.project_type_id == facts.decided_type:
        return
    if outcome.project_type_id in facts.excluded_types:
        raise _fail(
            "project_type_id",
            f"{outcome.project_type_id!r} was excluded for this person at the diagnosis",
        )
    if not outcome.changed_to_reason:
        raise _fail(
            "changed_to_reason",
            f"the decided project was {facts.decided_type!r}: say why it changed to"
            f" {outcome.project_type_id!r}",
        )


def _check_dates(outcome: OutcomeIn, facts: OutcomeFacts, horizon: int, today: date) -> None:
    start = outcome.start_date
    if facts.decided_on is not None and start < facts.decided_on:
        raise _fail("start_date", f"{start} is before the decision ({facts.decided_on})")
    if start > today:
        raise _fail("start_date", f"{start} is in the future")
    for months in (horizon, *(h for h, v in outcome.flags.items() if v is not None)):
        due = add_months(start, months)
        if due > today:
            flagged = outcome.flags.get(months) is not None
            field = f"active_{months}m" if flagged else "horizon_months"
            raise _fail(field, f"the {months}-month follow-up cannot be known before {due}")
    if horizon != START and outcome.flags.get(horizon) is None:
        raise _fail(f"active_{horizon}m", f"is required for the {horizon}-month follow-up")


def _check_amounts(outcome: OutcomeIn, facts: OutcomeFacts, type_cost: Mapping[str, float]) -> None:
    cost = type_cost.get(outcome.project_type_id)
    if cost is not None:
        low = MIN_COST_SHARE * cost
        high = MAX_AMOUNT_FACTOR * max(cost, facts.budget_mad)
        if not low <= outcome.funded_mad <= high:
            raise _fail(
                "funded_mad",
                f"{outcome.funded_mad:,.0f} MAD is not plausible for this project (typical cost"
                f" {cost:,.0f} MAD, budget {facts.budget_mad:,.0f} MAD: expected"
                f" {low:,.0f}-{high:,.0f} MAD)",
            )
    income = outcome.monthly_income_mad
    if income is None:
        return
    if income > MAX_MONTHLY_INCOME_MAD:
        raise _fail(
            "monthly_income_mad",
            f"{income:,.0f} MAD a month is above {MAX_MONTHLY_INCOME_MAD:,.0f}",
        )
    latest = [v for h, v in sorted(outcome.flags.items()) if v is not None]
    if income > 0 and latest and latest[-1] is False:
        raise _fail("monthly_income_mad", "a business that is not active earns no income")


def _check_flags(outcome: OutcomeIn, others: Sequence[PriorOutcome]) -> None:
    merged: dict[int, bool] = {}
    for prior in others:
        merged.update({h: v for h, v in prior.flags.items() if v is not None})
    mine = {h: v for h, v in outcome.flags.items() if v is not None}
    merged.update(mine)
    for later in sorted(merged):
        for earlier in (h for h in merged if h < later):
            if merged[later] and not merged[earlier]:
                field = f"active_{later}m" if later in mine else f"active_{earlier}m"
                raise _fail(
                    field,
                    f"active at {later} months but not at {earlier} months: correct one of them",
                )


def _check_agreement(outcome: OutcomeIn, others: Sequence[PriorOutcome]) -> None:
    for prior in others:
        where = f"the {prior.horizon_months}-month record"
        if prior.start_date != outcome.start_date:
            raise _fail(
                "start_date", f"{outcome.start_date} differs from {where} ({prior.start_date})"
            )
        if prior.project_type_id != outcome.project_type_id:
            raise _fail(
                "project_type_id",
                f"{outcome.project_type_id!r} differs from {where} ({prior.project_type_id!r})",
            )


def _version(outcome: OutcomeIn, facts: OutcomeFacts, horizon: int) -> int:
    same = [p for p in facts.prior if p.horizon_months == horizon]
    if not same:
        return 1
    if not outcome.correction_reason:
        raise _fail(
            "correction_reason",
            f"the {horizon}-month follow-up is already recorded: to correct it, say why",
        )
    return max(p.version for p in same) + 1
