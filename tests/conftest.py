"""Fixtures: a migrated database per test session (SQLite, or PostgreSQL when
CASEMGR_TEST_DATABASE_URL is set), emptied after every test; an app per test; clients that
log in through the real form with CSRF on."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from jinja2.bccache import Bucket, BytecodeCache

from casemgr import ROOT, create_app
from casemgr.auth import passwords
from casemgr.auth.models import Role
from casemgr.extensions import db
from tests.factories import PASSWORD, Factories

CSRF_PATTERN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                          r'name="csrf_token" value="([^"]+)"')


def postgres_url() -> str | None:
    return os.environ.get("CASEMGR_TEST_DATABASE_URL") or None


def create_test_schema(engine: sa.Engine, schema: str) -> None:
    """A schema of this run's own, and pg_trgm (migration 0011) in `public` for all runs:
    a migration would install it into the run's schema (first on its search path), and
    dropping that schema afterwards would take the extension from under concurrent runs."""
    with engine.begin() as connection:
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(8011001)"))
        connection.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public"))
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashing() -> Iterator[None]:
    """scrypt at a low cost: the algorithm is the same, the suite is minutes faster."""
    original = passwords.HASH_METHOD
    passwords.HASH_METHOD = "scrypt:1024:8:1"
    yield
    passwords.HASH_METHOD = original


@pytest.fixture(scope="session")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Settings for a fresh, migrated database that lives as long as the test session.

    On PostgreSQL the session gets its own schema, so runs never see each other's rows.
    """
    url = postgres_url()
    settings: dict[str, Any]
    schema = None
    if url:
        schema = f"casemgr_test_{uuid.uuid4().hex[:10]}"
        engine = sa.create_engine(url)
        create_test_schema(engine, schema)
        engine.dispose()
        settings = {"DATABASE_URL": url, "SQLALCHEMY_ENGINE_OPTIONS": {
            "connect_args": {"options": f"-c search_path={schema}"}, "pool_pre_ping": True}}
    else:
        path = tmp_path_factory.mktemp("db") / "casemgr-test.sqlite3"
        settings = {"DATABASE_URL": f"sqlite:///{path}"}
    app = make_app(settings, tmp_path_factory.mktemp("instance"))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    yield settings
    if url and schema:
        engine = sa.create_engine(url)
        with engine.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


class _SharedBytecodeCache(BytecodeCache):
    """Compiled templates shared by the many apps of a test run (compiling is the slow part)."""

    def __init__(self) -> None:
        self.store: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self.store:
            bucket.bytecode_from_string(self.store[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.store[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CACHE = _SharedBytecodeCache()


def make_app(settings: dict[str, Any], instance: Path, **overrides: Any) -> Flask:
    os.environ["CASEMGR_INSTANCE_PATH"] = str(instance)
    try:
        application = create_app({
            "SECRET_KEY": "test-secret-key",
            "TESTING": True,
            "RATELIMIT_STORAGE_URL": "memory://",
            # Two-factor login has its own tests (tests/auth/test_two_factor.py); elsewhere
            # admins and supervisors log in with a password alone.
            "TWO_FACTOR_ROLES": "",
            **settings,
            **overrides,
        })
    finally:
        del os.environ["CASEMGR_INSTANCE_PATH"]
    application.jinja_env.bytecode_cache = TEMPLATE_CACHE
    return application


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    """Override in a test module (or parametrize) to change settings for its app."""
    return {}


@pytest.fixture
def app(database: dict[str, Any], tmp_path: Path, app_overrides: dict[str, Any]
        ) -> Iterator[Flask]:
    application = make_app(database, tmp_path / "instance", **app_overrides)
    yield application
    with application.app_context():
        db.session.remove()
        empty_all_tables()
        db.engine.dispose()


def index_definitions(connection: sa.Connection, table: str) -> list[tuple]:
    """A table's indexes as the database reports them, comparable: name, columns,
    uniqueness and dialect options (a partial index's condition as text)."""
    return sorted((index["name"], tuple(index["column_names"]), bool(index["unique"]),
                   repr({key: str(value) for key, value in
                         index.get("dialect_options", {}).items()}))
                  for index in sa.inspect(connection).get_indexes(table))


def empty_all_tables() -> None:
    tables = list(reversed(db.metadata.sorted_tables))
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            connection.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(table.delete())


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


@pytest.fixture
def factories(app: Flask) -> Factories:
    """Make records in the database through the services (committed)."""
    return Factories(app)


def gunicorn_settings() -> dict[str, Any]:
    """The names gunicorn.conf.py defines, as gunicorn reads them (with the environment as
    it is when called)."""
    settings: dict[str, Any] = {}
    exec(compile((ROOT / "gunicorn.conf.py").read_text(), "gunicorn.conf.py", "exec"),  # noqa: S102
         settings)
    return settings


def csrf_token(client: FlaskClient, page: str = "/login") -> str:
    """The CSRF token as a form on `page` carries it (tests run with CSRF on)."""
    html = client.get(page).get_data(as_text=True)
    match = CSRF_PATTERN.search(html)
    assert match, f"no csrf_token on {page}"
    return match.group(1) or match.group(2)


def post_form(client: FlaskClient, url: str, data: dict[str, Any] | None = None,
              page: str | None = None, **kwargs: Any) -> Any:
    """POST like a browser: with the CSRF token of the page the form is on."""
    token = csrf_token(client, page or url)
    return client.post(url, data={**(data or {}), "csrf_token": token}, **kwargs)


def log_in(client: FlaskClient, username: str, password: str = PASSWORD) -> Any:
    return post_form(client, "/login", {"username": username, "password": password})


@pytest.fixture
def login_as(app: Flask, factories: Factories) -> Callable[..., Any]:
    """Create a user with the given role and log a fresh client in as them."""

    def _login(role: Role | str, **user_fields: Any) -> Any:
        user = factories.user(role=Role(role), **user_fields)
        test_client = app.test_client()
        response = log_in(test_client, user.username)
        assert response.status_code == 302, response.get_data(as_text=True)
        test_client.user = user
        return test_client

    return _login


@pytest.fixture
def fresh_database(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """Settings of a database of this test alone (an SQLite file, or a PostgreSQL schema
    dropped afterwards), for tests that migrate it up and down."""
    url = postgres_url()
    if not url:
        yield {"DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}"}
        return
    schema = f"casemgr_fresh_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(url)
    create_test_schema(engine, schema)
    yield {"DATABASE_URL": url, "SQLALCHEMY_ENGINE_OPTIONS": {
        "connect_args": {"options": f"-c search_path={schema}"}}}
    with engine.begin() as connection:
        connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()
