"""Forms for login, the user's own account, and user and organisation administration."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, Optional

from casemgr.applicants.models import Sex
from casemgr.auth.models import Organisation, OrganisationKind, Role
from casemgr.extensions import db
from casemgr.forms import FilterForm, FilterSelectField, options
from casemgr.i18n import interface_languages


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none"})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)],
                             render_kw={"autocomplete": "current-password"})
    # The two-factor code may come with the password (scripts); the page asks for it next.
    totp = StringField(_l("Code"), validators=[Optional(), Length(max=32)])
    next = HiddenField()


class CodeForm(FlaskForm):
    """The second step of a login, and the confirmation of an enrolment."""

    code = StringField(_l("Code from your authenticator app, or a recovery code"),
                       validators=[DataRequired(), Length(max=32)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric",
                                  "autocapitalize": "none"})


class LogoutForm(FlaskForm):
    """Logout is a POST so another site cannot log a user out with a link."""


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()],
                                     render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(max=256)],
        description=_l("At least 12 characters; not your username; not a common password."),
        render_kw={"autocomplete": "new-password"})
    confirm_password = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", _l("The passwords do not match."))],
        render_kw={"autocomplete": "new-password"})


class LanguageForm(FlaskForm):
    """The interface language: the account page's select, and the navbar's buttons."""

    language = SelectField(_l("Interface language"), choices=[], validate_choice=True)
    next = HiddenField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.language.choices = [
            SelectChoice("", str(_l("As the browser asks"))),
            *(SelectChoice(locale, name, {"lang": locale})
              for locale, name in interface_languages())]


class _VersionedForm(FlaskForm):
    version = IntegerField(widget=HiddenField.widget, validators=[InputRequired()])


def role_options(blank: Any = None) -> list[SelectChoice]:
    return options(((role.value, role.label) for role in Role), blank=blank)


def organisation_options(*, include: Organisation | None = None, blank: Any = None
                         ) -> list[SelectChoice]:
    """Active organisations, plus `include` (a user's current one, even if deactivated)."""
    query = sa.select(Organisation).where(Organisation.active)
    if include is not None:
        query = query.where(Organisation.active | (Organisation.id == include.id))
    found = db.session.execute(query.order_by(Organisation.name)).scalars()
    return options(((o.id, f"{o.name} ({o.kind.label})") for o in found), blank=blank)


class UserForm(_VersionedForm):
    """Create (with a password) or edit (without) a user."""

    username = StringField(_l("Username"), validators=[DataRequired(), Length(min=2, max=64)],
                           render_kw={"autocapitalize": "none", "autocomplete": "off"})
    full_name = StringField(_l("Full name"), validators=[Optional(), Length(max=200)])
    sex = SelectField(
        _l("Sex"), validators=[Optional()], coerce=lambda value: value or None,
        choices=lambda: options(((s.value, s.label) for s in Sex if s != Sex.U),
                                blank=_l("Not recorded")),
        description=_l("Optional. Recorded so that an applicant who asks for an interviewer "
                       "of the same sex can be given one."))
    role = SelectField(_l("Role"), choices=role_options, validators=[DataRequired()])
    organisation_id = SelectField(_l("Organisation"), coerce=int, validators=[DataRequired()])
    password = PasswordField(
        _l("Initial password"), validators=[DataRequired(), Length(max=256)],
        description=_l("At least 12 characters; not the username; not a common password. "
                       "Give it to the user through a safe channel."),
        render_kw={"autocomplete": "new-password"})


class UserEditForm(UserForm):
    username = None  # type: ignore[assignment]
    password = None  # type: ignore[assignment]


class PasswordResetForm(FlaskForm):
    new_password = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(max=256)],
        description=_l("The user's other sessions end at once."),
        render_kw={"autocomplete": "new-password"})


class ActivationForm(FlaskForm):
    """Deactivate or reactivate (a POST with only the CSRF token)."""


class OrganisationForm(_VersionedForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(
        _l("Kind"), validators=[DataRequired()],
        choices=lambda: options((kind.value, kind.label) for kind in OrganisationKind))


class UserFilterForm(FilterForm):
    """The filters of the user list."""

    q = StringField(_l("Name or username"), validators=[Optional(), Length(max=100)])
    role = FilterSelectField(_l("Role"),
                             choices=lambda: role_options(blank=_l("Any role")))
    organisation_id = FilterSelectField(_l("Organisation"))
    active = FilterSelectField(_l("Status"),
                               choices=lambda: options([("1", _l("Active")),
                                                        ("0", _l("Deactivated"))], blank=_l("Any")))
