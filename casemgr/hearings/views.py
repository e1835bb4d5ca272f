"""Hearing pages: booking from the case page, the agenda, a hearing with its outcome, the
printable notice, and the user's secret calendar feed."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_time, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from casemgr.applicants.models import Applicant
from casemgr.audit.services import AuditAction
from casemgr.auth.models import User
from casemgr.auth.policy import Action, can, public, require, require_in_scope, requires
from casemgr.cases.models import Case
from casemgr.cases.views import load_case
from casemgr.extensions import db
from casemgr.forms import options, submit
from casemgr.hearings import services, times
from casemgr.hearings.forms import (
    AgendaFilterForm,
    ConfirmForm,
    HearingEditForm,
    HearingForm,
    OutcomeForm,
    interpreter_language_options,
)
from casemgr.hearings.models import Hearing, HearingStatus
from casemgr.i18n import locale_for_languages, supported_locales
from casemgr.localtime import today

bp = Blueprint("hearings", __name__)

AGENDA_FILTERS = ("kind", "interviewer_id", "interpreter", "location", "status")


def load_hearing(hearing_id: int) -> Hearing:
    """The hearing, or 404 when it does not exist or its person is outside the scope."""
    hearing = db.session.execute(
        sa.select(Hearing).where(Hearing.id == hearing_id)
        .options(joinedload(Hearing.applicant).selectinload(Applicant.sharing),
                 joinedload(Hearing.case), joinedload(Hearing.interviewer))
    ).scalar_one_or_none()
    if hearing is None:
        abort(404)
    require_in_scope(hearing)
    return hearing


def _interviewer_options(organisation_id: int, blank: Any) -> list[Any]:
    """Active staff of the organisation who may conduct hearings."""
    users = db.session.execute(
        sa.select(User).where(User.organisation_id == organisation_id, User.active)
        .order_by(User.full_name, User.username)).scalars()
    return options(((u.id, services.display_name(u)) for u in users
                    if can(u, Action.SCHEDULE_HEARING)), blank=blank)


def _prepare(form: HearingForm, applicant: Applicant) -> HearingForm:
    form.interviewer_id.choices = _interviewer_options(applicant.agency_id, blank=_("None"))
    form.interpreter_language.choices = interpreter_language_options(applicant.language_codes)
    return form


def _data(form: HearingForm) -> services.HearingData:
    return services.HearingData(**{name: getattr(form, name).data
                                   for name in services.DATA_FIELDS})


def _booked(booking: services.Booking, message: str) -> Any:
    db.session.commit()
    flash(message, "success")
    for warning in booking.warnings:
        flash(_("Please check: %(warning)s", warning=warning), "warning")
    return redirect(url_for("hearings.detail", hearing_id=booking.hearing.id))


# --- booking -------------------------------------------------------------------------------

@bp.route("/cases/<int:case_id>/hearings/new", methods=["GET", "POST"])
@requires(Action.VIEW_HEARINGS)  # the record first: out of scope is 404
def schedule(case_id: int) -> Any:
    case = load_case(case_id)
    require(Action.SCHEDULE_HEARING, case)
    form = _prepare(HearingForm(), case.applicant)
    if request.method == "GET":
        _prefill(form, case)
    booked: list[services.Booking] = []
    if form.validate_on_submit() and submit(form, lambda: booked.append(
            services.schedule_hearing(db.session, case, _data(form), actor=current_user))):
        return _booked(booked[0], _("The hearing was scheduled."))
    db.session.rollback()
    return render_template("hearings/form.html", form=form, case=case,
                           applicant=case.applicant, hearing=None, changes=[])


def _prefill(form: HearingForm, case: Case) -> None:
    """A new booking starts from the kind the case's stage needs; "schedule again" copies
    a postponed or cancelled hearing of the same case."""
    form.kind.data = services.KIND_FOR_STATUS.get(str(case.status), form.kind.data)
    earlier = db.session.get(Hearing, request.args.get("copy", 0, type=int))
    if earlier is not None and earlier.case_id == case.id:
        for name in services.DATA_FIELDS:
            if name != "starts_at":
                getattr(form, name).data = getattr(earlier, name)


@bp.route("/hearings/<int:hearing_id>/edit", methods=["GET", "POST"])
@requires(Action.VIEW_HEARINGS)  # the record first: out of scope is 404
def edit(hearing_id: int) -> Any:
    hearing = load_hearing(hearing_id)
    require(Action.SCHEDULE_HEARING, hearing)
    if hearing.status != HearingStatus.SCHEDULED:
        flash(_("Only a scheduled hearing can be changed. This one is “%(status)s”.",
                status=hearing.status.label), "warning")
        return redirect(url_for("hearings.detail", hearing_id=hearing.id))
    form = _prepare(HearingEditForm(obj=hearing), hearing.applicant)
    booked: list[services.Booking] = []
    if form.validate_on_submit() and submit(form, lambda: booked.append(services.update_hearing(
            db.session, hearing, _data(form), version=form.version.data or 0,
            actor=current_user))):
        return _booked(booked[0], _("The hearing was saved."))
    db.session.rollback()
    hearing = load_hearing(hearing_id)
    return render_template("hearings/form.html", form=form, case=hearing.case,
                           applicant=hearing.applicant, hearing=hearing,
                           changes=getattr(form, "stale_changes", []))


# --- one hearing ---------------------------------------------------------------------------

def render_hearing(hearing: Hearing, outcome_form: OutcomeForm | None = None,
                   status: int = 200) -> Any:
    if outcome_form is None and can(current_user, Action.RECORD_HEARING_OUTCOME, hearing):
        outcome_form = OutcomeForm(obj=hearing)
    return render_template(
        "hearings/detail.html", hearing=hearing, applicant=hearing.applicant,
        case=hearing.case, warnings=services.hearing_warnings(hearing),
        outcome_form=outcome_form, no_shows=services.no_shows(db.session, hearing.case_id),
        termination_no_shows=services.TERMINATION_NO_SHOWS,
        changes=getattr(outcome_form, "stale_changes", []), slot=_slot,
        day=times.local(hearing.starts_at).date().isoformat()), status


@bp.route("/hearings/<int:hearing_id>")
@requires(Action.VIEW_HEARINGS)
def detail(hearing_id: int) -> Any:
    hearing = load_hearing(hearing_id)
    services.record_view(db.session, hearing, actor=current_user)
    db.session.commit()
    return render_hearing(hearing)


@bp.route("/hearings/<int:hearing_id>/outcome", methods=["POST"])
@requires(Action.VIEW_HEARINGS)  # the record first: out of scope is 404
def outcome(hearing_id: int) -> Any:
    hearing = load_hearing(hearing_id)
    require(Action.RECORD_HEARING_OUTCOME, hearing)
    form = OutcomeForm()
    if form.validate_on_submit() and submit(form, lambda: services.record_outcome(
            db.session, hearing, status=form.status.data or "",
            outcome_note=form.outcome_note.data or "", version=form.version.data or 0,
            actor=current_user)):
        db.session.commit()
        flash(_("Outcome recorded: %(status)s.", status=hearing.status.label), "success")
        return redirect(url_for("hearings.detail", hearing_id=hearing.id))
    db.session.rollback()
    return render_hearing(load_hearing(hearing_id), form)


@bp.route("/hearings/<int:hearing_id>/notice")
@requires(Action.VIEW_HEARINGS)
def notice(hearing_id: int) -> Any:
    """The printable notice handed to the applicant: when, where, in which language, and
    their rights at the hearing."""
    hearing = load_hearing(hearing_id)
    services.record_view(db.session, hearing, actor=current_user,
                         action=AuditAction.HEARING_NOTICE_PRINTED)
    db.session.commit()
    return render_template("hearings/notice.html", hearing=hearing, applicant=hearing.applicant,
                           notice_locale=_notice_locale(hearing, request.args.get("lang")))


def _notice_locale(hearing: Hearing, requested: str | None) -> str:
    """The notice's language: the one asked for (?lang=ko), else the applicant's first
    language the interface speaks, else the user's."""
    if requested in supported_locales():
        return str(requested)
    return locale_for_languages(hearing.applicant.language_codes) or str(get_locale())


def _slot(hearing: Hearing) -> str:
    """"09:00–10:30" in local time, for lists grouped by day."""
    return f"{format_time(hearing.starts_at, 'short')}–{format_time(hearing.ends_at, 'short')}"


# --- the agenda ----------------------------------------------------------------------------

@bp.route("/hearings")
@requires(Action.VIEW_HEARINGS)
def agenda() -> Any:
    filters = AgendaFilterForm(request.args)
    filters.interviewer_id.choices = _interviewer_options(current_user.organisation_id,
                                                          blank=_("Anyone"))
    valid = filters.validate()
    week = filters.view.data == "week"
    day = (filters.date.data if valid and filters.date.data else None) or today()
    first = day - timedelta(days=day.weekday()) if week else day
    length = 7 if week else 1
    start, end = times.day_bounds(first, length)
    used = {key: value for key, value in request.args.items()
            if value and key in AGENDA_FILTERS}
    hearings: list[Hearing] = []
    if valid:
        hearings = services.agenda(db.session, current_user, start, end, services.AgendaFilter(
            kind=filters.kind.data or None, interviewer_id=int(filters.interviewer_id.data)
            if filters.interviewer_id.data else None, interpreter=filters.interpreter.data,
            location=filters.location.data, status=filters.status.data or None))
    if used:
        services.record_agenda_search(db.session, used, len(hearings), actor=current_user)
        db.session.commit()
    days: dict[date, list[Hearing]] = {first + timedelta(days=n): [] for n in range(length)}
    for hearing in hearings:
        days.setdefault(times.local(hearing.starts_at).date(), []).append(hearing)
    step = timedelta(days=length)
    return render_template(
        "hearings/agenda.html", filters=filters, days=days, week=week, first=first,
        last=first + timedelta(days=length - 1), previous=(first - step).isoformat(),
        following=(first + step).isoformat(), today=today(), slot=_slot,
        total=len(hearings), filtered=bool(used))


# --- the calendar feed ---------------------------------------------------------------------

@bp.route("/hearings/calendar")
@requires(Action.SUBSCRIBE_CALENDAR)
def calendar() -> Any:
    return render_template("hearings/calendar.html", feed=services.active_feed(
        db.session, current_user), form=ConfirmForm(), url=None)


@bp.route("/hearings/calendar/new", methods=["POST"])
@requires(Action.SUBSCRIBE_CALENDAR)
def calendar_create() -> Any:
    """Make a new secret address and show it this once (only its hash is kept)."""
    form = ConfirmForm()
    tokens: list[str] = []
    if form.validate_on_submit() and submit(form, lambda: tokens.append(services.create_feed(
            db.session, current_user, actor=current_user))):
        db.session.commit()
        url = url_for("hearings.feed", token=tokens[0], _external=True)
        return render_template("hearings/calendar.html", form=ConfirmForm(), url=url,
                               feed=services.active_feed(db.session, current_user))
    return redirect(url_for("hearings.calendar"))


@bp.route("/hearings/calendar/revoke", methods=["POST"])
@requires(Action.SUBSCRIBE_CALENDAR)
def calendar_revoke() -> Any:
    if ConfirmForm().validate_on_submit() and services.revoke_feed(
            db.session, current_user, actor=current_user):
        db.session.commit()
        flash(_("The calendar address was revoked; calendars using it stop updating."),
              "success")
    return redirect(url_for("hearings.calendar"))


@bp.route("/hearings/calendar/<token>.ics")
@public
def feed(token: str) -> Any:
    """The iCalendar feed: no login (calendar programs cannot log in), the secret address
    is the key; an unknown or revoked one is 404."""
    found = services.feed_for_token(db.session, token)
    if found is None:
        abort(404)
    body = services.fetch_feed(db.session, found)
    db.session.commit()
    return Response(body, mimetype="text/calendar",
                    headers={"Content-Disposition": "inline; filename=hearings.ics"})
