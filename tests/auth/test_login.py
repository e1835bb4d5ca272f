"""Login, lockout, rate limit, CSRF, redirects and session invalidation."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from casemgr.audit.models import AuditEvent
from casemgr.auth.models import Role, User
from casemgr.database import utcnow
from casemgr.extensions import db
from tests.conftest import PASSWORD, csrf_token, log_in, post_form

HOME_PAGES = {
    Role.ADMIN: "/admin/users",
    Role.SUPERVISOR: "/",
    Role.CASEWORKER: "/",
    Role.LEGAL_AID: "/applicants",
    Role.ANALYST: "/statistics",
    Role.AUDITOR: "/admin/audit",
}


def failure_message(response) -> str:
    html = response.get_data(as_text=True)
    match = re.search(r'class="invalid-feedback" id="password-error">([^<]+)<', html)
    assert match, html
    return match.group(1)


def audit_actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.execute(sa.select(AuditEvent.action).order_by(AuditEvent.id))
                    .scalars())


@pytest.mark.parametrize("role", list(Role))
def test_each_role_lands_on_its_home_page(client, factories, role) -> None:
    user = factories.user(role)
    response = log_in(client, user.username)
    assert response.status_code == 302
    assert response.headers["Location"] == HOME_PAGES[role]
    assert client.get(HOME_PAGES[role]).status_code == 200


def test_username_is_case_insensitive(client, factories) -> None:
    user = factories.user()
    assert log_in(client, user.username.upper()).status_code == 302


def test_same_message_for_unknown_user_and_wrong_password(app, client, factories) -> None:
    user = factories.user()
    unknown = log_in(client, "nobody-here", PASSWORD)
    wrong = log_in(client, user.username, "wrong-password-123")
    assert unknown.status_code == wrong.status_code == 200
    assert failure_message(unknown) == failure_message(wrong)
    assert "Log in" in unknown.get_data(as_text=True)
    assert audit_actions(app)[-2:] == ["auth.login_failed", "auth.login_failed"]


@pytest.mark.parametrize("app_overrides", [{"LOCKOUT_THRESHOLD": 3, "LOCKOUT_MINUTES": 5}])
def test_failure_message_states_the_configured_lockout(client, factories) -> None:
    user = factories.user()
    message = failure_message(log_in(client, user.username, "wrong-password-123"))
    assert "After 3 failed attempts" in message
    assert "locked for 5 minutes" in message


def test_lockout_after_ten_failures_then_expiry(app, client, factories) -> None:
    user = factories.user()
    for _ in range(10):
        log_in(client, user.username, "wrong-password-123")
    locked = log_in(client, user.username)  # the right password no longer works
    assert locked.status_code == 200
    assert failure_message(locked) == failure_message(log_in(client, "nobody", "x" * 12))
    assert "auth.lockout" in audit_actions(app)
    with app.app_context():
        locked_until = db.session.get(User, user.id).locked_until
        assert locked_until - utcnow() > timedelta(minutes=14)
        db.session.execute(sa.update(User).where(User.id == user.id)
                           .values(locked_until=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert log_in(client, user.username).status_code == 302


def test_success_resets_failure_count(app, client, factories) -> None:
    user = factories.user()
    for _ in range(9):
        log_in(client, user.username, "wrong-password-123")
    assert log_in(client, user.username).status_code == 302
    with app.app_context():
        assert db.session.get(User, user.id).failed_logins == 0


@pytest.mark.parametrize("app_overrides", [{"LOGIN_RATE_LIMIT": "3 per minute"}])
def test_login_attempts_are_rate_limited_per_address(client) -> None:
    token = csrf_token(client)
    statuses = [client.post("/login", data={"username": "a", "password": "b",
                                            "csrf_token": token}).status_code
                for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert "Too many" in client.post("/login", data={"csrf_token": token}).get_data(as_text=True)
    assert client.get("/login").status_code == 200  # GET is not limited


def test_login_requires_csrf_token(client, factories) -> None:
    user = factories.user()
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302  # still anonymous


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/", "/\\evil.example", "http:/evil", "javascript:x",
])
def test_open_redirect_refused(client, factories, target) -> None:
    user = factories.user(Role.CASEWORKER)
    response = post_form(client, "/login", {"username": user.username, "password": PASSWORD,
                                            "next": target})
    assert response.headers["Location"] == "/"


def test_next_honoured_for_local_paths(client, factories) -> None:
    user = factories.user(Role.ADMIN)
    first = client.get("/admin/organisations")
    assert first.status_code == 302
    assert first.headers["Location"].startswith("/login?next=")
    page = client.get(first.headers["Location"]).get_data(as_text=True)
    assert 'value="/admin/organisations"' in page
    response = post_form(client, "/login", {"username": user.username, "password": PASSWORD,
                                            "next": "/admin/organisations"})
    assert response.headers["Location"] == "/admin/organisations"


def test_password_change_ends_other_sessions(app, factories) -> None:
    user = factories.user()
    laptop, phone = app.test_client(), app.test_client()
    log_in(laptop, user.username)
    log_in(phone, user.username)
    assert phone.get("/").status_code == 200
    response = post_form(laptop, "/account", {
        "current_password": PASSWORD, "new_password": "a-brand-new-passphrase",
        "confirm_password": "a-brand-new-passphrase"})
    assert response.status_code == 302
    assert laptop.get("/").status_code == 200  # this session continues
    assert phone.get("/").status_code == 302  # the other one has ended
    assert "auth.password_changed" in audit_actions(app)
    fresh = app.test_client()
    assert log_in(fresh, user.username).status_code == 200  # old password refused
    assert log_in(fresh, user.username, "a-brand-new-passphrase").status_code == 302


def test_password_change_form_errors(login_as) -> None:
    client = login_as(Role.CASEWORKER)
    response = post_form(client, "/account", {
        "current_password": "not-my-password", "new_password": "short",
        "confirm_password": "different"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "The passwords do not match." in html
    response = post_form(client, "/account", {
        "current_password": "not-my-password", "new_password": "short",
        "confirm_password": "short"})
    html = response.get_data(as_text=True)
    assert "The current password is wrong." in html


def test_deactivation_ends_sessions(app, factories, login_as) -> None:
    admin = login_as(Role.ADMIN)
    worker = login_as(Role.CASEWORKER)
    assert worker.get("/").status_code == 200
    response = post_form(admin, f"/admin/users/{worker.user.id}/active",
                         page=f"/admin/users/{worker.user.id}")
    assert response.status_code == 302
    assert worker.get("/").status_code == 302
    assert log_in(app.test_client(), worker.user.username).status_code == 200


def test_logout_is_a_post_and_is_audited(app, login_as) -> None:
    client = login_as(Role.CASEWORKER)
    assert client.get("/logout").status_code == 405
    response = post_form(client, "/logout", page="/")
    assert response.headers["Location"] == "/login"
    assert client.get("/").status_code == 302
    assert audit_actions(app)[-1] == "auth.logout"


def test_passwords_are_stored_as_scrypt_hashes(app, factories) -> None:
    user = factories.user()
    with app.app_context():
        stored = db.session.get(User, user.id).password_hash
    assert stored.startswith("scrypt:")
    assert PASSWORD not in stored


def test_anonymous_requests_redirect_to_login(client) -> None:
    response = client.get("/admin/users?role=admin")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Fadmin%2Fusers%3Frole%3Dadmin"


def test_logged_in_user_visiting_login_goes_home(login_as) -> None:
    client = login_as(Role.AUDITOR)
    assert client.get("/login").headers["Location"] == "/admin/audit"
