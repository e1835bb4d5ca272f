"""API fixtures: tokens made through the token service, and a client that sends one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from casemgr.api import tokens
from casemgr.auth.models import Role, User
from casemgr.extensions import db
from tests.test_permissions import world  # noqa: F401 - the records of the role matrix


class ApiClient:
    """A test client that sends `Authorization: Bearer <token>` (or none) on every call."""

    def __init__(self, client: FlaskClient, token: str | None, user: User | None) -> None:
        self.client = client
        self.token = token
        self.user = user

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get("/api/v1" + path, headers=self.headers(), **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self.client.post("/api/v1" + path, json=json, headers=self.headers(), **kwargs)

    def patch(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self.client.patch("/api/v1" + path, json=json, headers=self.headers(), **kwargs)


def make_token(app: Flask, user: User, **options: Any) -> str:
    with app.app_context():
        made = tokens.create_token(db.session, db.session.get_one(User, user.id), actor=None,
                                   **options)
        db.session.commit()
        return made.secret


@pytest.fixture
def api_as(app: Flask, factories: Any) -> Callable[..., ApiClient]:
    """A user of the role (fields as for factories.user) with a fresh token."""

    def _api(role: Role | str | None, **user_fields: Any) -> ApiClient:
        if role is None:
            return ApiClient(app.test_client(), None, None)
        user = factories.user(role=Role(role), **user_fields)
        return ApiClient(app.test_client(), make_token(app, user), user)

    return _api
