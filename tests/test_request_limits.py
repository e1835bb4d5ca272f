"""Request bodies are small except where a file is uploaded (imports)."""

from __future__ import annotations

import io
import sqlite3

import pytest

from casemgr.auth.models import Role
from tests.api.conftest import make_token
from tests.conftest import csrf_token, post_form


def test_an_oversized_form_is_refused_with_413_and_no_traceback(client) -> None:
    token = csrf_token(client)
    response = client.post("/login", data={"username": "x" * 200_000, "password": "p",
                                           "csrf_token": token})
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "larger than allowed" in page
    assert "Traceback" not in page


def test_a_form_under_the_limit_is_read(client) -> None:
    token = csrf_token(client)
    response = client.post("/login", data={"username": "x" * 50_000, "password": "p",
                                           "csrf_token": token})
    assert response.status_code == 200  # read, and answered with the field's message
    assert "Field cannot be longer than 64 characters." in response.get_data(as_text=True)


def test_the_import_upload_takes_files_over_the_form_limit(login_as) -> None:
    client = login_as(Role.CASEWORKER)
    token = csrf_token(client, "/applicants/import")
    big = b"family_name,given_names\n" + b"A,B\n" * 60_000  # 240 KB
    response = client.post("/applicants/import", data={
        "csrf_token": token, "file": (io.BytesIO(big), "people.csv")},
        content_type="multipart/form-data")
    assert response.status_code != 413


def test_a_malformed_session_cookie_is_an_anonymous_visitor(client) -> None:
    client.set_cookie("casemgr_session", "not-a-signed-session.%%%")
    response = client.get("/applicants")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert client.get("/login").status_code == 200


def test_the_api_answers_malformed_input_with_problem_documents(client) -> None:
    client.set_cookie("casemgr_session", "garbage")
    response = client.get("/api/v1/users/me", headers={"Authorization": "Bearer \x7fnope"})
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    response = client.post("/api/v1/needs", data=b"x" * 200_000,
                           headers={"Authorization": "Bearer nope",
                                    "Content-Type": "application/json"})
    assert response.status_code in {401, 413}
    assert response.mimetype == "application/problem+json"


def test_an_oversized_api_body_is_413_as_a_problem_document(app, client, factories) -> None:
    token = make_token(app, factories.user(Role.CASEWORKER))
    response = client.post("/api/v1/needs", data=b'{"note": "' + b"x" * 200_000 + b'"}',
                           headers={"Authorization": f"Bearer {token}",
                                    "Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"


def test_a_write_behind_a_long_sqlite_write_gets_503_not_500(app, login_as) -> None:
    """Another process (an import) holds SQLite's write lock longer than the busy timeout:
    the page says the database is busy and to come back; nothing is half-saved."""
    if app.config["DATABASE_URL"].startswith("postgresql"):
        pytest.skip("SQLite's single writer lock only")
    client = login_as(Role.CASEWORKER)
    page = client.get("/account")
    path = app.config["DATABASE_URL"].removeprefix("sqlite:///")
    holder = sqlite3.connect(path, timeout=1)
    try:
        holder.execute("BEGIN IMMEDIATE")
        response = post_form(client, "/account/language", {"language": "ko"}, page="/account")
    finally:
        holder.rollback()
        holder.close()
    assert page.status_code == 200
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "60"
    assert "The database is busy" in response.get_data(as_text=True)
    assert client.get("/account").status_code == 200
