"""The JSON API v1: thin views over the same loaders, policy checks and services as the
pages, each mirroring a page (its 404 for records out of scope, its 403 for missing rights,
its audit events), with JSON in and out.

Authentication is a bearer token per request (never the session cookie), so the API is
exempt from CSRF; the token's user is the `current_user` of the request, with their role
and scope. Requests are rate limited per token (API_RATE_LIMIT).
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable
from functools import partial
from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    has_request_context,
    jsonify,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user
from pydantic import BaseModel
from pydantic_core import to_jsonable_python
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import Forbidden

from casemgr.api import openapi, schemas, tokens
from casemgr.api.openapi import ApiProblem, operation, problem
from casemgr.applicants import services as applicant_services
from casemgr.applicants.models import Applicant
from casemgr.applicants.views import load_applicant
from casemgr.audit.services import AuditAction, record
from casemgr.auth.models import Organisation, User
from casemgr.auth.policy import (
    Action,
    applicant_scope,
    deny,
    need_scope,
    public,
    require,
    requires,
)
from casemgr.cases import deadlines
from casemgr.cases import services as case_services
from casemgr.cases.models import Case
from casemgr.cases.views import load_case
from casemgr.exceptions import (
    InvalidTransition,
    PermissionDenied,
    StaleRecord,
    ValidationFailed,
)
from casemgr.extensions import csrf, db, limiter, talisman
from casemgr.hearings import services as hearing_services
from casemgr.hearings import times
from casemgr.hearings.models import Hearing
from casemgr.hearings.views import load_hearing
from casemgr.listing import CappedPagination, paginate
from casemgr.localtime import today
from casemgr.needs import services as need_services
from casemgr.needs.models import AssistanceNeed, SpecificNeed
from casemgr.needs.views import load_need
from casemgr.records import ensure_current
from casemgr.statistics import exports, tables

bp = Blueprint("api", __name__, url_prefix=openapi.API_PREFIX)
csrf.exempt(bp)


class SessionlessApi(SecureCookieSessionInterface):
    """The session cookie, except under the API: there it is neither read nor written, so
    a browser's session can never authenticate (or be refreshed by) an API call, and the
    pages' session clocks and two-factor gate see no session at all."""

    @staticmethod
    def is_api(path: str) -> bool:
        return path.startswith(openapi.API_PREFIX + "/")

    def open_session(self, app: Any, request: Any) -> Any:
        if self.is_api(request.path):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Any, session: Any, response: Any) -> None:
        if has_request_context() and self.is_api(request.path):
            return
        super().save_session(app, session, response)


@bp.record_once
def _sessionless(state: Any) -> None:
    if type(state.app.session_interface) is SecureCookieSessionInterface:
        state.app.session_interface = SessionlessApi()

# The documentation page runs Swagger UI (vendored in casemgr/static/vendor/swagger-ui),
# which sets inline styles; scripts stay 'self' only.
DOCS_CSP = {
    "default-src": "'self'",
    "img-src": ["'self'", "data:"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "script-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None
    return secret.strip()


def rate_limit_key() -> str:
    """Each token has its own budget (a digest, never the token itself); requests without
    one share their client address's."""
    secret = _bearer()
    if secret:
        return "api-token:" + hashlib.sha256(secret.encode()).hexdigest()
    return "api-addr:" + (get_remote_address() or "")


limiter.limit(lambda: current_app.config["API_RATE_LIMIT"], key_func=rate_limit_key)(bp)


@bp.before_request
def authenticate() -> Response | None:
    """Every operation but the documentation needs a valid bearer token (401 otherwise);
    its user acts with their role and scope, exactly as when logged in."""
    view = current_app.view_functions.get(request.endpoint or "")
    if view is not None and getattr(view, "casemgr_api_public", False):
        return None
    secret = _bearer()
    user = tokens.authenticate(db.session, secret) if secret else None
    if user is None:
        db.session.rollback()
        return problem(401, "A valid API token is required: send Authorization: Bearer "
                            "<token>. The token may be unknown, revoked or expired.")
    db.session.commit()  # last_used_at
    g._login_user = user  # Flask-Login's current_user, without touching the session
    return None


@bp.errorhandler(ApiProblem)
def api_problem(error: ApiProblem) -> Response:
    db.session.rollback()
    return problem(error.status, error.detail, **error.extra)


@bp.errorhandler(ValidationFailed)
def validation_failed(error: ValidationFailed) -> Response:
    db.session.rollback()
    return problem(422, "The data is not valid.", errors=[
        {"field": field, "message": str(message)}
        for field, messages in error.errors.items() for message in messages])


@bp.errorhandler(InvalidTransition)
def refused(error: InvalidTransition) -> Response:
    """A refused transition or a scheduling clash: 409, `detail` names the rule or clash."""
    db.session.rollback()
    return problem(409, error.message)


@bp.errorhandler(PermissionDenied)
def permission_denied(error: PermissionDenied) -> Response:
    """A service's refusal: audited like every 403 (deny), answered as a problem (an
    exception raised inside an error handler would not be handled again)."""
    db.session.rollback()
    with contextlib.suppress(Forbidden):
        deny(error.message)
    return problem(403, error.message)


# --- helpers -------------------------------------------------------------------------------

def _json(model: BaseModel, status: int = 200) -> Response:
    return current_app.response_class(model.model_dump_json(by_alias=True), status=status,
                                      mimetype="application/json")


def _page_fields(page: CappedPagination) -> dict[str, Any]:
    return {"page": page.page, "per_page": page.per_page, "total": page.total or 0,
            "total_is_capped": page.total_is_capped, "has_next": page.has_next}


def _used(query: schemas.Query) -> dict[str, Any]:
    """The filters a request actually set (what a search's audit event records)."""
    return {key: value for key, value in request.args.items()
            if value and key not in {"page", "per_page"} and key in _filter_names(query)}


def _filter_names(query: schemas.Query) -> set[str]:
    return {field.alias or name for name, field in type(query).model_fields.items()}


def _listed(select: sa.Select[Any], query: schemas.Query, page_type: type[BaseModel],
            items: Callable[[list[Any]], list[Any]], audit: Callable[..., None]) -> Response:
    """One page of a list resource, as its page does it: a filtered list is audited with
    its filters and count by the page's own service (`audit(filters, results, actor=)`),
    then the page is committed and serialised."""
    page = paginate(select, per_page=query.per_page)
    used = _used(query)
    if used:
        audit(used, page.total or 0, actor=current_user)
    out = items(list(page.items))
    db.session.commit()
    return _json(page_type(items=out, **_page_fields(page)))


def _stale(error: StaleRecord, out: BaseModel) -> Response:
    return problem(409, error.message, current=out.model_dump(mode="json", by_alias=True),
                   changes=to_jsonable_python(error.changes, fallback=str))


def _stale_handler(error: StaleRecord) -> Response:
    """A stale version: 409 with the record as it is now and what changed meanwhile."""
    db.session.rollback()
    current = error.current
    if isinstance(current, Applicant):
        out: BaseModel = _applicant_out(load_applicant(current.id))
    elif isinstance(current, Case):
        out = _case_out(load_case(current.id))
    elif isinstance(current, Hearing):
        out = _hearing_out(load_hearing(current.id))
    else:
        out = _need_out(load_need(current.id))
    return _stale(error, out)


bp.register_error_handler(StaleRecord, _stale_handler)


# --- documentation -------------------------------------------------------------------------

def api_public(view: Any) -> Any:
    """No token needed (the document describes the API, it holds no data)."""
    view.casemgr_api_public = True
    return public(view)


@bp.route("/openapi.json")
@api_public
def openapi_document() -> Response:
    return jsonify(openapi.document())


@bp.route("/docs")
@api_public
@talisman(content_security_policy=DOCS_CSP)
def docs() -> str:
    return render_template("api/docs.html", spec_url=url_for("api.openapi_document"))


# --- users ---------------------------------------------------------------------------------

@operation(bp, "GET", "/users/me", summary="The caller", tag="users",
           response=schemas.UserOut)
def me() -> Response:
    """The token's user: id, username, role and organisation."""
    return _json(schemas.UserOut.model_validate(current_user))


# --- applicants ----------------------------------------------------------------------------

def _applicant_out(applicant: Applicant) -> schemas.ApplicantOut:
    return _applicants_out([applicant])[0]


def _applicants_out(applicants: list[Applicant]) -> list[schemas.ApplicantOut]:
    """The records with the specific needs the caller may see and their cases' ids, read
    for the whole page at once."""
    ids = [a.id for a in applicants]
    needs: dict[int, list[str]] = {i: [] for i in ids}
    for applicant_id, code in db.session.execute(
            need_services.specific_needs_query(current_user)
            .with_only_columns(SpecificNeed.applicant_id, SpecificNeed.code)
            .where(SpecificNeed.applicant_id.in_(ids)).order_by(SpecificNeed.code)).all():
        needs[applicant_id].append(code)
    cases: dict[int, list[int]] = {i: [] for i in ids}
    for applicant_id, case_id in db.session.execute(
            sa.select(Case.applicant_id, Case.id).where(Case.applicant_id.in_(ids))
            .order_by(Case.lodged_on, Case.id)).all():
        cases[applicant_id].append(case_id)
    return [schemas.ApplicantOut.model_validate(
        {**{name: getattr(a, name) for name in schemas.ApplicantOut.model_fields
            if name not in {"specific_needs", "case_ids"}},
         "specific_needs": needs[a.id], "case_ids": cases[a.id]}) for a in applicants]


@operation(bp, "GET", "/applicants", summary="List applicants", tag="applicants",
           query=schemas.ApplicantQuery, response=schemas.ApplicantPage)
@requires(Action.VIEW_APPLICANTS)
def applicants_list(query: schemas.ApplicantQuery) -> Response:
    """People in the caller's scope, filtered like the applicant list page; a filtered
    list is audited as a search."""
    criteria = applicant_services.ApplicantFilter(
        q=query.q, nationality=query.nationality, status=query.status,
        lodged_at=query.lodged_at, port_of_entry=query.port_of_entry,
        assigned_to_id=query.assigned_to_id, overdue=query.overdue)
    select = applicant_services.filter_applicants(
        db.session, sa.select(Applicant).where(applicant_scope(current_user)), criteria,
        today=today())
    return _listed(select.order_by(Applicant.current_lodged_on.desc(), Applicant.id.desc()),
                   query, schemas.ApplicantPage, _applicants_out,
                   partial(applicant_services.record_search, db.session))


@operation(bp, "GET", "/applicants/<int:applicant_id>", summary="Read an applicant",
           tag="applicants", response=schemas.ApplicantOut)
@requires(Action.VIEW_APPLICANTS)
def applicants_read(applicant_id: int) -> Response:
    """One person (audited as a view of their file, like the person page)."""
    applicant = load_applicant(applicant_id)
    applicant_services.record_view(db.session, applicant, actor=current_user)
    out = _applicant_out(applicant)
    db.session.commit()
    return _json(out)


def _person(values: dict[str, Any]) -> applicant_services.PersonData:
    return applicant_services.PersonData(
        family_name=values["family_name"], given_names=values["given_names"],
        native_name=values.get("native_name"), sex=values["sex"],
        date_of_birth=values["date_of_birth"], nationality=values["nationality"],
        languages=values.get("languages") or "",
        interpreter_needed=bool(values.get("interpreter_needed")),
        arrival_date=values.get("arrival_date"), port_of_entry=values.get("port_of_entry"),
        family_group=values.get("family_group"), relationship=values.get("relationship"),
        aliases=list(values.get("aliases") or []))


@operation(bp, "POST", "/applicants", summary="Register an applicant", tag="applicants",
           body=schemas.ApplicantCreate, response=schemas.ApplicantOut, status=201,
           errors=(409,))
@requires(Action.REGISTER_APPLICANT)
def applicants_create(body: schemas.ApplicantCreate) -> Response:
    """A person and their application, registered by the caller's agency. Likely
    duplicates in the caller's scope answer 409 listing them, unless `confirm_new_person`
    (then each is recorded as "not the same person", as on the registration page)."""
    values = body.model_dump()
    person = _person(values)
    candidates = applicant_services.find_duplicates(db.session, person,
                                                    scope=applicant_scope(current_user))
    if candidates and not body.confirm_new_person:
        raise ApiProblem(409, _(
            "Possible duplicates: %(found)s. Send confirm_new_person: true to register a new "
            "person anyway.", found=", ".join(
                f"{c.applicant.registration_no} (score {c.result.score})" for c in candidates)),
            duplicates=[{"id": c.applicant.id, "registration_no": c.applicant.registration_no,
                         "score": c.result.score} for c in candidates])
    applicant = applicant_services.register_applicant(
        db.session, person, applicant_services.LodgingData(
            lodged_on=body.lodged_on, lodged_at=body.lodged_at,
            port_of_entry=body.port_of_entry, application_type=body.application_type),
        actor=current_user, registration_no=body.registration_no or None, today=today())
    for candidate in candidates:
        applicant_services.dismiss_duplicate(db.session, applicant, candidate.applicant,
                                             candidate.result.score, actor=current_user)
    out = _applicant_out(applicant)
    db.session.commit()
    return _json(out, 201)


@operation(bp, "PATCH", "/applicants/<int:applicant_id>", summary="Update an applicant",
           tag="applicants", body=schemas.ApplicantUpdate, response=schemas.ApplicantOut,
           errors=(409,))
@requires(Action.VIEW_APPLICANTS)
def applicants_update(applicant_id: int, body: schemas.ApplicantUpdate) -> Response:
    """Change some person fields; the others keep their values. A stale `version` is 409
    with the current record."""
    applicant = load_applicant(applicant_id)
    require(Action.EDIT_APPLICANT, applicant)
    current = {name: getattr(applicant, name) for name in applicant_services.PERSON_FIELDS}
    current["aliases"] = [alias.name for alias in applicant.aliases]
    changed = body.model_dump(exclude_unset=True, exclude={"version"})
    applicant_services.update_applicant(db.session, applicant, _person(current | changed),
                                        version=body.version, actor=current_user,
                                        today=today())
    out = _applicant_out(applicant)
    db.session.commit()
    return _json(out)


# --- cases ---------------------------------------------------------------------------------

def _case_out(case: Case) -> schemas.CaseOut:
    return schemas.CaseOut.model_validate({
        **{name: getattr(case, name) for name in schemas.CaseOut.model_fields
           if name not in {"deadlines", "events"}},
        "deadlines": {str(clock.kind): clock.due for clock in deadlines.running_clocks(case)},
        "events": [{"from": event.from_status, "to": event.to_status,
                    "effective_date": event.effective_date,
                    "notice_served_on": event.notice_served_on, "reason": event.reason,
                    "actor_id": event.actor_id} for event in case.events]})


@operation(bp, "GET", "/cases", summary="List cases", tag="cases", query=schemas.CaseQuery,
           response=schemas.CasePage)
@requires(Action.VIEW_APPLICANTS)
def cases_list(query: schemas.CaseQuery) -> Response:
    """Applications of the people in the caller's scope, newest first."""
    select = case_services.cases_query(current_user, case_services.CaseFilter(
        applicant_id=query.applicant_id, status=query.status, lodged_at=query.lodged_at,
        assigned_to_id=query.assigned_to_id, current=query.current))
    return _listed(select.options(selectinload(Case.events)), query, schemas.CasePage,
                   lambda cases: [_case_out(case) for case in cases],
                   partial(case_services.record_list, db.session))


@operation(bp, "GET", "/cases/<int:case_id>", summary="Read a case", tag="cases",
           response=schemas.CaseOut)
@requires(Action.VIEW_APPLICANTS)
def cases_read(case_id: int) -> Response:
    """One application with its deadlines and history (audited like the case page)."""
    case = load_case(case_id)
    applicant_services.record_view(db.session, case, actor=current_user)
    db.session.commit()
    return _json(_case_out(case))


@operation(bp, "POST", "/cases", summary="Lodge an application", tag="cases",
           body=schemas.CaseCreate, response=schemas.CaseOut, status=201, errors=(409,))
@requires(Action.VIEW_APPLICANTS)
def cases_create(body: schemas.CaseCreate) -> Response:
    """A new (subsequent) application of a person already registered."""
    applicant = load_applicant(body.applicant_id)
    require(Action.LODGE_CASE, applicant)
    case = case_services.lodge_case(db.session, applicant, applicant_services.LodgingData(
        lodged_on=body.lodged_on, lodged_at=body.lodged_at, port_of_entry=body.port_of_entry,
        application_type=body.application_type), actor=current_user, today=today())
    db.session.commit()
    return _json(_case_out(case), 201)


@operation(bp, "PATCH", "/cases/<int:case_id>", summary="Reassign a case", tag="cases",
           body=schemas.CaseUpdate, response=schemas.CaseOut, errors=(409,))
@requires(Action.VIEW_APPLICANTS)
def cases_update(case_id: int, body: schemas.CaseUpdate) -> Response:
    """The caseworker and the representing NGO (supervisors and admins). Status changes
    go through transitions."""
    case = load_case(case_id)
    require(Action.ASSIGN_CASE, case)
    given = body.model_dump(exclude_unset=True)
    assigned_to_id = given.get("assigned_to_id", case.assigned_to_id)
    org_id = given.get("representing_org_id", case.representing_org_id)
    assigned_to = db.session.get(User, assigned_to_id) if assigned_to_id else None
    organisation = db.session.get(Organisation, org_id) if org_id else None
    if assigned_to_id and assigned_to is None:
        raise ValidationFailed.single("assigned_to_id", _("There is no such user."))
    if org_id and organisation is None:
        raise ValidationFailed.single("representing_org_id",
                                      _("There is no such organisation."))
    case_services.update_assignment(db.session, case, version=body.version,
                                    assigned_to=assigned_to, representing_org=organisation,
                                    actor=current_user)
    db.session.commit()
    return _json(_case_out(case))


@operation(bp, "POST", "/cases/<int:case_id>/transitions", summary="Change a case's status",
           tag="cases", body=schemas.TransitionCreate, response=schemas.CaseOut, status=201,
           errors=(409,))
@requires(Action.VIEW_APPLICANTS)
def cases_transition(case_id: int, body: schemas.TransitionCreate) -> Response:
    """One step of the procedure (DOMAIN.md): a refused step is 409 naming the rule;
    decisions need a supervisor or an administrator (403). Answers with the case."""
    case = load_case(case_id, for_update=True)
    require(Action.TRANSITION_CASE, case)
    case_services.transition_case(
        db.session, case, to=body.to, effective_date=body.effective_date,
        notice_served_on=body.notice_served_on, reason=body.reason, outcome=body.outcome,
        version=body.version, actor=current_user, today=today())
    db.session.commit()
    return _json(_case_out(case), 201)


# --- hearings ------------------------------------------------------------------------------

def _hearing_out(hearing: Hearing, warnings: list[str] | None = None) -> schemas.HearingOut:
    return schemas.HearingOut.model_validate({
        **{name: getattr(hearing, name) for name in schemas.HearingOut.model_fields
           if name != "warnings"},
        "warnings": [str(w) for w in (warnings if warnings is not None
                                      else hearing_services.hearing_warnings(hearing))]})


@operation(bp, "GET", "/hearings", summary="List hearings", tag="hearings",
           query=schemas.HearingQuery, response=schemas.HearingPage)
@requires(Action.VIEW_HEARINGS)
def hearings_list(query: schemas.HearingQuery) -> Response:
    """Hearings of the people in the caller's scope, earliest first, filtered like the
    agenda (`from`/`to` are days in the agency's time zone)."""
    start = times.day_bounds(query.starts_from, 1)[0] if query.starts_from else None
    end = times.day_bounds(query.starts_until, 1)[1] if query.starts_until else None
    select = hearing_services.agenda_query(current_user, hearing_services.AgendaFilter(
        kind=query.kind, interviewer_id=query.interviewer_id, interpreter=query.interpreter,
        location=query.location, status=query.status, case_id=query.case_id),
        start=start, end=end)
    return _listed(select, query, schemas.HearingPage,
                   lambda hearings: [_hearing_out(hearing, []) for hearing in hearings],
                   partial(hearing_services.record_agenda_search, db.session))


@operation(bp, "GET", "/hearings/<int:hearing_id>", summary="Read a hearing",
           tag="hearings", response=schemas.HearingOut)
@requires(Action.VIEW_HEARINGS)
def hearings_read(hearing_id: int) -> Response:
    """One hearing (audited as a view of the person's file, like its page)."""
    hearing = load_hearing(hearing_id)
    hearing_services.record_view(db.session, hearing, actor=current_user)
    db.session.commit()
    return _json(_hearing_out(hearing))


def _hearing_data(values: dict[str, Any]) -> hearing_services.HearingData:
    return hearing_services.HearingData(**{name: values[name]
                                           for name in hearing_services.DATA_FIELDS})


@operation(bp, "POST", "/hearings", summary="Schedule a hearing", tag="hearings",
           body=schemas.HearingCreate, response=schemas.HearingOut, status=201,
           errors=(409,))
@requires(Action.VIEW_HEARINGS)
def hearings_create(body: schemas.HearingCreate) -> Response:
    """Book a hearing of a case; a clash of interviewer, interpreter, room or applicant is
    409 naming it."""
    case = load_case(body.case_id)
    require(Action.SCHEDULE_HEARING, case)
    booking = hearing_services.schedule_hearing(db.session, case, _hearing_data(
        body.model_dump()), actor=current_user)
    db.session.commit()
    return _json(_hearing_out(booking.hearing, booking.warnings), 201)


@operation(bp, "PATCH", "/hearings/<int:hearing_id>", summary="Update a hearing",
           tag="hearings", body=schemas.HearingUpdate, response=schemas.HearingOut,
           errors=(409,))
@requires(Action.VIEW_HEARINGS)
def hearings_update(hearing_id: int, body: schemas.HearingUpdate) -> Response:
    """Move or change a scheduled hearing (checked again for clashes), and/or record its
    outcome with `status` and `outcome_note`, as the hearing's edit and outcome forms do."""
    hearing = load_hearing(hearing_id)
    given = body.model_dump(exclude_unset=True, exclude={"version"})
    booking_fields = given.keys() & set(hearing_services.DATA_FIELDS)
    outcome_fields = given.keys() & {"status", "outcome_note"}
    version = body.version
    warnings: list[str] | None = None
    if booking_fields:
        require(Action.SCHEDULE_HEARING, hearing)
        current = {name: getattr(hearing, name) for name in hearing_services.DATA_FIELDS}
        booking = hearing_services.update_hearing(
            db.session, hearing, _hearing_data(current | given), version=version,
            actor=current_user)
        warnings, version = booking.warnings, hearing.version
    if outcome_fields:
        require(Action.RECORD_HEARING_OUTCOME, hearing)
        hearing_services.record_outcome(
            db.session, hearing, status=given.get("status", hearing.status),
            outcome_note=given.get("outcome_note", hearing.outcome_note) or "",
            version=version, actor=current_user)
    if not booking_fields and not outcome_fields:
        require(Action.SCHEDULE_HEARING, hearing)
        ensure_current(db.session, hearing, version)
    db.session.commit()
    return _json(_hearing_out(hearing, warnings))


# --- needs ---------------------------------------------------------------------------------

def _need_out(need: AssistanceNeed) -> schemas.NeedOut:
    return schemas.NeedOut.model_validate(need)


@operation(bp, "GET", "/needs", summary="List assistance needs", tag="needs",
           query=schemas.NeedQuery, response=schemas.NeedPage)
@requires(Action.VIEW_NEEDS)
def needs_list(query: schemas.NeedQuery) -> Response:
    """Assistance needs in the caller's scope (for an NGO also those referred to it),
    filtered like the needs list page."""
    select = need_services.filter_needs(
        sa.select(AssistanceNeed).join(AssistanceNeed.applicant)
        .where(need_scope(current_user)), need_services.NeedFilter(
            category=query.category, priority=query.priority, status=query.status,
            organisation_id=query.organisation_id, overdue=query.overdue), today=today())
    return _listed(select.order_by(AssistanceNeed.opened_on.desc(), AssistanceNeed.id.desc()),
                   query, schemas.NeedPage, lambda needs: [_need_out(need) for need in needs],
                   partial(need_services.record_search, db.session, AuditAction.NEEDS_LISTED))


@operation(bp, "GET", "/needs/<int:need_id>", summary="Read an assistance need",
           tag="needs", response=schemas.NeedOut)
@requires(Action.VIEW_NEEDS)
def needs_read(need_id: int) -> Response:
    """One assistance need (audited as a view, like its page)."""
    need = load_need(need_id)
    need_services.record_view(db.session, need, actor=current_user)
    db.session.commit()
    return _json(_need_out(need))


@operation(bp, "POST", "/needs", summary="Open an assistance need", tag="needs",
           body=schemas.NeedCreate, response=schemas.NeedOut, status=201)
@requires(Action.RECORD_NEEDS)
def needs_create(body: schemas.NeedCreate) -> Response:
    """Open a need of a person in scope (referred at once when an NGO is given)."""
    applicant = load_applicant(body.applicant_id)
    require(Action.RECORD_NEEDS, applicant)
    need = need_services.open_need(db.session, applicant, need_services.NeedData(
        category=body.category, priority=body.priority,
        referred_to_org_id=body.referred_to_org_id, opened_on=body.opened_on,
        due_on=body.due_on, note=body.note), actor=current_user, today=today())
    db.session.commit()
    return _json(_need_out(need), 201)


@operation(bp, "PATCH", "/needs/<int:need_id>", summary="Update an assistance need",
           tag="needs", body=schemas.NeedUpdate, response=schemas.NeedOut, errors=(409,))
@requires(Action.VIEW_NEEDS)
def needs_update(need_id: int, body: schemas.NeedUpdate) -> Response:
    """Agency staff change any field; the NGO a need is referred to records its progress
    and outcome only (403 otherwise)."""
    need = load_need(need_id)
    if not need_services.may_update_need(current_user, need):
        require(Action.MANAGE_NEEDS, need)  # an audited 403
    given = body.model_dump(exclude_unset=True, exclude={"version"})
    for name in ("note", "resolution_note"):
        if name in given:
            given[name] = given[name] or ""
    need_services.update_need(db.session, need, need_services.need_data(need, **given),
                              version=body.version, actor=current_user, today=today())
    db.session.commit()
    return _json(_need_out(need))


# --- statistics ----------------------------------------------------------------------------

@operation(bp, "GET", "/statistics/annual/<int:year>", summary="A year's statistics",
           tag="statistics", response=schemas.StatisticsOut)
@requires(Action.VIEW_INTERNAL_STATISTICS)
def statistics_annual(year: int) -> Response:
    """The internal (exact) tables of a year, as the JSON download of the statistics page
    (audited as a download); a year outside 1994..this year is 404."""
    if not tables.valid_year(year, today()):
        raise ApiProblem(404, f"There are no statistics for {year}: choose a year from "
                              f"{tables.FIRST_YEAR} to {today().year}.")
    release = exports.Release.now(year, public=False)
    record(db.session, AuditAction.STATISTICS_DOWNLOADED, actor=current_user,
           details={"year": year, "format": "json", "release": release.name, "api": True})
    db.session.commit()
    return Response(stream_with_context(exports.chunks(db.session, release, "json")),
                    mimetype="application/json")

