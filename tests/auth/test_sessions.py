"""Browser sessions end when idle or too old, and a user can end all of theirs at once."""

from __future__ import annotations

import time

import pytest

from casemgr.auth.models import Role
from tests.auth.test_login import audit_actions
from tests.conftest import log_in, post_form


def shift_session(client, **seconds_ago: int) -> None:
    """Pretend the session's clocks were set `seconds_ago` (started_at / seen_at)."""
    with client.session_transaction() as session:
        for key, ago in seconds_ago.items():
            session[key] = int(time.time()) - ago


def test_login_starts_both_clocks(login_as) -> None:
    client = login_as(Role.CASEWORKER)
    with client.session_transaction() as session:
        assert abs(session["started_at"] - time.time()) < 60
        assert session["seen_at"] >= session["started_at"]


def test_an_idle_session_ends_and_is_audited(app, login_as) -> None:
    client = login_as(Role.CASEWORKER)
    shift_session(client, seen_at=31 * 60)
    response = client.get("/applicants")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    page = client.get("/login").get_data(as_text=True)
    assert "Your session ended" in page
    assert "auth.session_expired" in audit_actions(app)
    assert client.get("/").status_code == 302  # stays logged out


def test_activity_keeps_a_session_alive(login_as) -> None:
    client = login_as(Role.CASEWORKER)
    shift_session(client, seen_at=29 * 60)
    assert client.get("/applicants").status_code == 200
    with client.session_transaction() as session:
        assert time.time() - session["seen_at"] < 60  # the request counted as activity


def test_a_session_ends_at_its_maximum_age_however_active(login_as) -> None:
    client = login_as(Role.CASEWORKER)
    shift_session(client, started_at=12 * 3600 + 60, seen_at=10)
    assert client.get("/applicants").status_code == 302


@pytest.mark.parametrize("app_overrides", [{"SESSION_IDLE_MINUTES": 5}])
def test_the_idle_limit_is_a_setting(login_as) -> None:
    client = login_as(Role.CASEWORKER)
    shift_session(client, seen_at=6 * 60)
    assert client.get("/applicants").status_code == 302


def test_public_pages_still_answer_after_expiry(login_as) -> None:
    client = login_as(Role.CASEWORKER)
    shift_session(client, seen_at=31 * 60)
    assert client.get("/login").status_code == 200


def test_log_out_everywhere_ends_every_session(app, factories) -> None:
    user = factories.user()
    laptop, phone = app.test_client(), app.test_client()
    log_in(laptop, user.username)
    log_in(phone, user.username)
    assert "Log out everywhere" in laptop.get("/account").get_data(as_text=True)
    response = post_form(laptop, "/account/logout-everywhere", page="/account")
    assert response.status_code == 302
    assert laptop.get("/").status_code == 302
    assert phone.get("/").status_code == 302
    assert "auth.logout_everywhere" in audit_actions(app)
    assert log_in(app.test_client(), user.username).status_code == 302  # may log in again
