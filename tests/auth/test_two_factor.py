"""Two-factor login: enrolment with a locally drawn QR code, the code after the password,
one-time recovery codes, lockout and rate limit like the password, and roles that must."""

from __future__ import annotations

import re

import pyotp
import pytest
import sqlalchemy as sa

from casemgr.auth.models import RecoveryCode, Role, User
from casemgr.extensions import db
from tests.auth.test_login import audit_actions
from tests.conftest import PASSWORD, csrf_token, log_in, post_form

SECRET = re.compile(r'<code class="user-select-all">([A-Z2-7]+)</code>')
CODES = re.compile(r"<li><code>([0-9A-F]{5}-[0-9A-F]{5})</code></li>")


def enrol(client) -> tuple[str, list[str]]:
    """Turn two-factor login on as the app would: returns the secret and recovery codes."""
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page  # the QR code, drawn here, fetched from nowhere
    secret = SECRET.search(page).group(1)
    response = post_form(client, "/account/two-factor", {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 200
    codes = CODES.findall(response.get_data(as_text=True))
    assert len(codes) == 10
    return secret, codes


def fresh_code(app, user_id: int, secret: str) -> str:
    """The app's current code, as if the user waited for the next one: codes work once,
    so the step used at enrolment (or by the last login) is forgotten first."""
    with app.app_context():
        db.session.get(User, user_id).totp_last_step = None
        db.session.commit()
    return pyotp.TOTP(secret).now()


def password_step(client, username: str):
    return client.post("/login", data={"username": username, "password": PASSWORD,
                                       "csrf_token": csrf_token(client)})


def test_enrolment_then_login_asks_for_the_code(app, login_as, factories) -> None:
    client = login_as(Role.CASEWORKER)
    secret, _codes = enrol(client)
    with app.app_context():
        user = db.session.get(User, client.user.id)
        assert user.totp_secret == secret and user.two_factor_enabled
        hashes = db.session.execute(sa.select(RecoveryCode.code_hash)).scalars().all()
    assert len(hashes) == 10 and all(len(h) == 64 for h in hashes)  # only hashes are kept
    browser = app.test_client()
    response = password_step(browser, client.user.username)
    assert response.headers["Location"] == "/login/code"
    assert browser.get("/").status_code == 302  # not logged in yet
    response = post_form(browser, "/login/code", {"code": fresh_code(app, client.user.id, secret)})
    assert response.status_code == 302
    assert browser.get("/").status_code == 200
    assert "auth.two_factor_enabled" in audit_actions(app)


def test_a_wrong_code_fails_and_counts_towards_the_lockout(app, login_as) -> None:
    client = login_as(Role.CASEWORKER)
    enrol(client)
    browser = app.test_client()
    password_step(browser, client.user.username)
    for _ in range(10):
        response = post_form(browser, "/login/code", {"code": "000000"})
        assert response.status_code == 200
        assert "That code is not right" in response.get_data(as_text=True)
    with app.app_context():
        user = db.session.get(User, client.user.id)
        assert user.locked_until is not None
    assert "auth.lockout" in audit_actions(app)


def test_a_code_works_only_once(app, login_as) -> None:
    client = login_as(Role.CASEWORKER)
    secret, _codes = enrol(client)
    code = fresh_code(app, client.user.id, secret)
    first, second = app.test_client(), app.test_client()
    password_step(first, client.user.username)
    assert post_form(first, "/login/code", {"code": code}).status_code == 302
    password_step(second, client.user.username)
    assert post_form(second, "/login/code", {"code": code}).status_code == 200  # replay


def test_a_recovery_code_works_once(app, login_as) -> None:
    client = login_as(Role.CASEWORKER)
    _secret, codes = enrol(client)
    first, second = app.test_client(), app.test_client()
    password_step(first, client.user.username)
    assert post_form(first, "/login/code", {"code": codes[3].lower()}).status_code == 302
    password_step(second, client.user.username)
    assert post_form(second, "/login/code", {"code": codes[3]}).status_code == 200
    assert "auth.recovery_code_used" in audit_actions(app)


def test_the_code_may_come_with_the_password(app, login_as) -> None:
    client = login_as(Role.CASEWORKER)
    secret, _codes = enrol(client)
    browser = app.test_client()
    response = browser.post("/login", data={
        "username": client.user.username, "password": PASSWORD,
        "totp": fresh_code(app, client.user.id, secret), "csrf_token": csrf_token(browser)})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    wrong = app.test_client()
    response = wrong.post("/login", data={
        "username": client.user.username, "password": PASSWORD, "totp": "123456",
        "csrf_token": csrf_token(wrong)})
    assert response.status_code == 200
    assert "Login failed" in response.get_data(as_text=True)


def test_the_code_step_expires_and_cannot_be_reached_directly(app, login_as) -> None:
    browser = app.test_client()
    response = browser.get("/login/code")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    client = login_as(Role.CASEWORKER)
    enrol(client)
    password_step(browser, client.user.username)
    with browser.session_transaction() as session:
        pending = session["two_factor"]
        session["two_factor"] = {**pending, "at": pending["at"] - 301}
    response = post_form(browser, "/login/code", {"code": "000000"}, page="/login")
    assert response.headers["Location"] == "/login"


@pytest.mark.parametrize("app_overrides", [{"TWO_FACTOR_ROLES": "admin,supervisor",
                                            "LOGIN_RATE_LIMIT": "3 per minute"}])
def test_required_roles_must_enrol_and_the_code_step_is_rate_limited(app, factories) -> None:
    admin = factories.user(Role.ADMIN)
    browser = app.test_client()
    assert log_in(browser, admin.username).status_code == 302
    response = browser.get("/admin/users")
    assert response.status_code == 302 and response.headers["Location"] == "/account/two-factor"
    secret, _codes = enrol(browser)
    assert browser.get("/admin/users").status_code == 200
    # a required role cannot turn it off
    post_form(browser, "/account/two-factor/disable", {"code": fresh_code(app, admin.id, secret)},
              page="/account/two-factor")
    with app.app_context():
        assert db.session.get(User, admin.id).two_factor_enabled
    other = app.test_client()
    password_step(other, admin.username)
    statuses = [post_form(other, "/login/code", {"code": "000000"}, page="/login").status_code
                for _ in range(4)]
    assert 429 in statuses


def test_optional_roles_turn_it_off_with_a_code(app, login_as) -> None:
    client = login_as(Role.CASEWORKER)
    secret, _codes = enrol(client)
    post_form(client, "/account/two-factor/disable", {"code": "000000"},
              page="/account/two-factor")
    with app.app_context():
        assert db.session.get(User, client.user.id).two_factor_enabled
    code = fresh_code(app, client.user.id, secret)
    post_form(client, "/account/two-factor/disable", {"code": code}, page="/account/two-factor")
    with app.app_context():
        user = db.session.get(User, client.user.id)
        assert not user.two_factor_enabled and user.totp_secret is None
    assert "auth.two_factor_disabled" in audit_actions(app)


def test_new_recovery_codes_replace_the_old(app, login_as) -> None:
    client = login_as(Role.CASEWORKER)
    _secret, old = enrol(client)
    response = post_form(client, "/account/two-factor/recovery-codes",
                         page="/account/two-factor")
    new = CODES.findall(response.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    browser = app.test_client()
    password_step(browser, client.user.username)
    assert post_form(browser, "/login/code", {"code": old[0]}).status_code == 200
    assert post_form(browser, "/login/code", {"code": new[0]}).status_code == 302


def test_a_wrong_enrolment_code_is_refused(login_as) -> None:
    client = login_as(Role.CASEWORKER)
    client.get("/account/two-factor")
    response = post_form(client, "/account/two-factor", {"code": "000000"})
    assert response.status_code == 200
    assert "That code does not match" in response.get_data(as_text=True)


def test_an_admin_resets_a_users_two_factor_login(app, login_as) -> None:
    client = login_as(Role.CASEWORKER)
    enrol(client)
    admin = login_as(Role.ADMIN)
    page = admin.get(f"/admin/users/{client.user.id}").get_data(as_text=True)
    assert "Reset two-factor login" in page
    response = post_form(admin, f"/admin/users/{client.user.id}/two-factor/reset",
                         page=f"/admin/users/{client.user.id}")
    assert response.status_code == 302
    with app.app_context():
        user = db.session.get(User, client.user.id)
        assert not user.two_factor_enabled
        assert db.session.execute(sa.select(sa.func.count()).select_from(RecoveryCode)
                                  ).scalar_one() == 0
    assert client.get("/").status_code == 302  # their sessions ended
    assert log_in(app.test_client(), client.user.username).status_code == 302  # password only
