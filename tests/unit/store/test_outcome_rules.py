"""The pure outcome rules: calendar months and the horizon a record answers."""

from __future__ import annotations

from datetime import date

import pytest

from matcher.errors import OutcomeRuleError
from matcher.store.outcome_rules import OutcomeIn, add_months, horizon_of


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2025, 11, 15), 3, date(2026, 2, 15)),
        (date(2025, 6, 30), 24, date(2027, 6, 30)),
    ],
)
def test_add_months(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


def _outcome(horizon: int | None, **flags: bool | None) -> OutcomeIn:
    return OutcomeIn(
        project_type_id="snack_bar",
        funded_mad=30000,
        start_date=date(2025, 1, 1),
        horizon_months=horizon,
        flags={3: None, 6: None, 12: None, 24: None} | {int(k[1:]): v for k, v in flags.items()},
        monthly_income_mad=None,
    )


def test_horizon_is_given_or_the_latest_flag() -> None:
    assert horizon_of(_outcome(3)) == 3
    assert horizon_of(_outcome(None, m6=True, m12=False)) == 12
    with pytest.raises(OutcomeRuleError, match="say which follow-up") as caught:
        horizon_of(_outcome(None))
    assert caught.value.details == {"field": "horizon_months"}
    with pytest.raises(OutcomeRuleError, match="must be one of 0, 3, 6, 12, 24"):
        horizon_of(_outcome(9))
