"""Forms for registering, finding and editing applicants. Field names are §3's columns."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from casemgr.applicants import fields
from casemgr.applicants.models import Relationship, Sex
from casemgr.cases.models import CaseStatus, LodgedAt
from casemgr.forms import CachedSelect, FilterForm, FilterSelectField, options

MAX_FAMILY_MEMBERS = 12


def nationality_options(blank: Any = None) -> list[Any]:
    """Countries by name, plus stateless and unknown (one list per locale and blank)."""
    return _nationality_options(str(get_locale()), None if blank is None else str(blank))


@lru_cache(maxsize=32)
def _nationality_options(_locale: str, blank: str | None) -> list[Any]:
    names = fields.country_names()
    return options(sorted(names.items(), key=lambda item: fields.sort_key(item[1])),
                   blank=blank)


def language_options(recorded: Iterable[str] = ()) -> list[Any]:
    """The common languages by their name in the interface language, plus any other ISO
    639-3 code already recorded for the person (imported), so that editing shows it and
    does not silently drop it."""
    names = fields.language_names()
    common = fields.common_language_codes()
    extra = [code for code in recorded if code in names and code not in common]
    return [*_common_languages(str(get_locale())),
            *options((code, f"{names[code]} ({code})") for code in extra)]


@lru_cache(maxsize=8)
def _common_languages(_locale: str) -> list[Any]:
    names = fields.language_names()
    codes = sorted(fields.common_language_codes(), key=lambda code: fields.sort_key(names[code]))
    return options((code, f"{names[code]} ({code})") for code in codes)


def _sex_options() -> list[Any]:
    return options((sex.value, sex.label) for sex in Sex)


def _relationship_options() -> list[Any]:
    return options(((r.value, r.label) for r in Relationship), blank="—")


class ParsedDateOfBirth:
    """Validator: YYYY, YYYY-MM or YYYY-MM-DD, a real date, not in the future."""

    def __call__(self, form: Any, field: Any) -> None:
        try:
            field.data, _reference = fields.parse_date_of_birth(field.data or "")
        except ValueError as error:
            raise ValidationError(str(error)) from None


class PlainText:
    """Validator: no control characters other than whitespace (PostgreSQL cannot even store
    a NUL; a BEL or an ESC in a name is never what the document says)."""

    def __call__(self, form: Any, field: Any) -> None:
        if field.data and any(unicodedata.category(char) == "Cc" and char not in "\t\n\r"
                              for char in field.data):
            raise ValidationError(_l("Remove the control characters from this field."))


class ParsedPort:
    def __call__(self, form: Any, field: Any) -> None:
        if field.data:
            try:
                field.data = fields.parse_port(field.data)
            except ValueError as error:
                raise ValidationError(str(error)) from None


def _nullable(value: Any) -> Any:
    """Blank (or only whitespace, which Optional() lets through unvalidated) becomes None."""
    if isinstance(value, str):
        value = value.strip()
    return value or None


class _IdentityFields:
    family_name = StringField(_l("Family name"),
                              validators=[DataRequired(), Length(max=100), PlainText()],
                              description=_l("Latin script, as in the travel document."))
    given_names = StringField(_l("Given names"),
                              validators=[DataRequired(), Length(max=200), PlainText()],
                              description=_l("Latin script; “-” when the person has none."))
    native_name = StringField(_l("Name in original script"),
                              validators=[Optional(), Length(max=200), PlainText()],
                              filters=[_nullable],
                              description=_l("E.g. Cyrillic, Hangul, Arabic."))
    sex = SelectField(_l("Sex"), choices=_sex_options, validators=[DataRequired()])
    date_of_birth = StringField(
        _l("Date of birth"), validators=[DataRequired(), ParsedDateOfBirth()],
        description=_l("YYYY-MM-DD; YYYY-MM or YYYY when only that much is known."))


class MemberForm(_IdentityFields, Form):
    """Another member of a household registering together."""

    relationship = SelectField(_l("Relationship to the principal"), validators=[Optional()],
                               choices=_relationship_options, filters=[_nullable])
    nationality = SelectField(_l("Nationality"), validators=[Optional()], filters=[_nullable],
                              widget=CachedSelect(),
                              choices=lambda: nationality_options(blank=_l("Same as principal")))
    duplicate_decision = HiddenField()


class _PersonFields(_IdentityFields):
    nationality = SelectField(_l("Nationality"), choices=nationality_options,
                              validators=[DataRequired()], widget=CachedSelect())
    languages = SelectMultipleField(_l("Languages"), choices=language_options,
                                    widget=CachedSelect(multiple=True),
                                    validators=[Optional()], render_kw={"size": 6},
                                    description=_l("Hold Ctrl (⌘ on a Mac) to choose several."))
    interpreter_needed = BooleanField(_l("Interpreter needed"))
    arrival_date = DateField(_l("Arrival date"), validators=[Optional()])
    port_of_entry = StringField(_l("Port of entry"), validators=[Optional(), ParsedPort()],
                                filters=[_nullable], render_kw={"autocapitalize": "characters"},
                                description=_l("IATA airport (e.g. ICN) or UN/LOCODE port."))
    family_group = StringField(_l("Family group"),
                               validators=[Optional(), Length(max=64), PlainText()],
                               filters=[_nullable],
                               description=_l("Shared by the members of one household."))
    relationship = SelectField(_l("Relationship"), choices=_relationship_options,
                               validators=[Optional()], filters=[_nullable])
    aliases = TextAreaField(_l("Other names"),
                            validators=[Optional(), Length(max=2000), PlainText()],
                            description=_l("Other spellings or former names, one per line."))


class _LodgingFields:
    lodged_on = DateField(_l("Application lodged on"), validators=[InputRequired()])
    lodged_at = SelectField(_l("Lodged"), validators=[DataRequired()],
                            choices=lambda: options((p.value, p.label) for p in LodgedAt))


class RegistrationForm(_PersonFields, _LodgingFields, FlaskForm):
    """Register a person (and optionally their household) with a new application."""

    duplicate_decision = HiddenField()
    members = FieldList(FormField(MemberForm), min_entries=0, max_entries=MAX_FAMILY_MEMBERS)


class ApplicantEditForm(_PersonFields, FlaskForm):
    version = IntegerField(widget=HiddenField.widget, validators=[InputRequired()])


class LodgeForm(_LodgingFields, FlaskForm):
    """A new (subsequent) application of a person already registered."""

    port_of_entry = StringField(_l("Port of entry"), validators=[Optional(), ParsedPort()],
                                filters=[_nullable])


class SharingForm(FlaskForm):
    organisation_id = SelectField(_l("NGO"), coerce=int, validators=[DataRequired()])


class ConfirmForm(FlaskForm):
    """A POST carrying only the CSRF token (revoke, and similar one-click actions)."""


# A filter left at "any" (""); whitespace is not blank here but an invalid choice, as the
# views would otherwise receive it unvalidated.
class ApplicantFilterForm(FilterForm):
    """The applicant list's search and filters."""

    q = StringField(_l("Name or registration no."),
                    validators=[Optional(), Length(max=100), PlainText()])
    nationality = FilterSelectField(_l("Nationality"),
                                    choices=lambda: nationality_options(blank=_l("Any")))
    status = FilterSelectField(_l("Status"), choices=lambda: options(
        ((s.value, s.label) for s in CaseStatus), blank=_l("Any")))
    lodged_at = FilterSelectField(_l("Lodged"), choices=lambda: options(
        ((p.value, p.label) for p in LodgedAt), blank=_l("Anywhere")))
    port_of_entry = StringField(_l("Port"), validators=[Optional(), Length(max=5), PlainText()])
    assigned_to_id = FilterSelectField(_l("Caseworker"))
    overdue = BooleanField(_l("Overdue only"))
