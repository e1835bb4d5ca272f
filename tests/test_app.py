"""The application factory, configuration sources, headers, cookies and error pages."""

from __future__ import annotations

import gc
import os
import stat
from pathlib import Path

import pytest

from casemgr import ROOT, create_app, resource_path
from casemgr.config import SETTINGS
from tests.conftest import gunicorn_settings, log_in, make_app


def test_paths_are_explicit_and_independent_of_the_working_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CASEMGR_INSTANCE_PATH", str(tmp_path / "inst"))
    app = create_app({"DATABASE_URL": "sqlite://"})
    assert Path(app.template_folder) == ROOT / "templates"
    assert Path(app.instance_path) == tmp_path / "inst"
    assert Path(app.extensions["migrate"].directory) == ROOT / "migrations"
    assert resource_path("migrations") == ROOT / "migrations"


def test_default_database_is_sqlite_in_the_instance_folder(tmp_path: Path) -> None:
    app = make_app({}, tmp_path)
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'casemgr.sqlite3'}"


def test_sources_in_order_defaults_instance_file_environment_overrides(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "config.py").write_text(
        "LOCKOUT_MINUTES = 30\nCASEMGR_TIMEZONE = 'Asia/Seoul'\nPUBLIC_STATISTICS = False\n")
    monkeypatch.setenv("CASEMGR_LOCKOUT_MINUTES", "45")
    monkeypatch.setenv("CASEMGR_SESSION_COOKIE_SECURE", "1")
    app = make_app({}, tmp_path, PUBLIC_STATISTICS=True)
    assert app.config["TIMEZONE"] == "Asia/Seoul"  # instance file
    assert app.config["LOCKOUT_MINUTES"] == 45  # environment beats the file
    assert app.config["SESSION_COOKIE_SECURE"] is True  # parsed from "1"
    assert app.config["PUBLIC_STATISTICS"] is True  # create_app override beats everything
    assert app.config["LOGIN_RATE_LIMIT"] == "20 per minute;200 per hour"  # default


def test_database_url_override_feeds_sqlalchemy(tmp_path: Path) -> None:
    app = make_app({"DATABASE_URL": "sqlite:///elsewhere.sqlite3"}, tmp_path)
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite:///elsewhere.sqlite3"


def test_secret_key_is_generated_once_with_private_mode(tmp_path: Path) -> None:
    os.environ["CASEMGR_INSTANCE_PATH"] = str(tmp_path)
    try:
        first = create_app({"DATABASE_URL": "sqlite://"}).config["SECRET_KEY"]
        second = create_app({"DATABASE_URL": "sqlite://"}).config["SECRET_KEY"]
    finally:
        del os.environ["CASEMGR_INSTANCE_PATH"]
    key_file = tmp_path / "secret_key"
    assert first == second == key_file.read_text()
    assert len(first) == 64
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]  # no draft left behind


def test_readme_documents_every_setting() -> None:
    readme = (ROOT / "README.md").read_text()
    for setting in SETTINGS:
        assert f"CASEMGR_{setting.name}" in readme, setting.name
    assert "make run" in readme
    assert "make test" in readme


def test_security_headers_on_every_page(client) -> None:
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"


def test_pages_have_no_inline_scripts_or_styles(client) -> None:
    html = client.get("/login").get_data(as_text=True)
    assert "<script>" not in html
    assert "style=" not in html
    assert 'src="/bootstrap/static/' in html  # Bootstrap served from the package, no CDN
    assert "cdn" not in html.lower()


def test_bootstrap_assets_are_served_locally(client) -> None:
    response = client.get("/bootstrap/static/css/bootstrap.min.css")
    assert response.status_code == 200
    assert b".btn" in response.data


def session_cookie(response) -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie")
               if c.startswith("casemgr_session=")]
    assert len(cookies) == 1
    return cookies[0]


def test_session_cookie_flags(client, factories) -> None:
    user = factories.user()
    cookie = session_cookie(log_in(client, user.username))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie


@pytest.mark.parametrize("app_overrides", [{"SESSION_COOKIE_SECURE": True}])
def test_session_cookie_secure_when_configured(client, factories) -> None:
    user = factories.user()
    assert "Secure" in session_cookie(log_in(client, user.username))


def test_404_page_for_unknown_url(login_as) -> None:
    client = login_as("caseworker")
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Not found" in response.get_data(as_text=True)


@pytest.mark.parametrize("app_overrides", [{"PROPAGATE_EXCEPTIONS": False}])
def test_500_page_shows_no_traceback(app, login_as) -> None:
    @app.route("/boom")
    def boom():
        raise RuntimeError("secret internals")

    client = login_as("caseworker")
    response = client.get("/boom")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong" in body
    assert "Traceback" not in body
    assert "secret internals" not in body


def test_405_page(login_as) -> None:
    client = login_as("caseworker")
    response = client.get("/logout")
    assert response.status_code == 405
    assert "Method not allowed" in response.get_data(as_text=True)


def test_healthz_answers_without_login_and_says_nothing_else(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_reports_an_unreachable_database(tmp_path) -> None:
    broken = make_app({"DATABASE_URL": f"sqlite:///{tmp_path}/missing/dir/db.sqlite3"},
                      tmp_path / "instance")
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "unavailable"}


def test_the_gunicorn_settings_load_and_keep_searches_out_of_the_log() -> None:
    settings = gunicorn_settings()
    assert settings["workers"] >= 3
    assert str(settings["bind"]).startswith("127.0.0.1:")
    assert "%(U)s" in str(settings["access_log_format"])  # the path without its query
    assert "%(r)s" not in str(settings["access_log_format"])


def test_each_gunicorn_worker_leaves_its_start_up_out_of_garbage_collection() -> None:
    settings = gunicorn_settings()
    threshold = gc.get_threshold()
    try:
        settings["post_worker_init"](None)
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold()[0] == 5000
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
