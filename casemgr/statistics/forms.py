"""The statistics page's year chooser."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import Field, SelectField, ValidationError

from casemgr.forms import FilterForm
from casemgr.statistics.tables import FIRST_YEAR


def _year_or_none(value: Any) -> int | None:
    """Anything that is not a whole number is simply not a year (the validator says so)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class YearForm(FilterForm):
    """The statistics page's year (a filter: its URL can be bookmarked and shared)."""

    year = SelectField(_l("Year"), coerce=_year_or_none, validate_choice=False)

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.last_year = today.year
        self.year.choices = [(year, str(year)) for year in range(today.year, FIRST_YEAR - 1, -1)]

    def validate_year(self, field: Field) -> None:
        if field.data is None or not FIRST_YEAR <= field.data <= self.last_year:
            raise ValidationError(_l("Choose a year from %(first)s to %(last)s.",
                                     first=FIRST_YEAR, last=self.last_year))


def default_year(today: date) -> int:
    """The last complete year (the current one in the very first year of statistics)."""
    return max(today.year - 1, FIRST_YEAR)
