"""Filters of the audit log."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, StringField
from wtforms.validators import Length, Optional, ValidationError

from casemgr.audit.services import AuditAction
from casemgr.forms import FilterForm, FilterSelectField, options


class AuditFilterForm(FilterForm):
    person = StringField(_l("Person (registration no.)"), validators=[Optional(), Length(max=32)])
    actor = StringField(_l("User"), validators=[Optional(), Length(max=64)])
    action = FilterSelectField(
        _l("Action"),
        choices=lambda: options(((a.value, a.label) for a in AuditAction),
                                blank=_l("Any action")))
    object_type = StringField(_l("Record type"), validators=[Optional(), Length(max=32)])
    object_id = StringField(_l("Record id"), validators=[Optional(), Length(max=64)])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])

    def validate_date_to(self, field: DateField) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date is before the start date."))


class VerifyForm(FlaskForm):
    """Run the chain verification (a POST: it writes an audit event)."""
