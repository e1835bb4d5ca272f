"""The message catalogues match the code, are complete, and are compiled.

`make messages` extracts the marked strings into casemgr/translations/messages.pot and merges
them into the ko and ru catalogues; `make translations` compiles those to the .mo files the
app reads. These tests fail when one of those steps was forgotten, or a translation is
missing or breaks a placeholder.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from casemgr import ROOT, TRANSLATIONS_DIR

LOCALES = ("ko", "ru")
# The same keywords as `make messages` (pybabel extract -k lazy_gettext -k _l).
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "_l": None}

Key = tuple[str | tuple[str, ...], str | None]


def _key(message: Message) -> Key:
    msgid = message.id if isinstance(message.id, str) else tuple(message.id)
    return msgid, message.context


def _read_po(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle)


def _po_path(locale: str) -> Path:
    return TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.po"


@pytest.fixture(scope="module")
def in_code() -> dict[Key, list[str]]:
    """Every marked string in casemgr/ and templates/, with where it occurs."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found: dict[Key, list[str]] = {}
    for filename, line, message, _comments, context in extract_from_dir(
            ROOT, method_map, options_map, keywords=KEYWORDS):
        msgid = message if isinstance(message, str) else tuple(message)
        found.setdefault((msgid, context), []).append(f"{filename}:{line}")
    return found


@pytest.fixture(scope="module")
def template() -> Catalog:
    return _read_po(TRANSLATIONS_DIR / "messages.pot")


def test_extraction_finds_templates_and_code(in_code: dict[Key, list[str]]) -> None:
    """The extraction itself works on both kinds of file (a template that Jinja cannot
    parse is skipped silently by Babel, so look for one string of each)."""
    assert ("Please correct the following:", None) in in_code  # _macros.html uses {% do %}
    assert ("Dashboard", None) in in_code  # templating.py, lazy_gettext
    assert (("%(num)d day left", "%(num)d days left"), None) in in_code  # ngettext


def test_catalogue_template_matches_the_code(in_code: dict[Key, list[str]],
                                             template: Catalog) -> None:
    """Run `make messages` after adding, changing or removing a marked string."""
    in_template = {_key(m) for m in template if m.id}
    missing = sorted((str(k[0]), v[0]) for k, v in in_code.items() if k not in in_template)
    assert not missing, f"in the code but not in messages.pot: {missing}"
    stale = sorted(str(k[0]) for k in in_template - set(in_code))
    assert not stale, f"in messages.pot but no longer in the code: {stale}"


@pytest.mark.parametrize("locale", LOCALES)
def test_catalogue_has_every_message(locale: str, template: Catalog) -> None:
    """Each language's catalogue lists every message of the template (`make messages`)."""
    catalogue = _read_po(_po_path(locale))
    assert catalogue.locale is not None and str(catalogue.locale) == locale
    expected = {_key(m) for m in template if m.id}
    listed = {_key(m) for m in catalogue if m.id}
    assert not expected - listed, f"missing in {locale}: {sorted(map(str, expected - listed))}"
    assert not listed - expected, f"stale in {locale}: {sorted(map(str, listed - expected))}"


@pytest.mark.parametrize("locale", LOCALES)
def test_compiled_catalogue_is_current(locale: str) -> None:
    """The committed .mo holds exactly what compiling the .po gives (`make translations`)."""
    compiled = io.BytesIO()
    write_mo(compiled, _read_po(_po_path(locale)))
    compiled.seek(0)
    mo_path = _po_path(locale).with_suffix(".mo")
    with mo_path.open("rb") as handle:
        committed = read_mo(handle)
    fresh = read_mo(compiled)
    assert {_key(m): m.string for m in committed if m.id} == \
        {_key(m): m.string for m in fresh if m.id}, f"run `make translations` ({mo_path})"


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_keep_placeholders(locale: str) -> None:
    """A translation uses the same %(name)s placeholders as its message."""
    catalogue = _read_po(_po_path(locale))
    problems = [(str(message.id), [str(e) for e in errors])
                for message, errors in catalogue.check() if errors]
    assert not problems


@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_translated(locale: str) -> None:
    """Every message has a translation that is not marked fuzzy (needs review)."""
    catalogue = _read_po(_po_path(locale))
    untranslated = []
    for message in catalogue:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            untranslated.append(str(message.id))
    assert not untranslated, (
        f"{len(untranslated)} messages untranslated or fuzzy in {locale}: {untranslated[:20]}")
