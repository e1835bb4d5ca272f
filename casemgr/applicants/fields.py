"""Parsing and checking the values of the applicant/case record (INTERFACES §3).

Forms, the import and the API all use these, so a value means the same everywhere. Each
parser returns the clean value or raises ValueError with a message fit for the user.
"""

from __future__ import annotations

import gettext
import re
import unicodedata
from datetime import date
from functools import cache

import pycountry
from babel import Locale
from flask import has_app_context
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

STATELESS = "XXA"
UNKNOWN_NATIONALITY = "XXX"
_DOB = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_PORT = re.compile(r"^(?:[A-Z]{3}|[A-Z]{2}[A-Z2-9]{3})$")  # IATA or UN/LOCODE


def parse_iso_date(text: str, *, today: date | None = None) -> date:
    """A real YYYY-MM-DD date, not in the future."""
    try:
        value = date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(_("Enter a real date as YYYY-MM-DD.")) from None
    if len(text.strip()) != 10:
        raise ValueError(_("Enter a real date as YYYY-MM-DD."))
    if value > (today or date.today()):
        raise ValueError(_("The date is in the future."))
    return value


def parse_date_of_birth(text: str, *, today: date | None = None) -> tuple[str, date]:
    """The date of birth as written (YYYY, YYYY-MM or YYYY-MM-DD) and its reference date.

    The reference date is what ages are computed from: the 15th of a month known only to
    the month, 1 July of a year known only to the year (STATISTICS.md).
    """
    text = text.strip()
    match = _DOB.match(text)
    if not match:
        raise ValueError(_("Use YYYY-MM-DD, YYYY-MM or YYYY."))
    year, month, day = (int(part) if part else None for part in match.groups())
    try:
        if month is None:
            reference = date(year, 7, 1)  # type: ignore[arg-type]
            earliest = date(year, 1, 1)  # type: ignore[arg-type]
        elif day is None:
            reference = date(year, month, 15)  # type: ignore[arg-type]
            earliest = date(year, month, 1)  # type: ignore[arg-type]
        else:
            reference = earliest = date(year, month, day)  # type: ignore[arg-type]
    except ValueError:
        raise ValueError(_("This date does not exist.")) from None
    if earliest > (today or date.today()):
        raise ValueError(_("The date of birth is in the future."))
    if year < 1900:  # type: ignore[operator]
        raise ValueError(_("The year of birth is before 1900."))
    return text, min(reference, today or date.today())


# --- names of countries and languages in the interface language ------------------------------

ENGLISH = "en"


def _current_locale() -> str:
    """The interface language of this request (or the default, or English outside an app)."""
    locale = get_locale() if has_app_context() else None
    return str(locale) if locale is not None else ENGLISH


@cache
def _pycountry_catalogue(domain: str, locale: str) -> gettext.NullTranslations:
    return gettext.translation(domain, pycountry.LOCALES_DIR, languages=[locale],
                               fallback=True)


def _localised(locale: str, domain: str, english: str, cldr: str | None) -> str:
    """A country's or language's name in `locale`: English keeps pycountry's ISO names;
    other languages take the translation of that ISO name from pycountry's own catalogues
    (the iso-codes project), else CLDR's name (Babel), else the English name."""
    if locale == ENGLISH:
        return english
    translated = _pycountry_catalogue(domain, locale).gettext(english)
    if translated != english:
        return translated
    return cldr or english


def sort_key(name: str) -> str:
    """Alphabetical order for names in any interface language: accents on Latin letters do
    not count (Åland sorts with A), nor does the diaeresis of Ё (with Е, as dictionaries
    do); Й stays its own letter; Hangul and Cyrillic otherwise keep their code point order,
    which is their alphabetical order."""
    key = []
    for char in name:
        base = unicodedata.normalize("NFD", char)[0]
        key.append(base if char in "ёЁ" or unicodedata.name(base, "").startswith("LATIN")
                   else char)
    return "".join(key).casefold()


def birth_earliest(date_of_birth: str) -> date:
    """The first day the written date of birth can mean (for 'lodged before birth' checks)."""
    parts = [int(p) for p in date_of_birth.split("-")]
    return date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)


@cache
def country_codes() -> frozenset[str]:
    """Every ISO 3166-1 alpha-3 code, plus stateless and unknown."""
    return frozenset({country.alpha_3 for country in pycountry.countries}
                     | {STATELESS, UNKNOWN_NATIONALITY})


def country_names() -> dict[str, str]:
    """Country names by alpha-3 code, in the interface language (see _localised)."""
    return _country_names(_current_locale())


@cache
def _country_names(locale: str) -> dict[str, str]:
    territories = Locale.parse(locale).territories
    names = {country.alpha_3: _localised(locale, "iso3166-1", country.name,
                                         territories.get(country.alpha_2))
             for country in pycountry.countries}
    names[STATELESS] = _("Stateless")
    names[UNKNOWN_NATIONALITY] = _("Unknown")
    return names


def parse_nationality(text: str) -> str:
    code = text.strip().upper()
    if code not in country_codes():
        raise ValueError(_("Use an ISO 3166-1 alpha-3 code (e.g. RUS), XXA for stateless "
                           "or XXX for unknown."))
    return code


@cache
def language_codes() -> frozenset[str]:
    """Every ISO 639-3 code pycountry knows."""
    return frozenset(language.alpha_3 for language in pycountry.languages)


def language_names() -> dict[str, str]:
    """Every ISO 639-3 language pycountry knows, by code, in the interface language."""
    return _language_names(_current_locale())


@cache
def _language_names(locale: str) -> dict[str, str]:
    cldr = Locale.parse(locale).languages
    names = {}
    for language in pycountry.languages:
        code = language.alpha_3
        names[code] = _localised(locale, "iso639-3", language.name,
                                 cldr.get(getattr(language, "alpha_2", code)) or cldr.get(code))
    if locale != ENGLISH:
        for code, name in ASYLUM_LANGUAGE_NAMES.items():
            if names[code] == pycountry.languages.get(alpha_3=code).name:
                names[code] = str(name)
    return names


# Languages asylum seekers often speak that have no ISO 639-1 code: Dari, Sorani and
# Kurmanji Kurdish, Rohingya, Standard and colloquial Arabic, Mandarin and Cantonese,
# Hakka, Balochi, Southern Uzbek.
ASYLUM_LANGUAGES = ("prs", "ckb", "kmr", "rhg", "arb", "apc", "arz", "ary", "cmn", "yue",
                    "hak", "bal", "uzs")
# Their names where neither pycountry's catalogues nor CLDR have one in a supported language.
ASYLUM_LANGUAGE_NAMES = {
    "prs": _l("Dari"), "kmr": _l("Northern Kurdish"), "arb": _l("Standard Arabic"),
    "apc": _l("Levantine Arabic"), "arz": _l("Egyptian Arabic"), "ary": _l("Moroccan Arabic"),
    "cmn": _l("Mandarin Chinese"), "uzs": _l("Southern Uzbek"),
}


@cache
def common_language_codes() -> tuple[str, ...]:
    """The languages offered in forms: those with an ISO 639-1 code and the common asylum
    languages that lack one (forms sort them by name). Any other ISO 639-3 code is accepted
    on import."""
    return tuple(lang.alpha_3 for lang in pycountry.languages
                 if hasattr(lang, "alpha_2") or lang.alpha_3 in ASYLUM_LANGUAGES)


def parse_languages(value: str | list[str]) -> str:
    """ISO 639-3 codes joined with ';' (duplicates dropped, order kept)."""
    items = value if isinstance(value, list) else value.split(";")
    codes: list[str] = []
    for item in items:
        code = item.strip().lower()
        if not code:
            continue
        if code not in language_codes():
            raise ValueError(_("Unknown ISO 639-3 language code: %(code)s.", code=code))
        if code not in codes:
            codes.append(code)
    return ";".join(codes)


def check_latin(text: str) -> str:
    """Names as in the travel document: Latin letters (accents allowed), spaces, hyphens,
    apostrophes and dots. The original script goes in native_name."""
    for char in text:
        if char.isalpha() and not unicodedata.name(char, "").startswith("LATIN"):
            raise ValueError(_("Use the Latin spelling of the travel document here; the "
                               "name in its original script goes in “Name in original "
                               "script”."))
        if not (char.isalpha() or char in " -'’.,"):
            raise ValueError(_("Use letters, spaces, hyphens and apostrophes only."))
    return text


def parse_port(text: str) -> str:
    code = text.strip().upper()
    if not _PORT.match(code):
        raise ValueError(_("Use an IATA airport code (e.g. ICN) or a UN/LOCODE (e.g. KRPUS)."))
    return code


def parse_yes_no(text: str) -> bool:
    value = text.strip().lower()
    if value not in {"yes", "no", ""}:
        raise ValueError(_("Use yes or no."))
    return value == "yes"
