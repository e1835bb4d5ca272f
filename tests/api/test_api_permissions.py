"""The API's role × route matrix with tokens: every API route of tests/test_permissions.py's
ROUTES, for every role and without a token, on records in and out of the caller's scope.

In scope: the roles of the route get 2xx, the others 403. Out of scope: 404 for the roles
that see people (the admin sees everything), 403 for those that never do. Without a token:
401. Each request sends a valid body, so the answer depends only on role and scope.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from casemgr.auth.models import Role
from casemgr.cases.models import Case
from casemgr.cases.services import transition_case
from casemgr.database import utcnow
from casemgr.extensions import db
from casemgr.localtime import today
from tests.test_permissions import PEOPLE, ROUTES, Route, member_of

API_ROUTES = {endpoint: route for endpoint, route in ROUTES.items() if route.api}


def version_of(app, model, record_id: int) -> int:
    with app.app_context():
        return db.session.execute(sa.select(model.version).where(model.id == record_id)
                                  ).scalar_one()


def withdraw(app, case_id: int) -> None:
    """End the case, so that a new application of the person may be lodged."""
    with app.app_context():
        case = db.session.get_one(Case, case_id)
        transition_case(db.session, case, to="withdrawn", effective_date=today(),
                        reason="test", actor=None)
        db.session.commit()


def body_for(app, endpoint: str, ids: dict[str, Any], world: dict[str, Any]) -> Any:
    """A valid body for the route, naming the records of `ids`."""
    from casemgr.applicants.models import Applicant
    from casemgr.hearings.models import Hearing
    from casemgr.needs.models import AssistanceNeed

    starts_at = (utcnow() + timedelta(days=40)).replace(second=0, microsecond=0)
    bodies = {
        "api.applicants_create": lambda: {
            "family_name": "NEWCOMER", "given_names": "Maria", "sex": "F",
            "date_of_birth": "1985-03", "nationality": "SYR", "lodged_on": str(today()),
            "lodged_at": "in_country", "confirm_new_person": True},
        "api.applicants_update": lambda: {
            "version": version_of(app, Applicant, ids["applicant_id"]),
            "given_names": "Petra"},
        "api.cases_create": lambda: withdraw(app, ids["case_id"]) or {
            "applicant_id": ids["applicant_id"], "lodged_on": str(today()),
            "lodged_at": "in_country"},
        "api.cases_update": lambda: {"version": version_of(app, Case, ids["case_id"]),
                                     "representing_org_id": world["ngo"].id},
        "api.cases_transition": lambda: {"to": "withdrawn", "effective_date": str(today()),
                                         "reason": "The applicant withdrew."},
        "api.hearings_create": lambda: {
            "case_id": ids["case_id"], "kind": "rsd_interview",
            "starts_at": starts_at.isoformat(), "duration_minutes": 60,
            "location": "Room 9"},
        "api.hearings_update": lambda: {
            "version": version_of(app, Hearing, ids["hearing_id"]), "location": "Room 7"},
        "api.needs_create": lambda: {"applicant_id": ids["applicant_id"],
                                     "category": "food"},
        "api.needs_update": lambda: {
            "version": version_of(app, AssistanceNeed, ids["need_id"]),
            "status": "in_progress"},
    }
    make = bodies.get(endpoint)
    return make() if make else None


def call(client, app, endpoint: str, route: Route, ids: dict[str, Any],
         world: dict[str, Any]):
    path = route.path.removeprefix("/api/v1").format(**ids)
    body = body_for(app, endpoint, ids, world)
    if route.method == "GET":
        return client.get(path)
    if route.method == "POST":
        return client.post(path, json=body)
    return client.patch(path, json=body)


def is_problem(response) -> bool:
    return response.mimetype == "application/problem+json" and {
        "status", "title", "detail"} <= response.json.keys()


@pytest.mark.parametrize("endpoint", sorted(API_ROUTES))
def test_without_a_token(app, api_as, world, endpoint) -> None:
    route = API_ROUTES[endpoint]
    response = call(api_as(None), app, endpoint, route, world["inside"], world)
    if route.public:
        assert response.status_code == 200
    else:
        assert response.status_code == 401
        assert is_problem(response)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("endpoint", sorted(e for e, r in API_ROUTES.items() if not r.public))
def test_role_on_records_in_scope(app, api_as, world, endpoint, role) -> None:
    route = API_ROUTES[endpoint]
    client = api_as(role, organisation=member_of(world, role))
    response = call(client, app, endpoint, route, world["inside"], world)
    if role in route.roles:
        assert response.status_code in {200, 201}, response.get_data(as_text=True)
        assert response.mimetype == "application/json"
    else:
        assert response.status_code == 403, response.get_data(as_text=True)
        assert is_problem(response)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("endpoint", sorted(e for e, r in API_ROUTES.items() if r.scoped))
def test_role_on_records_out_of_scope(app, api_as, world, endpoint, role) -> None:
    route = API_ROUTES[endpoint]
    client = api_as(role, organisation=member_of(world, role))
    response = call(client, app, endpoint, route, world["outside"], world)
    if role == Role.ADMIN:
        assert response.status_code in {200, 201}, response.get_data(as_text=True)
    elif role in PEOPLE:
        assert response.status_code == 404, response.get_data(as_text=True)
        assert is_problem(response)
    else:
        assert response.status_code == 403
