"""Administration of users and organisations (admin role)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from casemgr.auth import services, two_factor
from casemgr.auth.forms import (
    ActivationForm,
    OrganisationForm,
    PasswordResetForm,
    UserEditForm,
    UserFilterForm,
    UserForm,
    organisation_options,
)
from casemgr.auth.models import Organisation, Role, User
from casemgr.auth.policy import Action, requires
from casemgr.exceptions import StaleRecord, ValidationFailed
from casemgr.extensions import db
from casemgr.forms import show_errors, show_stale
from casemgr.listing import Sorting, paginate

bp = Blueprint("admin", __name__, url_prefix="/admin")

USER_SORTING = Sorting(
    {"username": User.username, "full_name": User.full_name, "role": User.role,
     "organisation": Organisation.name, "last_login": User.last_login_at},
    default="username",
)
USER_COUNTS = (sa.select(User.organisation_id, sa.func.count().label("n"))
               .group_by(User.organisation_id).subquery("user_counts"))
ORGANISATION_SORTING = Sorting(
    {"name": Organisation.name, "kind": Organisation.kind,
     "users": sa.func.coalesce(USER_COUNTS.c.n, 0)},
    default="name",
)


# --- users ---------------------------------------------------------------------------------

@bp.route("/users")
@requires(Action.MANAGE_USERS)
def users() -> Any:
    filters = UserFilterForm(request.args)
    filters.organisation_id.choices = organisation_options(blank=_("Any organisation"))
    query = sa.select(User).join(User.organisation)
    if filters.validate():
        if filters.q.data:
            pattern = f"%{filters.q.data.strip().lower()}%"
            query = query.where(sa.or_(User.username.like(pattern),
                                       sa.func.lower(User.full_name).like(pattern)))
        if filters.role.data:
            query = query.where(User.role == Role(filters.role.data))
        if filters.organisation_id.data:
            query = query.where(User.organisation_id == int(filters.organisation_id.data))
        if filters.active.data:
            query = query.where(User.active == (filters.active.data == "1"))
    page = paginate(USER_SORTING.apply(query, User.id))
    return render_template("admin/users.html", page=page, filters=filters,
                           sort=USER_SORTING.current())


@bp.route("/users/new", methods=["GET", "POST"])
@requires(Action.MANAGE_USERS)
def user_new() -> Any:
    form = UserForm(version=1)
    form.organisation_id.choices = organisation_options()
    if form.validate_on_submit():
        try:
            user = services.create_user(
                db.session, username=form.username.data or "", full_name=form.full_name.data or "",
                sex=form.sex.data, role=form.role.data or "", organisation=db.session.get_one(
                    Organisation, form.organisation_id.data),
                password=form.password.data or "", actor=current_user)
        except ValidationFailed as error:
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("User %(name)s created.", name=user.username), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@requires(Action.MANAGE_USERS)
def user_edit(user_id: int) -> Any:
    user = db.get_or_404(User, user_id)
    form = UserEditForm(obj=user)
    form.organisation_id.choices = organisation_options(include=user.organisation)
    changes: list[dict[str, Any]] = []
    if form.validate_on_submit():
        try:
            services.update_user(
                db.session, user, version=form.version.data or 0,
                full_name=form.full_name.data or "", sex=form.sex.data, role=form.role.data or "",
                organisation=db.session.get_one(Organisation, form.organisation_id.data),
                actor=current_user)
        except ValidationFailed as error:
            show_errors(form, error)
        except StaleRecord as error:
            changes = show_stale(form, error)
        else:
            db.session.commit()
            flash(_("User %(name)s saved.", name=user.username), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=user, changes=changes,
                           activation_form=ActivationForm())


@bp.route("/users/<int:user_id>/password", methods=["GET", "POST"])
@requires(Action.MANAGE_USERS)
def user_password(user_id: int) -> Any:
    user = db.get_or_404(User, user_id)
    form = PasswordResetForm()
    if form.validate_on_submit():
        try:
            services.change_password(db.session, user, new_password=form.new_password.data or "",
                                     actor=current_user)
        except ValidationFailed as error:
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("Password of %(name)s reset; their sessions have ended.",
                    name=user.username), "success")
            return redirect(url_for("admin.user_edit", user_id=user.id))
    return render_template("admin/user_password.html", form=form, user=user)


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@requires(Action.MANAGE_USERS)
def user_active(user_id: int) -> Any:
    user = db.get_or_404(User, user_id)
    if ActivationForm().validate_on_submit():
        try:
            services.set_user_active(db.session, user, active=not user.active, actor=current_user)
        except ValidationFailed as error:
            flash(" ".join(error.messages), "danger")
        else:
            db.session.commit()
            flash(_("User %(name)s reactivated.", name=user.username) if user.active
                  else _("User %(name)s deactivated; their sessions have ended.",
                         name=user.username), "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.route("/users/<int:user_id>/two-factor/reset", methods=["POST"])
@requires(Action.MANAGE_USERS)
def user_two_factor_reset(user_id: int) -> Any:
    """For a user who lost both phone and recovery codes: two-factor login is turned off
    and their sessions end; at the next login they set it up again (where required)."""
    user = db.get_or_404(User, user_id)
    if ActivationForm().validate_on_submit() and user.two_factor_enabled:
        two_factor.disable(db.session, user, actor=current_user)
        services.end_all_sessions(db.session, user, actor=current_user)
        db.session.commit()
        flash(_("Two-factor login of %(name)s was reset; their sessions have ended.",
                name=user.username), "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


# --- organisations -------------------------------------------------------------------------

@bp.route("/organisations")
@requires(Action.MANAGE_ORGANISATIONS)
def organisations() -> Any:
    query = sa.select(Organisation).outerjoin(
        USER_COUNTS, USER_COUNTS.c.organisation_id == Organisation.id)
    page = paginate(ORGANISATION_SORTING.apply(query, Organisation.id))
    counts = dict(db.session.execute(sa.select(USER_COUNTS.c.organisation_id, USER_COUNTS.c.n)
                  .where(USER_COUNTS.c.organisation_id.in_([o.id for o in page.items]))).all())
    return render_template("admin/organisations.html", page=page, user_counts=counts,
                           sort=ORGANISATION_SORTING.current())


@bp.route("/organisations/new", methods=["GET", "POST"])
@requires(Action.MANAGE_ORGANISATIONS)
def organisation_new() -> Any:
    form = OrganisationForm(version=1)
    if form.validate_on_submit():
        try:
            organisation = services.create_organisation(
                db.session, name=form.name.data or "", kind=form.kind.data or "",
                actor=current_user)
        except ValidationFailed as error:
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("Organisation %(name)s created.", name=organisation.name), "success")
            return redirect(url_for("admin.organisations"))
    return render_template("admin/organisation_form.html", form=form, organisation=None)


@bp.route("/organisations/<int:organisation_id>", methods=["GET", "POST"])
@requires(Action.MANAGE_ORGANISATIONS)
def organisation_edit(organisation_id: int) -> Any:
    organisation = db.get_or_404(Organisation, organisation_id)
    form = OrganisationForm(obj=organisation)
    changes: list[dict[str, Any]] = []
    if form.validate_on_submit():
        try:
            services.update_organisation(
                db.session, organisation, version=form.version.data or 0,
                name=form.name.data or "", kind=form.kind.data or "", actor=current_user)
        except ValidationFailed as error:
            show_errors(form, error)
        except StaleRecord as error:
            changes = show_stale(form, error)
        else:
            db.session.commit()
            flash(_("Organisation %(name)s saved.", name=organisation.name), "success")
            return redirect(url_for("admin.organisations"))
    return render_template("admin/organisation_form.html", form=form, organisation=organisation,
                           changes=changes, activation_form=ActivationForm())


@bp.route("/organisations/<int:organisation_id>/active", methods=["POST"])
@requires(Action.MANAGE_ORGANISATIONS)
def organisation_active(organisation_id: int) -> Any:
    organisation = db.get_or_404(Organisation, organisation_id)
    if ActivationForm().validate_on_submit():
        try:
            services.set_organisation_active(db.session, organisation,
                                             active=not organisation.active, actor=current_user)
        except ValidationFailed as error:
            flash(" ".join(error.messages), "danger")
        else:
            db.session.commit()
            flash(_("Organisation %(name)s reactivated.", name=organisation.name)
                  if organisation.active else
                  _("Organisation %(name)s deactivated; its users can no longer log in.",
                    name=organisation.name), "success")
    return redirect(url_for("admin.organisation_edit", organisation_id=organisation.id))
