"""Needs pages: a person's needs (specific and assistance), the needs lists across the
user's scope, and one assistance need with its progress."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from casemgr.applicants.models import Applicant
from casemgr.applicants.views import load_applicant
from casemgr.audit.services import AuditAction
from casemgr.auth.models import Organisation, OrganisationKind
from casemgr.auth.policy import (
    Action,
    applicant_scope,
    can,
    in_scope,
    may_update_need,
    need_scope,
    require,
    require_in_scope,
    requires,
)
from casemgr.extensions import db
from casemgr.forms import options, submit
from casemgr.listing import Sorting, paginate
from casemgr.localtime import today
from casemgr.needs import services
from casemgr.needs.forms import (
    ConfirmForm,
    NeedEditForm,
    NeedFilterForm,
    NeedForm,
    ReferredNeedForm,
    SpecificNeedFilterForm,
    SpecificNeedForm,
    code_choices,
)
from casemgr.needs.models import (
    AssistanceNeed,
    NeedPriority,
    SpecificNeed,
)

bp = Blueprint("needs", __name__)

PRIORITY_ORDER = sa.case({NeedPriority.URGENT.value: 0, NeedPriority.HIGH.value: 1},
                         value=AssistanceNeed.priority, else_=2)
SORTING = Sorting({
    "opened_on": AssistanceNeed.opened_on,
    "due_on": AssistanceNeed.due_on,
    "priority": PRIORITY_ORDER,
    "category": AssistanceNeed.category,
    "status": AssistanceNeed.status,
}, default="-opened_on")
LIST_FILTERS = ("category", "priority", "status", "organisation_id", "overdue")


def _ngo_options(blank: Any, *, only: int | None = None) -> list[Any]:
    query = sa.select(Organisation).where(Organisation.kind == OrganisationKind.NGO,
                                          Organisation.active)
    if only is not None:
        query = query.where(Organisation.id == only)
    found = db.session.execute(query.order_by(Organisation.name)).scalars()
    return options(((o.id, o.name) for o in found), blank=blank)


def _referral_options() -> list[Any]:
    """Agency staff refer to any NGO; NGO staff only to their own organisation."""
    only = None if can(current_user, Action.MANAGE_NEEDS) else current_user.organisation_id
    return _ngo_options(_("Not referred"), only=only)


# --- a person's needs ----------------------------------------------------------------------

def render_person(applicant: Applicant, status: int = 200, **forms: Any) -> Any:
    """The person's needs page, with a submitted form (and its errors) in place."""
    may_record = can(current_user, Action.RECORD_NEEDS, applicant)
    specific_form = forms.get("specific_form")
    need_form = forms.get("need_form")
    if may_record and specific_form is None:
        specific_form = SpecificNeedForm(identified_on=today())
    if specific_form is not None:
        specific_form.code.choices = code_choices(
            sensitive=services.sees_sensitive_needs(db.session, applicant, current_user))
    if may_record and need_form is None:
        need_form = NeedForm(opened_on=today())
    if need_form is not None:
        need_form.referred_to_org_id.choices = _referral_options()
    return render_template(
        "needs/person.html", applicant=applicant, today=today(),
        needs=services.person_needs(db.session, applicant, current_user),
        specific_form=specific_form, need_form=need_form, confirm_form=ConfirmForm(),
        suggestion_label=services.suggestion_label), status


@bp.route("/applicants/<int:applicant_id>/needs")
@requires(Action.VIEW_NEEDS)
def person(applicant_id: int) -> Any:
    applicant = load_applicant(applicant_id)
    services.record_view(db.session, applicant, actor=current_user,
                         action=AuditAction.NEEDS_VIEWED)
    db.session.commit()
    return render_person(applicant)


@bp.route("/applicants/<int:applicant_id>/needs/specific", methods=["POST"])
@requires(Action.RECORD_NEEDS)
def add_specific(applicant_id: int) -> Any:
    applicant = load_applicant(applicant_id)
    require(Action.RECORD_NEEDS, applicant)
    form = SpecificNeedForm()
    form.code.choices = code_choices(
        sensitive=services.sees_sensitive_needs(db.session, applicant, current_user))
    if form.validate_on_submit() and submit(form, lambda: services.record_specific_need(
            db.session, applicant, code=form.code.data or "",
            identified_on=form.identified_on.data, note=form.note.data or "",
            actor=current_user, today=today())):
        db.session.commit()
        flash(_("Specific need recorded."), "success")
        return redirect(url_for("needs.person", applicant_id=applicant.id) + "#specific")
    db.session.rollback()
    return render_person(load_applicant(applicant_id), specific_form=form)


@bp.route("/applicants/<int:applicant_id>/needs/specific/<int:need_id>/remove",
          methods=["POST"])
@requires(Action.VIEW_NEEDS)  # the record first: out of scope is 404
def remove_specific(applicant_id: int, need_id: int) -> Any:
    applicant = load_applicant(applicant_id)
    require(Action.MANAGE_NEEDS, applicant)
    need = db.session.execute(services.specific_needs_query(current_user).where(
        SpecificNeed.id == need_id, SpecificNeed.applicant_id == applicant.id)).scalar()
    if need is None:
        abort(404)
    if ConfirmForm().validate_on_submit():
        services.remove_specific_need(db.session, need, actor=current_user)
        db.session.commit()
        flash(_("Specific need removed."), "success")
    return redirect(url_for("needs.person", applicant_id=applicant.id) + "#specific")


@bp.route("/applicants/<int:applicant_id>/needs/assistance", methods=["POST"])
@requires(Action.RECORD_NEEDS)
def open_need(applicant_id: int) -> Any:
    applicant = load_applicant(applicant_id)
    require(Action.RECORD_NEEDS, applicant)
    form = NeedForm()
    form.referred_to_org_id.choices = _referral_options()
    opened: list[AssistanceNeed] = []
    if form.validate_on_submit() and submit(form, lambda: opened.append(services.open_need(
            db.session, applicant, services.NeedData(
                category=form.category.data or "", priority=form.priority.data or "",
                referred_to_org_id=form.referred_to_org_id.data,
                opened_on=form.opened_on.data, due_on=form.due_on.data,
                note=form.note.data or ""),
            actor=current_user, today=today()))):
        db.session.commit()
        flash(_("Need opened."), "success")
        return redirect(url_for("needs.detail", need_id=opened[0].id))
    db.session.rollback()
    return render_person(load_applicant(applicant_id), need_form=form)


@bp.route("/applicants/<int:applicant_id>/needs/port-held", methods=["POST"])
@requires(Action.RECORD_NEEDS)
def confirm_port_held(applicant_id: int) -> Any:
    """The one button that records what a person held at a port is offered."""
    applicant = load_applicant(applicant_id)
    require(Action.RECORD_NEEDS, applicant)
    added: list[str] = []
    form = ConfirmForm()
    if form.validate_on_submit() and submit(form, lambda: added.extend(
            services.confirm_port_held(db.session, applicant, actor=current_user,
                                       today=today()))):
        db.session.commit()
        flash(_("Recorded: %(items)s.", items=", ".join(
            services.suggestion_label(item) for item in added)) if added
              else _("Nothing was missing."), "success")
    else:
        db.session.rollback()
        for message in form.form_errors:
            flash(message, "danger")
    return redirect(url_for("needs.person", applicant_id=applicant_id))


# --- the lists -----------------------------------------------------------------------------

@bp.route("/needs")
@requires(Action.VIEW_NEEDS)
def index() -> Any:
    """Assistance needs in the user's scope: for an NGO, those referred to it and those of
    people who share their file with it."""
    filters = NeedFilterForm(request.args)
    filters.organisation_id.choices = _ngo_options(_("Anyone or nobody"))
    query = (sa.select(AssistanceNeed).join(AssistanceNeed.applicant)
             .where(need_scope(current_user))
             .options(joinedload(AssistanceNeed.applicant),
                      joinedload(AssistanceNeed.referred_to_org)))
    used = {key: value for key, value in request.args.items()
            if value and key in LIST_FILTERS}
    if used:
        query = _filtered(query, filters) if filters.validate() else query.where(sa.false())
    page = paginate(SORTING.apply(query, AssistanceNeed.id))
    people = {need.applicant_id for need in page.items}
    # An NGO sees a referred need of someone who did not share their file with it by the
    # registration number only.
    named = set(db.session.execute(sa.select(Applicant.id).where(
        Applicant.id.in_(people), applicant_scope(current_user))).scalars())
    if used:
        services.record_search(db.session, AuditAction.NEEDS_LISTED, used, page.total or 0,
                               actor=current_user)
        db.session.commit()
    return render_template("needs/index.html", page=page, filters=filters, named=named,
                           sort=SORTING.current(), today=today(), filtered=bool(used))


def _filtered(query: sa.Select[Any], filters: NeedFilterForm) -> sa.Select[Any]:
    return services.filter_needs(query, services.NeedFilter(
        category=filters.category.data or None, priority=filters.priority.data or None,
        status=filters.status.data or None,
        organisation_id=int(filters.organisation_id.data) if filters.organisation_id.data
        else None, overdue=bool(filters.overdue.data)), today=today())


@bp.route("/needs/specific")
@requires(Action.VIEW_NEEDS)
def specific_index() -> Any:
    """People's specific needs in the user's scope (sensitive codes only where allowed)."""
    filters = SpecificNeedFilterForm(request.args)
    query = services.specific_needs_query(current_user).options(
        joinedload(SpecificNeed.identified_by))
    used = {key: value for key, value in request.args.items() if value and key == "category"}
    if used:
        query = (query.where(SpecificNeed.category == filters.category.data)
                 if filters.validate() else query.where(sa.false()))
    page = paginate(query.order_by(SpecificNeed.identified_on.desc(), SpecificNeed.id.desc()))
    people = {need.applicant_id: need for need in page.items}
    applicants = {a.id: a for a in db.session.execute(
        sa.select(Applicant).where(Applicant.id.in_(people))).scalars()}
    if used:
        services.record_search(db.session, AuditAction.NEEDS_LISTED,
                               {"specific": True, **used}, page.total or 0, actor=current_user)
        db.session.commit()
    return render_template("needs/specific_index.html", page=page, filters=filters,
                           applicants=applicants)


# --- one assistance need -------------------------------------------------------------------

def load_need(need_id: int) -> AssistanceNeed:
    """The need, or 404 when it does not exist or is outside the user's scope."""
    need = db.session.execute(
        sa.select(AssistanceNeed).where(AssistanceNeed.id == need_id)
        .options(joinedload(AssistanceNeed.applicant).selectinload(Applicant.sharing),
                 joinedload(AssistanceNeed.referred_to_org))
    ).scalar_one_or_none()
    if need is None:
        abort(404)
    require_in_scope(need)
    return need


def _edit_form(need: AssistanceNeed) -> NeedEditForm | ReferredNeedForm | None:
    if can(current_user, Action.MANAGE_NEEDS, need):
        form: NeedEditForm | ReferredNeedForm = NeedEditForm(obj=need)
        form.referred_to_org_id.choices = _referral_options()
        return form
    if may_update_need(current_user, need):
        return ReferredNeedForm(obj=need)
    return None


def render_need(need: AssistanceNeed, form: Any = None, status: int = 200) -> Any:
    form = form or _edit_form(need)
    return render_template(
        "needs/detail.html", need=need, applicant=need.applicant, form=form, today=today(),
        # Whether the person's own file is visible, not only a need referred to the NGO.
        named=in_scope(current_user, need.applicant),
        changes=getattr(form, "stale_changes", [])), status


@bp.route("/needs/<int:need_id>")
@requires(Action.VIEW_NEEDS)
def detail(need_id: int) -> Any:
    need = load_need(need_id)
    services.record_view(db.session, need, actor=current_user)
    db.session.commit()
    return render_need(need)


@bp.route("/needs/<int:need_id>/update", methods=["POST"])
@requires(Action.VIEW_NEEDS)
def update(need_id: int) -> Any:
    need = load_need(need_id)
    if not may_update_need(current_user, need):
        require(Action.MANAGE_NEEDS, need)  # an audited 403
    form = _edit_form(need)
    if form is None:
        abort(403)
    if form.validate_on_submit() and submit(form, lambda: services.update_need(
            db.session, need, _need_data(form, need), version=form.version.data or 0,
            actor=current_user, today=today())):
        db.session.commit()
        flash(_("Need saved."), "success")
        return redirect(url_for("needs.detail", need_id=need.id))
    db.session.rollback()
    return render_need(load_need(need_id), form)


def _need_data(form: NeedEditForm | ReferredNeedForm, need: AssistanceNeed
               ) -> services.NeedData:
    posted = {name: getattr(form, name).data for name in services.NEED_FIELDS
              if name in form._fields}
    for name in ("note", "resolution_note"):
        if name in posted:
            posted[name] = posted[name] or ""
    return services.need_data(need, **posted)
