"""The role × route matrix, built from the app's own URL map.

Every route must have an entry in ROUTES: a new route without one fails the suite, so no
page can appear without someone deciding who may use it. Routes that name a person's
record are also tried with a record outside the user's scope, which must answer 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa

from casemgr import create_app
from casemgr.audit.models import AuditEvent
from casemgr.auth.models import OrganisationKind, Role
from casemgr.extensions import db
from tests.conftest import csrf_token

EVERYONE = frozenset(Role)
AGENCY = frozenset({Role.ADMIN, Role.SUPERVISOR, Role.CASEWORKER})
PEOPLE = AGENCY | {Role.LEGAL_AID}
SUPERVISORS = frozenset({Role.ADMIN, Role.SUPERVISOR})
ADMIN = frozenset({Role.ADMIN})


@dataclass(frozen=True)
class Route:
    path: str
    roles: frozenset[Role] = frozenset()
    method: str = "GET"
    public: bool = False
    scoped: bool = False  # names a person's record: outside the user's scope it is 404
    anonymous_status: int = 200  # what a public route answers an anonymous visitor
    api: bool = False  # a JSON API route (token, not session): tests/api/test_api_permissions.py


ROUTES: dict[str, Route] = {
    "static": Route("/static/css/casemgr.css", public=True),
    "bootstrap.static": Route("/bootstrap/static/css/bootstrap.min.css", public=True),
    "auth.login": Route("/login", public=True),
    "health.healthz": Route("/healthz", public=True),
    "auth.logout": Route("/logout", EVERYONE, "POST"),
    "auth.account": Route("/account", EVERYONE),
    "auth.logout_everywhere": Route("/account/logout-everywhere", EVERYONE, "POST"),
    "auth.language": Route("/account/language", EVERYONE, "POST"),
    "auth.login_code": Route("/login/code", public=True, anonymous_status=302),  # no login
    "auth.two_factor_setup": Route("/account/two-factor", EVERYONE),
    "auth.two_factor_codes": Route("/account/two-factor/recovery-codes", EVERYONE, "POST"),
    "auth.two_factor_disable": Route("/account/two-factor/disable", EVERYONE, "POST"),
    "dashboard.index": Route("/", EVERYONE),  # non-agency roles are sent to their home
    "statistics.index": Route("/statistics", SUPERVISORS | {Role.ANALYST}),
    "statistics.download": Route("/statistics/annual/2025.json", SUPERVISORS | {Role.ANALYST}),
    "statistics.public_index": Route("/public/statistics", public=True),
    "statistics.public_download": Route("/public/statistics/annual/2025.json", public=True),
    "admin.users": Route("/admin/users", ADMIN),
    "admin.user_new": Route("/admin/users/new", ADMIN),
    "admin.user_edit": Route("/admin/users/{user_id}", ADMIN),
    "admin.user_password": Route("/admin/users/{user_id}/password", ADMIN),
    "admin.user_active": Route("/admin/users/{user_id}/active", ADMIN, "POST"),
    "admin.user_two_factor_reset": Route("/admin/users/{user_id}/two-factor/reset", ADMIN,
                                         "POST"),
    "admin.organisations": Route("/admin/organisations", ADMIN),
    "admin.organisation_new": Route("/admin/organisations/new", ADMIN),
    "admin.organisation_edit": Route("/admin/organisations/{organisation_id}", ADMIN),
    "admin.organisation_active": Route("/admin/organisations/{organisation_id}/active", ADMIN,
                                       "POST"),
    "audit.index": Route("/admin/audit", frozenset({Role.ADMIN, Role.AUDITOR})),
    "audit.verify": Route("/admin/audit/verify", frozenset({Role.ADMIN, Role.AUDITOR}), "POST"),
    "audit.export": Route("/admin/audit/export.csv", frozenset({Role.ADMIN, Role.AUDITOR})),
    "applicants.index": Route("/applicants", PEOPLE),
    "applicants.register": Route("/applicants/new", AGENCY),
    "applicants.detail": Route("/applicants/{applicant_id}", PEOPLE, scoped=True),
    "applicants.edit": Route("/applicants/{applicant_id}/edit", AGENCY, scoped=True),
    "applicants.lodge": Route("/applicants/{applicant_id}/cases/new", AGENCY, scoped=True),
    "applicants.share": Route("/applicants/{applicant_id}/sharing", AGENCY, "POST",
                              scoped=True),
    "applicants.revoke": Route("/applicants/{applicant_id}/sharing/{sharing_id}/revoke",
                               AGENCY, "POST", scoped=True),
    "applicants.access_log": Route("/applicants/{applicant_id}/access-log", SUPERVISORS,
                                   scoped=True),
    "cases.detail": Route("/cases/{case_id}", PEOPLE, scoped=True),
    "cases.transition": Route("/cases/{case_id}/transition", AGENCY, "POST", scoped=True),
    "cases.extension": Route("/cases/{case_id}/extension", SUPERVISORS, "POST", scoped=True),
    "cases.assignment": Route("/cases/{case_id}/assignment", SUPERVISORS, "POST", scoped=True),
    "cases.add_note": Route("/cases/{case_id}/notes", PEOPLE, "POST", scoped=True),
    "hearings.agenda": Route("/hearings", PEOPLE),
    "hearings.schedule": Route("/cases/{case_id}/hearings/new", AGENCY, scoped=True),
    "hearings.detail": Route("/hearings/{hearing_id}", PEOPLE, scoped=True),
    "hearings.edit": Route("/hearings/{hearing_id}/edit", AGENCY, scoped=True),
    "hearings.outcome": Route("/hearings/{hearing_id}/outcome", AGENCY, "POST", scoped=True),
    "hearings.notice": Route("/hearings/{hearing_id}/notice", PEOPLE, scoped=True),
    "hearings.calendar": Route("/hearings/calendar", PEOPLE),
    "hearings.calendar_create": Route("/hearings/calendar/new", PEOPLE, "POST"),
    "hearings.calendar_revoke": Route("/hearings/calendar/revoke", PEOPLE, "POST"),
    "hearings.feed": Route("/hearings/calendar/{feed_token}.ics", public=True),
    "needs.index": Route("/needs", PEOPLE),
    "needs.specific_index": Route("/needs/specific", PEOPLE),
    "needs.person": Route("/applicants/{applicant_id}/needs", PEOPLE, scoped=True),
    "needs.add_specific": Route("/applicants/{applicant_id}/needs/specific", PEOPLE, "POST",
                                scoped=True),
    "needs.remove_specific": Route(
        "/applicants/{applicant_id}/needs/specific/{specific_need_id}/remove", AGENCY, "POST",
        scoped=True),
    "needs.open_need": Route("/applicants/{applicant_id}/needs/assistance", PEOPLE, "POST",
                             scoped=True),
    "needs.confirm_port_held": Route("/applicants/{applicant_id}/needs/port-held", PEOPLE,
                                     "POST", scoped=True),
    # the NGO may update this need because it was referred to it (see the world)
    "needs.detail": Route("/needs/{need_id}", PEOPLE, scoped=True),
    "needs.update": Route("/needs/{need_id}/update", PEOPLE, "POST", scoped=True),
    "tokens.index": Route("/account/tokens", EVERYONE),
    "tokens.create": Route("/account/tokens", EVERYONE, "POST"),
    "tokens.revoke": Route("/account/tokens/revoke", EVERYONE, "POST"),
    # JSON API v1: role × route with tokens in tests/api/test_api_permissions.py
    "api.openapi_document": Route("/api/v1/openapi.json", public=True, api=True),
    "api.docs": Route("/api/v1/docs", public=True, api=True),
    "api.me": Route("/api/v1/users/me", EVERYONE, api=True),
    "api.applicants_list": Route("/api/v1/applicants", PEOPLE, api=True),
    "api.applicants_read": Route("/api/v1/applicants/{applicant_id}", PEOPLE, scoped=True,
                                 api=True),
    "api.applicants_create": Route("/api/v1/applicants", AGENCY, "POST", api=True),
    "api.applicants_update": Route("/api/v1/applicants/{applicant_id}", AGENCY, "PATCH",
                                   scoped=True, api=True),
    "api.cases_list": Route("/api/v1/cases", PEOPLE, api=True),
    "api.cases_read": Route("/api/v1/cases/{case_id}", PEOPLE, scoped=True, api=True),
    "api.cases_create": Route("/api/v1/cases", AGENCY, "POST", scoped=True, api=True),
    "api.cases_update": Route("/api/v1/cases/{case_id}", SUPERVISORS, "PATCH", scoped=True,
                              api=True),
    "api.cases_transition": Route("/api/v1/cases/{case_id}/transitions", AGENCY, "POST",
                                  scoped=True, api=True),
    "api.hearings_list": Route("/api/v1/hearings", PEOPLE, api=True),
    "api.hearings_read": Route("/api/v1/hearings/{hearing_id}", PEOPLE, scoped=True, api=True),
    "api.hearings_create": Route("/api/v1/hearings", AGENCY, "POST", scoped=True, api=True),
    "api.hearings_update": Route("/api/v1/hearings/{hearing_id}", AGENCY, "PATCH", scoped=True,
                                 api=True),
    "api.needs_list": Route("/api/v1/needs", PEOPLE, api=True),
    "api.needs_read": Route("/api/v1/needs/{need_id}", PEOPLE, scoped=True, api=True),
    "api.needs_create": Route("/api/v1/needs", PEOPLE, "POST", scoped=True, api=True),
    "api.needs_update": Route("/api/v1/needs/{need_id}", PEOPLE, "PATCH", scoped=True, api=True),
    "api.statistics_annual": Route("/api/v1/statistics/annual/2025",
                                   SUPERVISORS | {Role.ANALYST}, api=True),
    "exchange.upload": Route("/applicants/import", AGENCY),
    "exchange.report": Route("/applicants/import/report", AGENCY),  # nothing pending: 302
    "exchange.confirm": Route("/applicants/import/confirm", AGENCY, "POST"),
    "exchange.cancel": Route("/applicants/import/cancel", AGENCY, "POST"),
    "exchange.export": Route("/applicants/export.csv", PEOPLE),
}


def test_every_route_is_in_the_matrix() -> None:
    app = create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "x"})
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - ROUTES.keys() == set(), "add these routes to ROUTES"
    assert ROUTES.keys() - endpoints == set(), "these routes no longer exist"


@pytest.fixture
def world(factories) -> dict[str, Any]:
    """An agency and an NGO with one shared person; a second agency's person, shared with
    another NGO, is out of everyone's scope but the admin's. Each has a hearing, a specific
    need and an assistance need referred to the NGO that sees the person."""
    agency = factories.organisation(OrganisationKind.AGENCY)
    ngo = factories.organisation(OrganisationKind.NGO)
    other_ngo = factories.organisation(OrganisationKind.NGO)
    person = factories.applicant(agency=agency, share_with=ngo)
    stranger = factories.applicant(share_with=other_ngo)
    target = factories.user(organisation=agency)
    recorder = factories.user(Role.ADMIN)
    feed_token = factories.calendar_feed(target)

    def ids(applicant, referred_to) -> dict[str, Any]:
        case_id = applicant.cases[0].id
        return {"applicant_id": applicant.id, "case_id": case_id,
                "sharing_id": applicant.sharing[0].id, "user_id": target.id,
                "organisation_id": agency.id, "feed_token": feed_token,
                "hearing_id": factories.hearing(case_id).id,
                "specific_need_id": factories.specific_need(applicant.id, "ER-UR",
                                                            actor=recorder).id,
                "need_id": factories.assistance_need(applicant.id, actor=recorder,
                                                     referred_to=referred_to).id}

    return {"agency": agency, "ngo": ngo, "inside": ids(person, ngo),
            "outside": ids(stranger, other_ngo)}


def request(client, route: Route, ids: dict[str, int]):
    path = route.path.format(**ids)
    if route.method == "GET":
        return client.get(path)
    page = "/account" if hasattr(client, "user") else "/login"
    return client.post(path, data={"csrf_token": csrf_token(client, page)})


def member_of(world: dict[str, Any], role: Role):
    return world["ngo"] if role == Role.LEGAL_AID else world["agency"]


@pytest.mark.parametrize("endpoint", sorted(e for e, r in ROUTES.items() if not r.api))
def test_anonymous(client, world, endpoint) -> None:
    route = ROUTES[endpoint]
    response = request(client, route, world["inside"])
    if route.public:
        assert response.status_code == route.anonymous_status
    else:
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("endpoint", sorted(e for e, r in ROUTES.items()
                                             if not r.public and not r.api))
def test_role_on_records_in_scope(login_as, world, endpoint, role) -> None:
    route = ROUTES[endpoint]
    client = login_as(role, organisation=member_of(world, role))
    response = request(client, route, world["inside"])
    if role in route.roles:
        assert response.status_code in {200, 302}, response.status_code
    else:
        assert response.status_code == 403
        assert "Not allowed" in response.get_data(as_text=True)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("endpoint", sorted(e for e, r in ROUTES.items()
                                             if r.scoped and not r.api))
def test_role_on_records_out_of_scope(login_as, world, endpoint, role) -> None:
    """Out of scope is 404 (existence not disclosed); admins see everything; roles that
    never see people are refused (403) before any record is looked up."""
    route = ROUTES[endpoint]
    client = login_as(role, organisation=member_of(world, role))
    response = request(client, route, world["outside"])
    if role == Role.ADMIN:
        assert response.status_code in {200, 302}
    elif Role(role) in PEOPLE:
        assert response.status_code == 404
        assert "Not found" in response.get_data(as_text=True)
    else:
        assert response.status_code == 403


def test_unknown_ids_are_404(login_as) -> None:
    client = login_as(Role.ADMIN)
    assert client.get("/applicants/999999").status_code == 404
    assert client.get("/cases/999999").status_code == 404


def test_refusals_are_audited(app, login_as) -> None:
    client = login_as(Role.CASEWORKER)
    assert client.get("/admin/users").status_code == 403
    with app.app_context():
        event = db.session.execute(sa.select(AuditEvent).order_by(AuditEvent.id.desc())
                                   ).scalars().first()
    assert event.action == "auth.permission_denied"
    assert event.actor_name == client.user.username
    assert event.details == {"action": "users.manage"}
