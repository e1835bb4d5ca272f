"""The date arithmetic the statistics do in SQL, evaluated by the database under test
(SQLite and PostgreSQL must agree with STATISTICS.md's month rule, worked out by hand)."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from casemgr.extensions import db
from casemgr.statistics.sql import (
    age_class,
    date_number,
    days_between,
    event_number,
    latest_start,
    within_months,
)

D = date


def evaluate(app, expression_of, pairs):
    """Evaluate `expression_of(earlier, later)` on the database for each pair of dates."""
    rows = sa.union_all(*(
        sa.select(sa.literal(position).label("position"),
                  sa.literal(earlier, sa.Date).label("earlier"),
                  sa.literal(later, sa.Date).label("later"))
        for position, (earlier, later) in enumerate(pairs))).subquery("pairs")
    query = sa.select(rows.c.position, expression_of(rows.c.earlier, rows.c.later)).order_by(
        rows.c.position)
    with app.app_context():
        return [value for _position, value in db.session.execute(query)]


WITHIN_SIX_MONTHS = [
    ((D(2024, 8, 31), D(2025, 2, 28)), 1),   # 31 Aug + 6 months = 28 Feb
    ((D(2024, 8, 31), D(2025, 3, 1)), 0),
    ((D(2023, 8, 31), D(2024, 2, 29)), 1),   # ... = 29 Feb in a leap year
    ((D(2023, 8, 31), D(2024, 3, 1)), 0),
    ((D(2025, 1, 15), D(2025, 7, 15)), 1),
    ((D(2025, 1, 15), D(2025, 7, 16)), 0),
    ((D(2024, 12, 31), D(2025, 6, 30)), 1),  # 31 Dec + 6 months = 30 Jun
    ((D(2024, 12, 31), D(2025, 7, 1)), 0),
    ((D(2025, 7, 1), D(2026, 1, 1)), 1),
    ((D(2025, 7, 1), D(2026, 1, 2)), 0),
    ((D(2025, 6, 30), D(2025, 12, 30)), 1),
    ((D(2025, 6, 30), D(2025, 12, 31)), 0),
    ((D(2025, 3, 1), D(2025, 3, 1)), 1),
]


def test_within_six_months_keeps_the_day_and_clamps_to_the_month_end(app):
    pairs = [pair for pair, _expected in WITHIN_SIX_MONTHS]
    result = evaluate(app, lambda a, b: within_months(date_number(a), date_number(b), 6),
                      pairs)
    assert result == [expected for _pair, expected in WITHIN_SIX_MONTHS]


def test_days_between(app):
    pairs = [(D(2024, 2, 28), D(2024, 3, 1)), (D(2024, 12, 31), D(2025, 1, 1)),
             (D(2024, 6, 1), D(2025, 6, 1)), (D(2025, 1, 1), D(2025, 1, 1))]
    assert evaluate(app, days_between, pairs) == [2, 1, 365, 0]


@pytest.mark.parametrize(("reference", "event", "group"), [
    (D(2008, 2, 29), D(2026, 2, 27), "Y14-17"),
    (D(2008, 2, 29), D(2026, 2, 28), "Y18-34"),  # 18 on 28 Feb in a common year
    (D(2010, 2, 28), D(2024, 2, 27), "Y_LT14"),
    (D(2010, 2, 28), D(2024, 2, 28), "Y14-17"),
    (D(2007, 3, 1), D(2025, 2, 28), "Y14-17"),
    (D(2007, 3, 1), D(2025, 3, 1), "Y18-34"),
    (D(1960, 12, 31), D(2025, 12, 30), "Y35-64"),
    (D(1960, 12, 31), D(2025, 12, 31), "Y_GE65"),
])
def test_age_group_in_completed_years_at_the_event(app, reference, event, group):
    bounds = ((14, "Y_LT14"), (18, "Y14-17"), (35, "Y18-34"), (65, "Y35-64"))

    def age(first, second):
        return age_class(event_number(second, event.year) - date_number(first), bounds,
                         "Y_GE65")

    assert evaluate(app, age, [(reference, event)]) == [group]


def test_a_missing_reference_date_is_unknown(app):
    bounds = ((18, "Y_LT18"),)
    assert evaluate(app, lambda a, b: age_class(
        event_number(b, 2025) - date_number(a), bounds, "Y_GE18"),
        [(None, D(2025, 5, 1))]) == ["UNK"]


@pytest.mark.parametrize(("end", "months", "start"), [
    (D(2024, 12, 31), 6, D(2024, 6, 30)),    # 30 Jun + 6 = 30 Dec; 1 Jul + 6 = 1 Jan
    (D(2024, 12, 31), 24, D(2022, 12, 31)),
    (D(2025, 2, 28), 6, D(2024, 8, 31)),     # 28–31 Aug + 6 months all reach 28 Feb
    (D(2024, 2, 29), 6, D(2023, 8, 31)),
    (D(2025, 3, 30), 1, D(2025, 2, 28)),     # 1 Mar + 1 month = 1 Apr
])
def test_latest_start_with_whole_months_by_the_end(end, months, start):
    assert latest_start(end, months) == start
