"""Request bodies are small except where a file is uploaded (imports)."""

from __future__ import annotations

import io

from casemgr.auth.models import Role
from tests.conftest import csrf_token


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
