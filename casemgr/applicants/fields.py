"""Parsing and checking the values of the applicant/case record (INTERFACES §3).

Forms, the import and the API all use these, so a value means the same everywhere. Each
parser returns the clean value or raises ValueError with a message fit for the user.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from functools import cache

import pycountry
from flask_babel import gettext as _

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


def birth_earliest(date_of_birth: str) -> date:
    """The first day the written date of birth can mean (for 'lodged before birth' checks)."""
    parts = [int(p) for p in date_of_birth.split("-")]
    return date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)


@cache
def country_names() -> dict[str, str]:
    names = {country.alpha_3: country.name for country in pycountry.countries}
    names[STATELESS] = "Stateless"
    names[UNKNOWN_NATIONALITY] = "Unknown"
    return names


def parse_nationality(text: str) -> str:
    code = text.strip().upper()
    if code not in country_names():
        raise ValueError(_("Use an ISO 3166-1 alpha-3 code (e.g. RUS), XXA for stateless "
                           "or XXX for unknown."))
    return code


@cache
def language_names() -> dict[str, str]:
    """Every ISO 639-3 language pycountry knows."""
    return {language.alpha_3: language.name for language in pycountry.languages}


# Languages asylum seekers often speak that have no ISO 639-1 code: Dari, Sorani and
# Kurmanji Kurdish, Rohingya, Standard and colloquial Arabic, Mandarin and Cantonese,
# Hakka, Balochi, Southern Uzbek.
ASYLUM_LANGUAGES = ("prs", "ckb", "kmr", "rhg", "arb", "apc", "arz", "ary", "cmn", "yue",
                    "hak", "bal", "uzs")


@cache
def common_language_codes() -> tuple[str, ...]:
    """The languages offered in forms: those with an ISO 639-1 code and the common asylum
    languages that lack one, by name. Any other ISO 639-3 code is accepted on import."""
    common = [lang for lang in pycountry.languages
              if hasattr(lang, "alpha_2") or lang.alpha_3 in ASYLUM_LANGUAGES]
    return tuple(lang.alpha_3 for lang in sorted(common, key=lambda lang: lang.name))


def parse_languages(value: str | list[str]) -> str:
    """ISO 639-3 codes joined with ';' (duplicates dropped, order kept)."""
    items = value if isinstance(value, list) else value.split(";")
    codes: list[str] = []
    for item in items:
        code = item.strip().lower()
        if not code:
            continue
        if code not in language_names():
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
