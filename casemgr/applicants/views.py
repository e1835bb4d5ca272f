"""Applicant pages: the scoped list and search, registration, the person page, editing,
new applications, sharing with NGOs, and "who saw this file"."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import load_only, selectinload, with_expression

from casemgr.applicants import services
from casemgr.applicants.fields import parse_languages
from casemgr.applicants.forms import (
    ApplicantEditForm,
    ApplicantFilterForm,
    ConfirmForm,
    LodgeForm,
    MemberForm,
    RegistrationForm,
    SharingForm,
    language_options,
)
from casemgr.applicants.models import Applicant, SharingRecord
from casemgr.audit.models import AuditEvent
from casemgr.audit.services import AuditAction, record
from casemgr.auth.models import Organisation, OrganisationKind, User
from casemgr.auth.policy import (
    Action,
    applicant_scope,
    can,
    require,
    require_in_scope,
    requires,
)
from casemgr.auth.services import assignable_staff
from casemgr.cases import deadlines
from casemgr.cases.models import Case
from casemgr.exceptions import ValidationFailed
from casemgr.extensions import db
from casemgr.forms import options, submit
from casemgr.listing import Sorting, paginate
from casemgr.localtime import today
from casemgr.needs import services as needs_services

bp = Blueprint("applicants", __name__, url_prefix="/applicants")

SORTING = Sorting({
    "registration_no": Applicant.registration_no,
    "name": Applicant.family_name,
    "nationality": Applicant.nationality,
    "status": Applicant.current_status,
    "lodged_on": Applicant.current_lodged_on,
    "due": Applicant.current_due_on,
}, default="-lodged_on")


def load_applicant(applicant_id: int) -> Applicant:
    """The applicant, or 404 when it does not exist or is outside the user's scope."""
    applicant = db.session.execute(
        sa.select(Applicant).where(Applicant.id == applicant_id)
        .options(selectinload(Applicant.sharing), selectinload(Applicant.aliases))
    ).scalar_one_or_none()
    if applicant is None:
        abort(404)
    require_in_scope(applicant)
    return applicant


# --- list and search -----------------------------------------------------------------------

# What a row of the list shows: the applicant's columns it needs (the others are not read,
# and reading one would raise rather than query once per row) and, in the same statement,
# the current case and its caseworker (a lookup per row shown, by primary key or the
# cases' applicant index).
_ROW_DETAILS = (
    load_only(Applicant.registration_no, Applicant.family_name, Applicant.given_names,
              Applicant.native_name, Applicant.date_of_birth, Applicant.sex,
              Applicant.nationality, Applicant.current_status, Applicant.current_lodged_on,
              Applicant.current_lodged_at, Applicant.current_port, Applicant.current_due_on,
              Applicant.current_due_kind, Applicant.anonymised_at, raiseload=True),
    with_expression(Applicant.current_case_id, sa.select(Case.id).where(
        Case.applicant_id == Applicant.id, Case.is_current)
        .order_by(Case.id.desc()).limit(1).scalar_subquery()),
    with_expression(Applicant.assigned_to_name, sa.select(
        sa.func.coalesce(User.full_name, User.username))
        .where(User.id == Applicant.current_assigned_to_id).scalar_subquery()),
)


@bp.route("")
@requires(Action.VIEW_APPLICANTS)
def index() -> Any:
    filters = ApplicantFilterForm(request.args)
    query, used = listed_applicants(filters)
    page = paginate(SORTING.apply(query, Applicant.id).options(*_ROW_DETAILS))
    if used:
        services.record_search(db.session, used, page.total or 0, actor=current_user)
        db.session.commit()
    return render_template("applicants/index.html", page=page, filters=filters,
                           sort=SORTING.current(),
                           today=today(), filtered=bool(used),
                           decision_kinds={str(k) for k in deadlines.DECISION_KINDS})


def listed_applicants(filters: ApplicantFilterForm) -> tuple[sa.Select[Any], dict[str, str]]:
    """The list's query (the list and its export share it): the user's scope and the
    filters the query string uses, and those filters. One table: the applicant carries a
    summary of the current case (see transitions.summarise), so filters and sort orders are
    served by composite indexes. Filters that cannot be applied show their messages and no
    results, never the unfiltered list presented as if it matched."""
    filters.assigned_to_id.choices = options(
        assignable_staff(db.session, current_user.organisation_id), blank=_("Anyone"))
    query = sa.select(Applicant).where(applicant_scope(current_user))
    used = {key: value for key, value in request.args.items()
            if value and key in filters._fields}
    if used:
        query = apply_filters(query, filters) if filters.validate() else query.where(sa.false())
    return query, used


def apply_filters(query: sa.Select[Any], filters: ApplicantFilterForm) -> sa.Select[Any]:
    """The list's filters on a query of applicants (the list and its export share them)."""
    return services.filter_applicants(db.session, query, services.ApplicantFilter(
        q=filters.q.data or "", nationality=filters.nationality.data or None,
        status=filters.status.data or None, lodged_at=filters.lodged_at.data or None,
        port_of_entry=filters.port_of_entry.data or None,
        assigned_to_id=int(filters.assigned_to_id.data) if filters.assigned_to_id.data
        else None, overdue=bool(filters.overdue.data)), today=today())


# --- registration --------------------------------------------------------------------------

def _person(fields: Any, principal: services.PersonData | None = None) -> services.PersonData:
    """PersonData from the principal's form fields, or a member's (inheriting the rest)."""
    if principal is None:
        return services.PersonData(
            family_name=fields.family_name.data, given_names=fields.given_names.data,
            native_name=fields.native_name.data, sex=fields.sex.data,
            date_of_birth=fields.date_of_birth.data, nationality=fields.nationality.data,
            languages=parse_languages(fields.languages.data or []),
            interpreter_needed=fields.interpreter_needed.data,
            arrival_date=fields.arrival_date.data, port_of_entry=fields.port_of_entry.data,
            family_group=fields.family_group.data, relationship=fields.relationship.data,
            aliases=[line.strip() for line in (fields.aliases.data or "").splitlines()
                     if line.strip()])
    return services.PersonData(
        family_name=fields.family_name.data, given_names=fields.given_names.data,
        native_name=fields.native_name.data, sex=fields.sex.data,
        date_of_birth=fields.date_of_birth.data,
        nationality=fields.nationality.data or principal.nationality,
        languages=principal.languages, interpreter_needed=principal.interpreter_needed,
        arrival_date=principal.arrival_date, port_of_entry=principal.port_of_entry,
        family_group=principal.family_group, relationship=fields.relationship.data)


@bp.route("/new", methods=["GET", "POST"])
@requires(Action.REGISTER_APPLICANT)
def register() -> Any:
    form = RegistrationForm()
    if request.method == "GET":
        form.lodged_on.data = today()
    if form.is_submitted() and ("add_member" in request.form or "remove_member" in request.form):
        if "add_member" in request.form and len(form.members) < form.members.max_entries:
            form.members.append_entry()
        elif "remove_member" in request.form and form.members:
            form.members.pop_entry()
        return render_template("applicants/register.html", form=form, candidates={})
    candidates: dict[int, list[services.DuplicateCandidate]] = {}
    if form.validate_on_submit():
        principal = _person(form)
        people = [principal] + [_person(member.form, principal) for member in form.members]
        decisions = [form.duplicate_decision] + [m.form.duplicate_decision for m in form.members]
        scope = applicant_scope(current_user)
        candidates = {i: found for i, person in enumerate(people)
                      if (found := services.find_duplicates(db.session, person, scope=scope))}
        links: list[Applicant | None] = []
        registered: list[Applicant] = []
        undecided = False
        for index, decision in enumerate(decisions):
            offered = {str(c.applicant.id): c.applicant for c in candidates.get(index, [])}
            if offered and decision.data not in {"new", *offered}:
                undecided = True
            links.append(offered.get(decision.data or ""))
        if undecided:
            flash(_("Possible duplicates found. For each person below, say whether they are "
                    "someone already registered, then submit again."), "warning")
        elif submit(form, lambda: registered.extend(_register_household(form, people, links))):
            for index, applicant in enumerate(registered):
                for candidate in candidates.get(index, []):
                    if candidate.applicant.id != applicant.id:
                        services.dismiss_duplicate(db.session, applicant, candidate.applicant,
                                                   candidate.result.score, actor=current_user)
            db.session.commit()
            flash(_("Registered %(n)d person(s): %(numbers)s.", n=len(registered),
                    numbers=", ".join(a.registration_no for a in registered)), "success")
            return redirect(url_for("applicants.detail", applicant_id=registered[0].id))
    return render_template("applicants/register.html", form=form, candidates=candidates)


_MEMBER_KEY = re.compile(r"members-(\d+)-(\w+)")


def _register_household(form: RegistrationForm, people: list[services.PersonData],
                        links: list[Applicant | None]) -> list[Applicant]:
    """register_family, with a member's errors shown on that member's fields (or, for the
    dates the member shares with the principal, named after the member)."""
    try:
        return services.register_family(db.session, list(zip(people, links, strict=True)),
                                        _lodging(form), actor=current_user, today=today())
    except ValidationFailed as error:
        principal_errors: dict[str, list[str]] = {}
        for key, messages in error.errors.items():
            match = _MEMBER_KEY.fullmatch(key)
            if match is None or int(match[1]) >= len(form.members):
                principal_errors[key] = messages
                continue
            member: MemberForm = form.members[int(match[1])].form
            field = member._fields.get(match[2])
            if field is not None and field.type != "HiddenField":
                field.errors = [*field.errors, *messages]
            else:
                who = _("Member %(n)d (%(name)s)", n=int(match[1]) + 2,
                        name=" ".join(filter(None, (member.family_name.data,
                                                 member.given_names.data))))
                form.form_errors.extend(f"{who}: {message}" for message in messages)
        raise ValidationFailed(principal_errors) from None


def _lodging(form: Any) -> services.LodgingData:
    return services.LodgingData(lodged_on=form.lodged_on.data, lodged_at=form.lodged_at.data,
                                port_of_entry=form.port_of_entry.data)


# --- the person page -----------------------------------------------------------------------

@bp.route("/<int:applicant_id>")
@requires(Action.VIEW_APPLICANTS)
def detail(applicant_id: int) -> Any:
    applicant = load_applicant(applicant_id)
    services.record_view(db.session, applicant, actor=current_user)
    db.session.commit()
    family = []
    if applicant.family_group:
        family = db.session.execute(
            sa.select(Applicant).where(Applicant.family_group == applicant.family_group,
                                       Applicant.id != applicant.id,
                                       applicant_scope(current_user))
            .order_by(Applicant.registration_no)).scalars().all()
    sharing_form = None
    if can(current_user, Action.MANAGE_SHARING, applicant):
        sharing_form = SharingForm()
        sharing_form.organisation_id.choices = _ngo_options()
    return render_template(
        "applicants/detail.html", applicant=applicant, family=family, today=today(),
        clocks={case.id: deadlines.running_clocks(case) for case in applicant.cases},
        sharing_form=sharing_form, confirm_form=ConfirmForm(),
        needs=needs_services.person_needs(db.session, applicant, current_user)
        if can(current_user, Action.VIEW_NEEDS, applicant) else None,
        suggestion_label=needs_services.suggestion_label)


def _ngo_options() -> list[Any]:
    ngos = db.session.execute(sa.select(Organisation).where(
        Organisation.kind == OrganisationKind.NGO, Organisation.active
    ).order_by(Organisation.name)).scalars()
    return options((ngo.id, ngo.name) for ngo in ngos)


@bp.route("/<int:applicant_id>/edit", methods=["GET", "POST"])
@requires(Action.VIEW_APPLICANTS)
def edit(applicant_id: int) -> Any:
    applicant = load_applicant(applicant_id)
    require(Action.EDIT_APPLICANT, applicant)
    form = ApplicantEditForm(obj=applicant)
    form.languages.choices = language_options(recorded=applicant.language_codes)
    if request.method == "GET":
        form.languages.data = applicant.language_codes
        form.aliases.data = "\n".join(alias.name for alias in applicant.aliases)
    if form.validate_on_submit() and submit(form, lambda: services.update_applicant(
            db.session, applicant, _person(form), version=form.version.data or 0,
            actor=current_user, today=today())):
        db.session.commit()
        flash(_("Saved the changes to %(number)s.", number=applicant.registration_no), "success")
        return redirect(url_for("applicants.detail", applicant_id=applicant.id))
    return render_template("applicants/edit.html", form=form, applicant=applicant,
                           changes=getattr(form, "stale_changes", []))


@bp.route("/<int:applicant_id>/cases/new", methods=["GET", "POST"])
@requires(Action.VIEW_APPLICANTS)
def lodge(applicant_id: int) -> Any:
    """A new application of a person already registered (a subsequent application)."""
    from casemgr.cases.services import lodge_case

    applicant = load_applicant(applicant_id)
    require(Action.LODGE_CASE, applicant)
    form = LodgeForm()
    if request.method == "GET":
        form.lodged_on.data = today()
    lodged: list[Case] = []

    if form.validate_on_submit() and submit(form, lambda: lodged.append(lodge_case(
            db.session, applicant, _lodging(form), actor=current_user, today=today()))):
        db.session.commit()
        flash(_("The new application was lodged."), "success")
        return redirect(url_for("cases.detail", case_id=lodged[0].id))
    return render_template("applicants/lodge.html", form=form, applicant=applicant)


@bp.route("/<int:applicant_id>/sharing", methods=["POST"])
@requires(Action.VIEW_APPLICANTS)
def share(applicant_id: int) -> Any:
    applicant = load_applicant(applicant_id)
    require(Action.MANAGE_SHARING, applicant)
    form = SharingForm()
    form.organisation_id.choices = _ngo_options()
    if form.validate_on_submit() and submit(form, lambda: services.grant_sharing(
            db.session, applicant, db.session.get_one(Organisation, form.organisation_id.data),
            actor=current_user, today=today())):
        db.session.commit()
        flash(_("The file is now shared with the NGO."), "success")
    else:
        for message in [m for field in form for m in field.errors] + form.form_errors:
            flash(message, "danger")
    return redirect(url_for("applicants.detail", applicant_id=applicant.id) + "#sharing")


@bp.route("/<int:applicant_id>/sharing/<int:sharing_id>/revoke", methods=["POST"])
@requires(Action.VIEW_APPLICANTS)
def revoke(applicant_id: int, sharing_id: int) -> Any:
    applicant = load_applicant(applicant_id)
    require(Action.MANAGE_SHARING, applicant)
    sharing = db.session.get(SharingRecord, sharing_id)
    if sharing is None or sharing.applicant_id != applicant.id:
        abort(404)
    form = ConfirmForm()
    if form.validate_on_submit() and submit(form, lambda: services.revoke_sharing(
            db.session, sharing, actor=current_user, today=today())):
        db.session.commit()
        flash(_("Sharing with %(name)s revoked; the NGO no longer sees this file.",
                name=sharing.organisation.name), "success")
    return redirect(url_for("applicants.detail", applicant_id=applicant.id) + "#sharing")


@bp.route("/<int:applicant_id>/access-log")
@requires(Action.VIEW_APPLICANTS)
def access_log(applicant_id: int) -> Any:
    """Who saw or changed this person's file, newest first."""
    applicant = load_applicant(applicant_id)
    require(Action.VIEW_ACCESS_LOG, applicant)
    page = paginate(sa.select(AuditEvent).where(AuditEvent.applicant_id == applicant.id)
                    .order_by(AuditEvent.id.desc()))
    record(db.session, AuditAction.ACCESS_LOG_VIEWED, actor=current_user, subject=applicant)
    db.session.commit()
    return render_template("applicants/access_log.html", applicant=applicant, page=page)
