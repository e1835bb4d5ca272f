"""Forms for booking, moving and concluding hearings, the agenda's filters and the feed."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from casemgr.applicants.forms import PlainText, language_options
from casemgr.forms import FilterForm, FilterSelectField, options
from casemgr.hearings import times
from casemgr.hearings.models import OUTCOMES, HearingKind, HearingStatus
from casemgr.hearings.services import MAX_DURATION_MINUTES, MAX_NOTE, MAX_TEXT


def _optional_int(value: Any) -> int | None:
    return int(value) if value not in (None, "", "None") else None


def _optional_str(value: Any) -> str | None:
    if value is None:
        return None
    return str(value).strip() or None


def interpreter_language_options(recorded: list[str]) -> list[SelectChoice]:
    """The common languages (and the applicant's own), led by "no interpreter"."""
    return [SelectChoice("", str(_l("No interpreter"))), *language_options(recorded)]


class HearingForm(FlaskForm):
    """Book a hearing of a case (field names are INTERFACES §5's)."""

    kind = SelectField(_l("Kind"), validators=[DataRequired()],
                       choices=lambda: options((k.value, k.label) for k in HearingKind))
    starts_at = DateTimeLocalField(
        _l("Starts at"), validators=[InputRequired()], tz=times.zone,
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        description=_l("Local time of the agency."))
    duration_minutes = IntegerField(
        _l("Duration (minutes)"), default=90,
        validators=[InputRequired(), NumberRange(
            min=1, max=MAX_DURATION_MINUTES,
            message=_l("Between 1 minute and 12 hours (%(n)d minutes): the end must be after "
                       "the start.", n=MAX_DURATION_MINUTES))])
    location = StringField(_l("Place or room"),
                           validators=[DataRequired(), Length(max=MAX_TEXT), PlainText()])
    interviewer_id = SelectField(_l("Interviewer"), coerce=_optional_int)
    interpreter_name = StringField(_l("Interpreter"),
                                   validators=[Optional(), Length(max=MAX_TEXT), PlainText()])
    interpreter_language = SelectField(_l("Interpreter's language"), coerce=_optional_str)
    representative_attending = BooleanField(_l("Legal representative attending"))
    same_sex_interviewer_requested = BooleanField(
        _l("Applicant asked for an interviewer of their own sex"))
    recording_consent = BooleanField(_l("Applicant consents to audio/video recording"))


class HearingEditForm(HearingForm):
    version = IntegerField(widget=HiddenField.widget, validators=[InputRequired()])


class OutcomeForm(FlaskForm):
    version = IntegerField(widget=HiddenField.widget, validators=[InputRequired()])
    status = SelectField(_l("Outcome"), validators=[DataRequired()],
                         choices=lambda: options((s.value, s.label) for s in OUTCOMES))
    outcome_note = TextAreaField(_l("Note"),
                                 validators=[Optional(), Length(max=MAX_NOTE), PlainText()])


# A filter left at "any" (""); whitespace is an invalid choice, not "any".
class AgendaFilterForm(FilterForm):
    """The agenda's period and filters."""

    view = FilterSelectField(_l("Show"),
                             choices=lambda: options([("day", _l("Day")), ("week", _l("Week"))]))
    date = DateField(_l("Date"), validators=[Optional()])
    kind = FilterSelectField(_l("Kind"), choices=lambda: options(
        ((k.value, k.label) for k in HearingKind), blank=_l("Any")))
    interviewer_id = FilterSelectField(_l("Interviewer"))
    interpreter = StringField(_l("Interpreter"),
                              validators=[Optional(), Length(max=MAX_TEXT), PlainText()])
    location = StringField(_l("Place or room"),
                           validators=[Optional(), Length(max=MAX_TEXT), PlainText()])
    status = FilterSelectField(_l("Status"), choices=lambda: options(
        ((s.value, s.label) for s in HearingStatus), blank=_l("Any")))


class ConfirmForm(FlaskForm):
    """A POST carrying only the CSRF token (create or revoke the calendar feed)."""
