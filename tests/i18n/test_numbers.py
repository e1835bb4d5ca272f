"""Numbers in the interface language: casemgr.i18n formats them with the locale's pattern
parsed once, and must write exactly what Babel's own functions write, in every interface
language and whichever language the previous request used."""

from __future__ import annotations

from decimal import Decimal

import pytest
from babel.numbers import format_decimal, format_percent
from flask_babel import force_locale

from casemgr import i18n

LOCALES = ("en", "ko", "ru")
VALUES = [0, 1, 7, 999, 1000, 1234, 12345, 999999, 1234567, 1000000000, -1, -1234567,
          0.5, 2.25, 12.345, 1234.5678, 0.0005, -0.5,
          Decimal("0.5000"), Decimal("0.1234"), Decimal("0.0001"), Decimal("1"),
          Decimal("12.5"), Decimal("1234567.8"), Decimal("100.0"), Decimal("33.3333")]


@pytest.mark.parametrize("locale", LOCALES)
def test_numbers_read_as_babel_writes_them(app, locale) -> None:
    with app.test_request_context():
        for first in LOCALES:  # each language after every other: nothing carries over
            with force_locale(first):
                i18n.number(1234567.5)
            with force_locale(locale):
                for value in VALUES:
                    assert i18n.number(value) == format_decimal(value, locale=locale), value
                    assert i18n.number(value, "#,##0.00") == format_decimal(
                        value, format="#,##0.00", locale=locale), value


@pytest.mark.parametrize(("locale", "grouped"), [
    ("en", "1,234,567"), ("ko", "1,234,567"), ("ru", "1\xa0234\xa0567")])
def test_numbers_are_grouped_as_the_language_groups_them(app, locale, grouped) -> None:
    with app.test_request_context(), force_locale(locale):
        assert i18n.number(1234567) == grouped


@pytest.mark.parametrize(("locale", "pattern", "rate"), [
    ("en", "#,##0.00%", "45.67%"), ("ko", "#,##0.00%", "45.67%"),
    ("ru", "#,##0.00\xa0%", "45,67\xa0%")])
def test_percentages_follow_the_language(app, locale, pattern, rate) -> None:
    """The locale's own percent pattern (its sign, its space or none), with the decimals
    asked for: Babel's format_percent with that pattern written out."""
    with app.test_request_context():
        for first in LOCALES:
            with force_locale(first):
                i18n.percent(Decimal("0.5"), 2)
            with force_locale(locale):
                assert i18n.percent(Decimal("0.4567"), 2) == rate
                for value in VALUES:
                    assert i18n.percent(value, 2) == format_percent(value, pattern,
                                                                    locale=locale), value
                    assert i18n.percent(value) == format_percent(value, locale=locale), value
