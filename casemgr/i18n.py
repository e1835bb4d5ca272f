"""The interface languages: which ones exist, what each is called, and which one a person
with a list of ISO 639-3 languages reads.

The catalogues live in casemgr/translations (README "Translating"); the choice of language for
a request is auth.security.select_locale.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

import pycountry
from babel import Locale
from flask import current_app


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
