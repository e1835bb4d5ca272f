"""The interface languages: which ones exist, what each is called, which one a person
with a list of ISO 639-3 languages reads, and numbers as each language writes them.

The catalogues live in casemgr/translations (README "Translating"); the choice of language for
a request is auth.security.select_locale.
"""

from __future__ import annotations

from collections.abc import Iterable
from copy import copy
from decimal import Decimal
from functools import cache

import pycountry
from babel import Locale
from babel.numbers import LC_NUMERIC, NumberPattern, parse_pattern
from flask import current_app
from flask_babel import get_locale


def supported_locales() -> tuple[str, ...]:
    return tuple(current_app.config["SUPPORTED_LOCALES"])


@cache
def endonym(locale: str) -> str:
    """A language's name in that language (English, 한국어, Русский): what a language
    picker shows, so that a person who cannot read the current language finds their own."""
    name = Locale.parse(locale).get_display_name(locale) or locale
    return name[:1].upper() + name[1:]


def interface_languages() -> list[tuple[str, str]]:
    """(locale, endonym) for every interface language, in configuration order."""
    return [(locale, endonym(locale)) for locale in supported_locales()]


@cache
def _iso639_3(locale: str) -> str | None:
    language = pycountry.languages.get(alpha_2=Locale.parse(locale).language)
    return None if language is None else language.alpha_3


def locale_for_languages(codes: Iterable[str]) -> str | None:
    """The first of a person's languages (ISO 639-3 codes, in the order recorded) that the
    interface speaks, as a locale; None when it speaks none of them."""
    by_code = {_iso639_3(locale): locale for locale in supported_locales()}
    return next((by_code[code] for code in codes if code in by_code), None)


def number(value: int | float | Decimal, format: str | None = None) -> str:
    """The number as flask_babel.format_decimal(value, format) writes it in the request's
    language (1,234.5; 1\xa0234,5), at a fraction of the cost: Babel parses the pattern on
    every call, which is most of its time, and a statistics page formats thousands."""
    locale = _locale()
    return _decimal_pattern(locale, format).apply(value, locale)


def percent(value: int | float | Decimal, places: int = 0) -> str:
    """A fraction as a percentage in the request's language, with `places` decimals (0.4567:
    45.67% in English, 45,67\xa0% in Russian): babel.numbers.format_percent with the
    locale's own pattern, parsed once."""
    locale = _locale()
    return _percent_pattern(locale, places).apply(value, locale)


def _locale() -> Locale:
    """The request's locale; outside an application, the system's (as Babel does)."""
    return get_locale() or Locale.parse(LC_NUMERIC)


@cache
def _decimal_pattern(locale: Locale, format: str | None) -> NumberPattern:
    return parse_pattern(format or locale.decimal_formats[None])


@cache
def _percent_pattern(locale: Locale, places: int) -> NumberPattern:
    pattern = copy(parse_pattern(locale.percent_formats[None]))
    pattern.frac_prec = (places, places)
    return pattern
