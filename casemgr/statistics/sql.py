"""Date arithmetic that SQLite and PostgreSQL evaluate identically, for the statistics queries.

SQLite keeps dates as ISO text and PostgreSQL as a date type, and their date functions
disagree (SQLite's `date(x, '+6 months')` overflows 31 August into March, PostgreSQL
clamps it to February). The statistics therefore never add months in SQL. They use:

- `date_number(d)`: the date as the integer YYYYMMDD. Completed years between a reference
  date R and an event date E are then `(E - R) // 10000` — with E taken as 29 February
  when it is 28 February of a common year, which is exactly STATISTICS.md's month addition
  with end-of-month clamping (someone born on 29 February turns a year older on
  28 February). Callers compare the difference with N × 10000 instead of dividing.
- `days_between(start, end)`: whole days, for day bands, medians and percentiles.
- YYYYMMDD arithmetic on `date_number` for "no later than 6 months after the start".
- thresholds computed in Python with `casemgr.cases.deadlines.add_months` when the end
  date is fixed (durations of stocks at 31 December), so SQL only compares dates.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from casemgr.cases.deadlines import add_months


class date_number(FunctionElement[int]):  # noqa: N801 - a SQL function, named like one
    """A date as the integer YYYYMMDD."""

    type = sa.Integer()
    name = "date_number"
    inherit_cache = True


@compiles(date_number)
def _date_number(element: date_number, compiler: Any, **kw: Any) -> str:
    # date_part() is double precision: several times faster than EXTRACT's numeric.
    (value,) = list(element.clauses)
    text = compiler.process(value, **kw)
    return (f"CAST(date_part('year', {text}) * 10000 + date_part('month', {text}) * 100"
            f" + date_part('day', {text}) AS INTEGER)")


@compiles(date_number, "sqlite")
def _date_number_sqlite(element: date_number, compiler: Any, **kw: Any) -> str:
    # SQLAlchemy stores SQLite dates as 'YYYY-MM-DD'.
    (value,) = list(element.clauses)
    return f"CAST(replace({compiler.process(value, **kw)}, '-', '') AS INTEGER)"


class days_between(FunctionElement[int]):  # noqa: N801 - a SQL function, named like one
    """Whole days from the first date to the second (negative when the second is earlier)."""

    type = sa.Integer()
    name = "days_between"
    inherit_cache = True


@compiles(days_between)
def _days_between(element: days_between, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(value, **kw) for value in element.clauses)
    return f"({end} - {start})"


@compiles(days_between, "sqlite")
def _days_between_sqlite(element: days_between, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(value, **kw) for value in element.clauses)
    return f"CAST(julianday({end}) - julianday({start}) AS INTEGER)"


def event_number(event: Any, year: int) -> sa.ColumnElement[int]:
    """`date_number` of an event dated in `year`, read as 29 February when it is
    28 February of a common year (see the module docstring)."""
    number = date_number(event)
    if calendar.isleap(year):
        return number
    return number + sa.case((number == year * 10000 + 228, 1), else_=0)


def age_class(age: Any, bounds: tuple[tuple[int, str], ...], oldest: str) -> sa.Case[str]:
    """The age class of an age number (`event_number(E) - date_number(R)` for an event E and
    a birth reference date R): the first label whose bound in years is not reached,
    `oldest` past the last bound, `UNK` without a reference date (a NULL number)."""
    whens: list[tuple[Any, str]] = [(age.is_(None), "UNK")]
    whens += [(age < years * 10000, label) for years, label in bounds]
    return sa.case(*whens, else_=oldest)


def within_months(start: Any, end: Any, months: int) -> sa.Case[int]:
    """1 when `end` is no later than `start` + `months` (1–11; the day kept, clamped to the
    end of the month), else 0; both are `date_number` expressions.

    Clamping never changes the answer: a real date in the target month is on or before the
    clamped day exactly when it is on or before the unclamped one. So the test is `end <=
    start` moved on by the months in YYYYMMDD arithmetic: + months × 100 while the month
    stays in the year (MMDD below (13 - months) × 100), else into the next year.
    """
    shift = sa.case((start % 10000 < (13 - months) * 100, months * 100),
                    else_=10000 - (12 - months) * 100)
    return sa.case((end <= start + shift, 1), else_=0)


def latest_start(end: date, months: int) -> date:
    """The latest start date from which `months` whole months have passed by `end`
    (start + months <= end): completed months since a start are >= `months` exactly when
    the start is on or before this date, because adding months never moves dates back."""
    start = add_months(end, -months)
    while add_months(start + timedelta(days=1), months) <= end:
        start += timedelta(days=1)
    return start
