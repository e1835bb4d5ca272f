"""Tokens (401 for every kind of invalid one), problem documents for every error status,
stale versions (409 with the current record), refusals (409 naming the rule or clash),
validation (422 with field errors), the rate limit (429), and the token page and command."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from casemgr.api.models import ApiToken
from casemgr.api.tokens import token_hash
from casemgr.audit.models import AuditEvent
from casemgr.auth.models import OrganisationKind, Role, User
from casemgr.database import utcnow
from casemgr.extensions import db
from casemgr.localtime import today
from tests.api.conftest import ApiClient, make_token
from tests.conftest import csrf_token, post_form


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.json
    assert body["status"] == status
    assert body["title"] and body["detail"]
    return body


@pytest.fixture
def agency(factories):
    return factories.organisation(OrganisationKind.AGENCY)


@pytest.fixture
def caseworker(api_as, agency) -> ApiClient:
    return api_as(Role.CASEWORKER, organisation=agency)


# --- 401 -------------------------------------------------------------------------------------

def test_missing_malformed_and_unknown_tokens_are_401(app, caseworker) -> None:
    client = app.test_client()
    assert_problem(client.get("/api/v1/users/me"), 401)
    assert_problem(client.get("/api/v1/users/me", headers={"Authorization": "Basic abc"}), 401)
    assert_problem(client.get("/api/v1/users/me", headers={"Authorization": "Bearer "}), 401)
    assert_problem(client.get("/api/v1/users/me",
                              headers={"Authorization": "Bearer not-a-token"}), 401)
    assert caseworker.get("/users/me").status_code == 200


def test_revoked_and_expired_tokens_are_401(app, factories, agency) -> None:
    user = factories.user(Role.CASEWORKER, organisation=agency)
    revoked, expired = make_token(app, user), make_token(app, user, expires_days=1)
    with app.app_context():
        db.session.execute(sa.update(ApiToken).where(ApiToken.token_hash == token_hash(revoked))
                           .values(revoked_at=utcnow()))
        db.session.execute(sa.update(ApiToken).where(ApiToken.token_hash == token_hash(expired))
                           .values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    for token in (revoked, expired):
        assert_problem(ApiClient(app.test_client(), token, user).get("/users/me"), 401)


def test_a_deactivated_users_token_is_401(app, caseworker) -> None:
    assert caseworker.get("/users/me").status_code == 200
    with app.app_context():
        db.session.execute(sa.update(User).where(User.id == caseworker.user.id)
                           .values(active=False))
        db.session.commit()
    assert_problem(caseworker.get("/users/me"), 401)


def test_only_the_hash_is_stored_and_use_is_recorded(app, caseworker) -> None:
    me = caseworker.get("/users/me").json
    assert me == {"id": caseworker.user.id, "username": caseworker.user.username,
                  "role": "caseworker", "organisation_id": caseworker.user.organisation_id}
    with app.app_context():
        token = db.session.execute(sa.select(ApiToken)).scalar_one()
        assert token.token_hash == token_hash(caseworker.token) != caseworker.token
        assert token.last_used_at is not None


def test_the_api_never_uses_the_session_cookie(app, login_as) -> None:
    """A logged-in browser session does not authenticate API calls, and API calls set no
    session cookie."""
    browser = login_as(Role.ADMIN)
    response = browser.get("/api/v1/users/me")
    assert_problem(response, 401)
    assert "Set-Cookie" not in response.headers


def test_api_posts_need_no_csrf_token(app, caseworker, factories, agency) -> None:
    person = factories.applicant(agency=agency)
    response = caseworker.post("/needs", json={"applicant_id": person.id, "category": "food"})
    assert response.status_code == 201, response.json


# --- 403 / 404 / 405 / 415 / 422 ---------------------------------------------------------------

def test_missing_right_is_403_and_audited(app, api_as) -> None:
    analyst = api_as(Role.ANALYST)
    assert_problem(analyst.get("/applicants"), 403)
    with app.app_context():
        event = db.session.execute(sa.select(AuditEvent).order_by(AuditEvent.id.desc())
                                   ).scalars().first()
    assert event.action == "auth.permission_denied"
    assert event.actor_name == analyst.user.username


def test_decisions_need_a_supervisor(caseworker, factories, agency) -> None:
    person = factories.applicant(agency=agency)
    response = caseworker.post(f"/cases/{person.cases[0].id}/transitions", json={
        "to": "recognized", "effective_date": str(today()), "reason": "granted"})
    assert_problem(response, 403)


def test_unknown_and_out_of_scope_records_are_404(caseworker, factories) -> None:
    stranger = factories.applicant()
    assert_problem(caseworker.get("/applicants/999999"), 404)
    assert_problem(caseworker.get("/applicants/99999999999"), 404)
    assert_problem(caseworker.get(f"/applicants/{stranger.id}"), 404)
    assert_problem(caseworker.get(f"/cases/{stranger.cases[0].id}"), 404)
    assert_problem(caseworker.get("/no-such-thing"), 404)


def test_no_html_error_pages_under_the_api(app, caseworker) -> None:
    assert_problem(caseworker.client.delete("/api/v1/applicants",
                                            headers=caseworker.headers()), 405)
    assert_problem(caseworker.client.post("/api/v1/needs", data="category=food",
                                          headers=caseworker.headers()), 415)
    assert_problem(caseworker.client.post("/api/v1/needs", data="{not json",
                                          content_type="application/json",
                                          headers=caseworker.headers()), 400)
    assert_problem(caseworker.get("/statistics/annual/1800"), 403)


def test_invalid_data_is_422_with_field_errors(caseworker, factories, agency) -> None:
    factories.applicant(agency=agency)
    body = assert_problem(caseworker.post("/applicants", json={
        "family_name": "TESTER", "given_names": "Ann", "sex": "Q", "date_of_birth": "1990",
        "nationality": "ZZZ", "lodged_on": "2026-02-30", "lodged_at": "in_country",
        "colour": "blue"}), 422)
    fields = {error["field"] for error in body["errors"]}
    assert {"sex", "nationality", "lodged_on", "colour"} <= fields
    # a rule of the service (across fields) comes back the same way
    body = assert_problem(caseworker.post("/applicants", json={
        "family_name": "TESTER", "given_names": "Ann", "sex": "F", "date_of_birth": "2020",
        "nationality": "RUS", "lodged_on": "2019-01-10", "lodged_at": "in_country"}), 422)
    assert any(error["field"] == "lodged_on" for error in body["errors"])
    body = assert_problem(caseworker.get("/applicants?per_page=500"), 422)
    assert body["errors"][0]["field"] == "per_page"


# --- 409 -------------------------------------------------------------------------------------

def test_stale_versions_are_409_with_the_current_record(app, api_as, factories, agency) -> None:
    supervisor = api_as(Role.SUPERVISOR, organisation=agency)
    ngo = factories.organisation(OrganisationKind.NGO)
    person = factories.applicant(agency=agency)
    case_id = person.cases[0].id
    hearing = factories.hearing(case_id)
    need = factories.assistance_need(person.id, actor=supervisor.user)
    cases = [
        (f"/applicants/{person.id}", {"given_names": "Boris"}, {"given_names": "Ivan"}),
        (f"/cases/{case_id}", {"representing_org_id": ngo.id},
         {"representing_org_id": None}),
        (f"/hearings/{hearing.id}", {"location": "Room 5"}, {"location": "Room 6"}),
        (f"/needs/{need.id}", {"priority": "urgent"}, {"priority": "high"}),
    ]
    for path, first, second in cases:
        version = supervisor.get(path).json["version"]
        saved = supervisor.patch(path, json={"version": version, **first})
        assert saved.status_code == 200, saved.json
        assert saved.json["version"] == version + 1
        body = assert_problem(supervisor.patch(path, json={"version": version, **second}),
                              409)
        assert body["current"]["version"] == version + 1
        assert body["current"] == supervisor.get(path).json
        assert body["changes"]
    transition = supervisor.post(f"/cases/{case_id}/transitions", json={
        "to": "withdrawn", "effective_date": str(today()), "reason": "x", "version": 1})
    assert_problem(transition, 409)


def test_refused_transition_is_409_naming_the_rule(caseworker, factories, agency) -> None:
    person = factories.applicant(agency=agency)
    body = assert_problem(caseworker.post(f"/cases/{person.cases[0].id}/transitions", json={
        "to": "objection", "effective_date": str(today()), "reason": "x"}), 409)
    assert "objection" in body["detail"].lower() or "first instance" in body["detail"].lower()


def test_transition_is_201_with_the_case(caseworker, factories, agency) -> None:
    person = factories.applicant(agency=agency)
    response = caseworker.post(f"/cases/{person.cases[0].id}/transitions", json={
        "to": "withdrawn", "effective_date": str(today()), "reason": "left the country"})
    assert response.status_code == 201, response.json
    assert response.json["status"] == "withdrawn"
    assert response.json["events"][-1]["from"] == "first_instance"
    assert response.json["events"][-1]["to"] == "withdrawn"
    assert response.json["events"][-1]["actor_id"] == caseworker.user.id


def test_scheduling_clash_is_409_naming_it(caseworker, factories, agency) -> None:
    person = factories.applicant(agency=agency)
    other = factories.applicant(agency=agency)
    existing = factories.hearing(person.cases[0].id, location="Room 3")
    response = caseworker.post("/hearings", json={
        "case_id": other.cases[0].id, "kind": "rsd_interview",
        "starts_at": existing.starts_at.isoformat(), "duration_minutes": 30,
        "location": "room  3"})
    body = assert_problem(response, 409)
    assert f"hearing {existing.id}" in body["detail"]


def test_likely_duplicates_are_409_until_confirmed(caseworker, factories, agency) -> None:
    person = factories.applicant(agency=agency)
    data = {"family_name": person.family_name, "given_names": person.given_names, "sex": "M",
            "date_of_birth": person.date_of_birth, "nationality": person.nationality,
            "lodged_on": str(today()), "lodged_at": "in_country"}
    body = assert_problem(caseworker.post("/applicants", json=data), 409)
    assert body["duplicates"][0]["registration_no"] == person.registration_no
    created = caseworker.post("/applicants", json={**data, "confirm_new_person": True})
    assert created.status_code == 201
    assert created.json["registration_no"] != person.registration_no
    assert len(created.json["case_ids"]) == 1


# --- 429 -------------------------------------------------------------------------------------

@pytest.mark.parametrize("app_overrides", [{"API_RATE_LIMIT": "3 per minute"}])
def test_rate_limit_per_token_is_429(app, api_as, app_overrides) -> None:
    first, second = api_as(Role.ANALYST), api_as(Role.ANALYST)
    assert [first.get("/users/me").status_code for _ in range(3)] == [200] * 3
    assert_problem(first.get("/users/me"), 429)
    assert second.get("/users/me").status_code == 200  # each token has its own budget


# --- audit -----------------------------------------------------------------------------------

def test_calls_are_audited_like_the_pages(app, caseworker, factories, agency) -> None:
    person = factories.applicant(agency=agency)
    caseworker.get(f"/applicants/{person.id}")
    caseworker.get(f"/cases/{person.cases[0].id}")
    caseworker.get("/applicants?nationality=RUS")
    caseworker.get("/applicants")  # an unfiltered list is not a search
    with app.app_context():
        events = db.session.execute(
            sa.select(AuditEvent.action, AuditEvent.object_id).where(
                AuditEvent.actor_id == caseworker.user.id).order_by(AuditEvent.id)).all()
    assert [e.action for e in events] == ["applicant.viewed", "case.viewed",
                                          "applicant.searched"]


# --- the token page and command ----------------------------------------------------------------

def test_token_page_shows_a_new_token_once_and_revokes(app, login_as) -> None:
    browser = login_as(Role.CASEWORKER)
    page = post_form(browser, "/account/tokens", {"name": "sync", "expires_days": "30"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    with app.app_context():
        token = db.session.execute(sa.select(ApiToken)).scalar_one()
        assert token.name == "sync" and token.expires_at is not None
    secret = html.split('id="new-token" class="form-control font-monospace" readonly value="'
                        )[1].split('"')[0]
    assert token_hash(secret) == token.token_hash
    api = ApiClient(app.test_client(), secret, browser.user)
    assert api.get("/users/me").status_code == 200
    assert secret not in browser.get("/account/tokens").get_data(as_text=True)
    response = browser.post("/account/tokens/revoke", data={
        "csrf_token": csrf_token(browser, "/account/tokens"), "token_id": str(token.id)})
    assert response.status_code == 302
    assert_problem(api.get("/users/me"), 401)


def test_nobody_revokes_another_users_token(app, login_as, factories) -> None:
    other = factories.user(Role.CASEWORKER)
    make_token(app, other)
    with app.app_context():
        token_id = db.session.execute(sa.select(ApiToken.id)).scalar_one()
    browser = login_as(Role.ADMIN)
    response = browser.post("/account/tokens/revoke", data={
        "csrf_token": csrf_token(browser, "/account/tokens"), "token_id": str(token_id)})
    assert response.status_code == 404


def test_cli_makes_a_token(app, runner, factories) -> None:
    user = factories.user(Role.SUPERVISOR)
    result = runner.invoke(args=["users", "token", user.username, "--expires-days", "7"])
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip().splitlines()[0]
    assert ApiClient(app.test_client(), secret, user).get("/users/me").json["role"] == (
        "supervisor")
    with app.app_context():
        token = db.session.execute(sa.select(ApiToken)).scalar_one()
        assert timedelta(days=6) < token.expires_at - utcnow() <= timedelta(days=7)
    unknown = runner.invoke(args=["users", "token", "nobody"])
    assert unknown.exit_code == 1
    assert "unknown user" in unknown.output
