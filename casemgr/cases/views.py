"""The case page and the forms on it: status changes, extension, assignment, notes."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from casemgr.applicants.services import record_view
from casemgr.auth.models import Organisation, OrganisationKind, User
from casemgr.auth.policy import Action, can, require, require_in_scope, requires
from casemgr.auth.services import assignable_staff
from casemgr.cases import deadlines, lifecycle, services
from casemgr.cases.forms import AssignmentForm, ExtensionForm, NoteForm, TransitionForm
from casemgr.cases.models import Case, CaseStatus, NoteVisibility
from casemgr.extensions import db
from casemgr.forms import options, submit
from casemgr.hearings import services as hearing_services
from casemgr.localtime import today
from casemgr.records import ensure_current

bp = Blueprint("cases", __name__, url_prefix="/cases")


def load_case(case_id: int, *, for_update: bool = False) -> Case:
    """The case, or 404 when it does not exist or its person is outside the user's scope."""
    case = services.lock_case(db.session, case_id) if for_update else db.session.get(
        Case, case_id)
    if case is None:
        abort(404)
    require_in_scope(case)
    return case


def _transition_form(case: Case) -> TransitionForm | None:
    if not can(current_user, Action.TRANSITION_CASE, case):
        return None
    may_decide = can(current_user, Action.RECORD_DECISION, case)
    steps = {target: step for target, step in lifecycle.allowed_targets(case.status).items()
             if may_decide or not step.decision}
    if not steps:
        return None
    form = TransitionForm(version=case.version)
    form.to.choices = options((target.value, target.label) for target in steps)
    outcomes = sorted({outcome for step in steps.values() for outcome in step.outcomes})
    form.outcome.choices = options(((o, o.replace("_", " ")) for o in outcomes),
                                   blank=_("Default for this step"))
    if form.effective_date.data is None:
        form.effective_date.data = today()
    return form


def _assignment_form(case: Case) -> AssignmentForm | None:
    if not can(current_user, Action.ASSIGN_CASE, case):
        return None
    form = AssignmentForm(obj=case)
    form.assigned_to_id.choices = options(
        assignable_staff(db.session, case.applicant.agency_id), blank=_("Nobody"))
    ngos = db.session.execute(sa.select(Organisation).where(
        Organisation.kind == OrganisationKind.NGO).order_by(Organisation.name)).scalars()
    form.representing_org_id.choices = options(((o.id, o.name) for o in ngos), blank=_("None"))
    return form


def _note_form(case: Case) -> NoteForm | None:
    choices = [v for v, action in ((NoteVisibility.INTERNAL, Action.ADD_INTERNAL_NOTE),
                                   (NoteVisibility.SHARED, Action.ADD_SHARED_NOTE))
               if can(current_user, action, case)]
    if not choices:
        return None
    form = NoteForm()
    form.visibility.choices = options((v.value, v.label) for v in choices)
    return form


def render_case(case: Case, status: int = 200, **forms: Any) -> Any:
    """The case page, with any submitted form (and its errors) in place of a blank one."""
    extension = None
    if can(current_user, Action.EXTEND_DEADLINE, case) and case.status in lifecycle.EXTENDABLE:
        extension = ExtensionForm()
    page_forms = {
        "transition_form": _transition_form(case),
        "extension_form": extension,
        "assignment_form": _assignment_form(case),
        "note_form": _note_form(case),
        **forms,
    }
    clocks = deadlines.running_clocks(case)
    return render_template(
        "cases/detail.html", case=case, applicant=case.applicant, clocks=clocks,
        today=today(), notes=services.visible_notes(case, current_user),
        hearings=hearing_services.case_hearings(db.session, case.id)
        if can(current_user, Action.VIEW_HEARINGS, case) else None,
        pending_statuses=lifecycle.PENDING,
        termination_no_shows=hearing_services.TERMINATION_NO_SHOWS,
        other_cases=[c for c in case.applicant.cases if c.id != case.id],
        changes=getattr(forms.get("assignment_form") or forms.get("transition_form"),
                        "stale_changes", []),
        **page_forms), status


@bp.route("/<int:case_id>")
@requires(Action.VIEW_APPLICANTS)
def detail(case_id: int) -> Any:
    case = load_case(case_id)
    record_view(db.session, case, actor=current_user)
    db.session.commit()
    return render_case(case)


@bp.route("/<int:case_id>/transition", methods=["POST"])
@requires(Action.VIEW_APPLICANTS)
def transition(case_id: int) -> Any:
    case = load_case(case_id, for_update=True)
    require(Action.TRANSITION_CASE, case)
    step = lifecycle.step_for(case.status, request.form.get("to", ""))
    if step is not None and step.decision:
        # The form never offers a decision to those who may not record it; a posted one is
        # refused (403, audited), not turned into a form error.
        require(Action.RECORD_DECISION, case)
    form = _transition_form(case)
    if form is None:  # no step left for this user: whatever is posted is not a valid choice
        form = TransitionForm()
        form.to.choices, form.outcome.choices = [], []
    if form.is_submitted() and request.form.get("version", type=int) != case.version:
        # Built from an older version: say what changed rather than "not a valid choice".
        form.process(request.form)
        submit(form, lambda: ensure_current(db.session, case, form.version.data))
    elif form.validate_on_submit() and submit(form, lambda: services.transition_case(
            db.session, case, to=form.to.data, effective_date=form.effective_date.data,
            notice_served_on=form.notice_served_on.data, reason=form.reason.data or "",
            outcome=form.outcome.data or None, version=form.version.data,
            actor=current_user, today=today())):
        db.session.commit()
        flash(_("Status changed to “%(status)s”.", status=CaseStatus(form.to.data).label),
              "success")
        return redirect(url_for("cases.detail", case_id=case.id))
    db.session.rollback()
    return render_case(load_case(case_id), transition_form=form)


@bp.route("/<int:case_id>/extension", methods=["POST"])
@requires(Action.VIEW_APPLICANTS)
def extension(case_id: int) -> Any:
    case = load_case(case_id, for_update=True)
    require(Action.EXTEND_DEADLINE, case)
    form = ExtensionForm()
    if form.validate_on_submit() and submit(form, lambda: services.extend_deadline(
            db.session, case, extended_to=form.extended_to.data, noticed_on=form.noticed_on.data,
            reason=form.reason.data or "", actor=current_user, today=today())):
        db.session.commit()
        flash(_("The decision deadline was extended."), "success")
        return redirect(url_for("cases.detail", case_id=case.id))
    return render_case(case, extension_form=form)


@bp.route("/<int:case_id>/assignment", methods=["POST"])
@requires(Action.VIEW_APPLICANTS)
def assignment(case_id: int) -> Any:
    case = load_case(case_id)
    require(Action.ASSIGN_CASE, case)
    form = _assignment_form(case) or AssignmentForm()
    if form.validate_on_submit() and submit(form, lambda: services.update_assignment(
            db.session, case, version=form.version.data or 0,
            assigned_to=db.session.get(User, form.assigned_to_id.data)
            if form.assigned_to_id.data else None,
            representing_org=db.session.get(Organisation, form.representing_org_id.data)
            if form.representing_org_id.data else None,
            actor=current_user)):
        db.session.commit()
        flash(_("Assignment saved."), "success")
        return redirect(url_for("cases.detail", case_id=case.id))
    return render_case(load_case(case_id), assignment_form=form)


@bp.route("/<int:case_id>/notes", methods=["POST"])
@requires(Action.VIEW_APPLICANTS)
def add_note(case_id: int) -> Any:
    case = load_case(case_id)
    form = _note_form(case)
    if form is None:
        require(Action.ADD_SHARED_NOTE, case)
        abort(403)
    if request.form.get("visibility") == NoteVisibility.INTERNAL:
        require(Action.ADD_INTERNAL_NOTE, case)  # an audited 403, not a form error
    if form.validate_on_submit() and submit(form, lambda: services.add_note(
            db.session, case, body=form.body.data or "", visibility=form.visibility.data,
            actor=current_user)):
        db.session.commit()
        flash(_("Note added."), "success")
        return redirect(url_for("cases.detail", case_id=case.id) + "#notes")
    return render_case(case, note_form=form)
