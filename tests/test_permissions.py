"""The role × route matrix, built from the app's own URL map.

Every route must have an entry in ROUTES: a new route without one fails the suite, so no
page can appear without someone deciding who may use it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from casemgr import create_app
from casemgr.audit.models import AuditEvent
from casemgr.auth.models import Role
from casemgr.extensions import db
from tests.conftest import csrf_token

EVERYONE = frozenset(Role)
AGENCY = frozenset({Role.ADMIN, Role.SUPERVISOR, Role.CASEWORKER})


@dataclass(frozen=True)
class Route:
    path: str
    roles: frozenset[Role] = frozenset()
    method: str = "GET"
    public: bool = False


ROUTES: dict[str, Route] = {
    "static": Route("/static/css/casemgr.css", public=True),
    "bootstrap.static": Route("/bootstrap/static/css/bootstrap.min.css", public=True),
    "auth.login": Route("/login", public=True),
    "auth.logout": Route("/logout", EVERYONE, "POST"),
    "auth.account": Route("/account", EVERYONE),
    "dashboard.index": Route("/", EVERYONE),  # non-agency roles are sent to their home
    "applicants.index": Route("/applicants", AGENCY | {Role.LEGAL_AID}),
    "statistics.index": Route("/statistics", frozenset({Role.ADMIN, Role.SUPERVISOR,
                                                        Role.ANALYST})),
    "admin.users": Route("/admin/users", frozenset({Role.ADMIN})),
    "admin.user_new": Route("/admin/users/new", frozenset({Role.ADMIN})),
    "admin.user_edit": Route("/admin/users/{user_id}", frozenset({Role.ADMIN})),
    "admin.user_password": Route("/admin/users/{user_id}/password", frozenset({Role.ADMIN})),
    "admin.user_active": Route("/admin/users/{user_id}/active", frozenset({Role.ADMIN}), "POST"),
    "admin.organisations": Route("/admin/organisations", frozenset({Role.ADMIN})),
    "admin.organisation_new": Route("/admin/organisations/new", frozenset({Role.ADMIN})),
    "admin.organisation_edit": Route("/admin/organisations/{organisation_id}",
                                     frozenset({Role.ADMIN})),
    "admin.organisation_active": Route("/admin/organisations/{organisation_id}/active",
                                       frozenset({Role.ADMIN}), "POST"),
    "audit.index": Route("/admin/audit", frozenset({Role.ADMIN, Role.AUDITOR})),
    "audit.verify": Route("/admin/audit/verify", frozenset({Role.ADMIN, Role.AUDITOR}), "POST"),
}


def test_every_route_is_in_the_matrix() -> None:
    app = create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "x"})
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - ROUTES.keys() == set(), "add these routes to ROUTES"
    assert ROUTES.keys() - endpoints == set(), "these routes no longer exist"


def request(client, route: Route, **ids: int):
    path = route.path.format(**ids)
    if route.method == "GET":
        return client.get(path)
    return client.post(path, data={"csrf_token": csrf_token(client, "/login"
                                                            if not hasattr(client, "user")
                                                            else "/account")})


@pytest.mark.parametrize("endpoint", sorted(ROUTES))
def test_anonymous(client, factories, endpoint) -> None:
    route = ROUTES[endpoint]
    target = factories.user()
    response = request(client, route, user_id=target.id, organisation_id=target.organisation_id)
    if route.public:
        assert response.status_code == 200
    else:
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("endpoint", sorted(e for e, r in ROUTES.items() if not r.public))
def test_role(login_as, factories, endpoint, role) -> None:
    route = ROUTES[endpoint]
    client = login_as(role)
    target = factories.user()
    response = request(client, route, user_id=target.id, organisation_id=target.organisation_id)
    if role in route.roles:
        assert response.status_code in {200, 302}, response.status_code
    else:
        assert response.status_code == 403
        assert "Not allowed" in response.get_data(as_text=True)


def test_refusals_are_audited(app, login_as) -> None:
    client = login_as(Role.CASEWORKER)
    assert client.get("/admin/users").status_code == 403
    with app.app_context():
        event = db.session.execute(sa.select(AuditEvent).order_by(AuditEvent.id.desc())
                                   ).scalars().first()
    assert event.action == "auth.permission_denied"
    assert event.actor_name == client.user.username
    assert event.details == {"action": "users.manage"}
