"""Forms on the case page: status changes, extensions, assignment, notes."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, IntegerField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from casemgr.cases.models import NoteVisibility
from casemgr.forms import options


def _optional_int(value: object) -> int | None:
    return int(value) if value not in (None, "", "None") else None  # type: ignore[arg-type]


class _Versioned(FlaskForm):
    version = IntegerField(widget=HiddenField.widget, validators=[InputRequired()])


class TransitionForm(_Versioned):
    to = SelectField(_l("New status"), validators=[DataRequired()])
    outcome = SelectField(_l("Outcome"), validators=[Optional()])
    effective_date = DateField(_l("Effective date"), validators=[InputRequired()])
    notice_served_on = DateField(
        _l("Notice served on"), validators=[Optional()],
        description=_l("For decisions: when the applicant received the written notice. "
                       "Clocks for objections and suits run from this date."))
    reason = TextAreaField(_l("Reason or basis"), validators=[DataRequired(), Length(max=2000)])


class ExtensionForm(FlaskForm):
    extended_to = DateField(_l("Extend the decision deadline to"), validators=[InputRequired()])
    noticed_on = DateField(_l("Applicant notified on"), validators=[InputRequired()])
    # Its own id: the case page shows the status change's `reason` too.
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)],
                           id="extension_reason")


class AssignmentForm(_Versioned):
    assigned_to_id = SelectField(_l("Caseworker"), coerce=_optional_int)
    representing_org_id = SelectField(_l("Representing NGO"), coerce=_optional_int)


class NoteForm(FlaskForm):
    body = TextAreaField(_l("Note"), validators=[DataRequired(), Length(max=10_000)])
    visibility = SelectField(_l("Visible to"), validators=[DataRequired()],
                             choices=lambda: options((v.value, v.label) for v in NoteVisibility))
