"""Forms for specific needs, assistance needs and the needs lists' filters."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from casemgr.applicants.forms import PlainText
from casemgr.forms import FilterForm, FilterSelectField, options
from casemgr.needs import codes
from casemgr.needs.models import NeedCategory, NeedPriority, NeedStatus
from casemgr.needs.services import MAX_NOTE, REFERRED_NEED_STATUSES


def _optional_int(value: Any) -> int | None:
    return int(value) if value not in (None, "", "None") else None


def code_choices(*, sensitive: bool) -> dict[str, list[tuple[str, str]]]:
    """The codes grouped by category; the category alone when the detail is not known.
    Sensitive categories and codes only for those who may see them."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for category, label in codes.CATEGORIES.items():
        items = [(category, f"{category} — {label} ({_l('detail not known')})")]
        items += [(code, f"{code} — {codes.label(code)}") for code in codes.CODES
                  if codes.category(code) == category]
        items = [item for item in items if sensitive or not codes.is_sensitive(item[0])]
        if items:
            groups[f"{category} — {label}"] = items
    return groups


_NOTE = [Optional(), Length(max=MAX_NOTE), PlainText()]


class SpecificNeedForm(FlaskForm):
    code = SelectField(_l("Specific need"), validators=[DataRequired()])
    identified_on = DateField(_l("Identified on"), validators=[InputRequired()])
    # Its own id: the person's needs page shows the assistance-need form's `note` too.
    note = TextAreaField(_l("Note"), validators=_NOTE, render_kw={"rows": 2},
                         id="specific_note")


class _NeedFields(FlaskForm):
    category = SelectField(_l("Category"), validators=[DataRequired()], choices=lambda: options(
        (c.value, c.label) for c in NeedCategory))
    priority = SelectField(_l("Priority"), validators=[DataRequired()], default="normal",
                           choices=lambda: options((p.value, p.label) for p in NeedPriority))
    referred_to_org_id = SelectField(
        _l("Referred to"), coerce=_optional_int,
        description=_l("Choosing an organisation refers the need to it: its staff then see "
                       "the need and record its progress."))
    opened_on = DateField(_l("Opened on"), validators=[InputRequired()])
    due_on = DateField(_l("Due on"), validators=[Optional()])
    note = TextAreaField(_l("Note"), validators=_NOTE, render_kw={"rows": 2})


class NeedForm(_NeedFields):
    """Open an assistance need."""


class NeedEditForm(_NeedFields):
    """Every field of a need (agency staff)."""

    version = IntegerField(widget=HiddenField.widget, validators=[InputRequired()])
    status = SelectField(_l("Status"), validators=[DataRequired()],
                         choices=lambda: options((s.value, s.label) for s in NeedStatus))
    resolved_on = DateField(_l("Resolved on"), validators=[Optional()],
                            description=_l("Today when left blank for a met or closed need."))
    resolution_note = TextAreaField(_l("Resolution"), validators=_NOTE, render_kw={"rows": 2})


class ReferredNeedForm(FlaskForm):
    """The progress of a need referred to the user's organisation (NGO staff)."""

    version = IntegerField(widget=HiddenField.widget, validators=[InputRequired()])
    status = SelectField(_l("Status"), validators=[DataRequired()], choices=lambda: options(
        (s.value, s.label) for s in REFERRED_NEED_STATUSES))
    resolved_on = DateField(_l("Resolved on"), validators=[Optional()],
                            description=_l("Today when left blank for a met or closed need."))
    resolution_note = TextAreaField(_l("Resolution"), validators=_NOTE, render_kw={"rows": 2})


class ConfirmForm(FlaskForm):
    """A POST carrying only the CSRF token (confirm a suggestion, remove a code)."""


class NeedFilterForm(FilterForm):
    """The needs list's filters."""

    category = FilterSelectField(_l("Category"), choices=lambda: options(
        ((c.value, c.label) for c in NeedCategory), blank=_l("Any")))
    priority = FilterSelectField(_l("Priority"), choices=lambda: options(
        ((p.value, p.label) for p in NeedPriority), blank=_l("Any")))
    status = FilterSelectField(_l("Status"), choices=lambda: options(
        [("unresolved", _l("Not yet met or closed")),
         *((s.value, s.label) for s in NeedStatus)], blank=_l("Any")))
    organisation_id = FilterSelectField(_l("Referred to"))
    overdue = BooleanField(_l("Overdue only"))


class SpecificNeedFilterForm(FilterForm):
    category = FilterSelectField(_l("Category"), choices=lambda: options(
        ((c, f"{c} — {label}") for c, label in codes.CATEGORIES.items()), blank=_l("Any")))
