"""Logs: one JSON object per line (or a text line) on stdout, each request with an id that
is returned in X-Request-ID and carried by every record logged during the request; no query
strings, names or passwords."""

from __future__ import annotations

import json
import logging
import os
from typing import Any

import pytest

from casemgr.logs import SAFE_REQUEST_ID, JsonFormatter
from tests.conftest import gunicorn_settings, log_in, make_app
from tests.factories import PASSWORD


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    return {"LOG_FORMAT": "json"}


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def request_lines(text: str) -> list[dict[str, Any]]:
    return [line for line in json_lines(text) if line["logger"] == "casemgr.request"]


def test_each_request_is_one_json_line_with_its_id(client, capsys) -> None:
    capsys.readouterr()
    response = client.get("/login?next=/applicants%3Fq%3DIVANOV")
    lines = request_lines(capsys.readouterr().out)
    assert len(lines) == 1
    line = lines[0]
    assert line["request_id"] == response.headers["X-Request-ID"]
    assert len(line["request_id"]) == 32
    assert line["level"] == "INFO"
    assert line["time"].endswith("Z")
    assert line["method"] == "GET"
    assert line["path"] == "/login"  # the query string (names searched for) is left out
    assert line["status"] == 200
    assert line["duration_ms"] >= 0
    assert line["user_id"] is None
    assert "IVANOV" not in json.dumps(line)


def test_requests_get_different_ids(client) -> None:
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]
    assert first != second


@pytest.mark.parametrize("given", ["5f0c7c1e-4b7e-4e47-9c1d-2b1e0c9d8a77", "abc123", "Root=1-67"])
def test_a_well_formed_id_from_the_proxy_is_kept(client, given) -> None:
    assert client.get("/healthz", headers={"X-Request-ID": given}).headers[
        "X-Request-ID"] == given


@pytest.mark.parametrize("given", ["", "a b", "<script>", "x" * 129, "-leading-dash",
                                   'quote"d', "ünïcode"])
def test_a_malformed_id_is_replaced(client, given) -> None:
    returned = client.get("/healthz", headers={"X-Request-ID": given}).headers["X-Request-ID"]
    assert returned != given
    assert SAFE_REQUEST_ID.match(returned)


def test_records_logged_during_a_request_carry_its_id(app, client, capsys) -> None:
    @app.before_request
    def note() -> None:
        logging.getLogger("casemgr.example").warning("something worth noting")

    capsys.readouterr()
    response = client.get("/login", headers={"X-Request-ID": "req-42"})
    lines = json_lines(capsys.readouterr().out)
    noted = next(line for line in lines if line["logger"] == "casemgr.example")
    assert noted["request_id"] == "req-42" == response.headers["X-Request-ID"]
    assert noted["level"] == "WARNING"
    assert noted["message"] == "something worth noting"
    assert noted["path"] == "/login"


def test_the_user_is_logged_by_id_never_by_name_or_password(factories, client, capsys) -> None:
    user = factories.user(username="logged.person", full_name="Maria Example")
    log_in(client, user.username)
    capsys.readouterr()
    client.get("/account")
    output = capsys.readouterr().out
    line = request_lines(output)[-1]
    assert line["user_id"] == user.id
    assert line["path"] == "/account"
    for secret in ("logged.person", "Maria Example", PASSWORD):
        assert secret not in output


def test_a_login_post_logs_no_password(factories, client, capsys) -> None:
    user = factories.user()
    capsys.readouterr()
    log_in(client, user.username)
    output = capsys.readouterr().out
    assert PASSWORD not in output
    assert user.username not in output
    assert any(line["method"] == "POST" and line["status"] == 302
               for line in request_lines(output))


def test_a_secret_in_the_path_is_logged_as_the_route(factories, client, capsys) -> None:
    token = factories.calendar_feed(factories.user())
    capsys.readouterr()
    assert client.get(f"/hearings/calendar/{token}.ics").status_code == 200
    output = capsys.readouterr().out
    assert token not in output
    assert request_lines(output)[-1]["path"] == "/hearings/calendar/<token>.ics"


def test_errors_are_logged_with_the_request_id(app, client, capsys) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: a 500 page, and a log

    @app.before_request
    def fail() -> None:
        raise RuntimeError("boom")

    capsys.readouterr()
    response = client.get("/login", headers={"X-Request-ID": "err-1"})
    assert response.status_code == 500
    lines = json_lines(capsys.readouterr().out)
    error = next(line for line in lines if line["level"] == "ERROR")
    assert error["request_id"] == "err-1"
    assert "RuntimeError: boom" in error["exc_info"]
    assert [line["status"] for line in lines if line["logger"] == "casemgr.request"] == [500]


def test_text_format_is_one_readable_line_with_the_id(database, tmp_path, capsys) -> None:
    text_app = make_app(database, tmp_path / "instance", LOG_FORMAT="text")
    capsys.readouterr()
    response = text_app.test_client().get("/login?q=IVANOV")
    output = capsys.readouterr().out
    line = next(line for line in output.splitlines() if "casemgr.request" in line)
    assert f"[{response.headers['X-Request-ID']}]" in line
    assert "INFO casemgr.request" in line
    assert line.endswith("GET /login 200")
    assert "IVANOV" not in output


def test_unknown_log_format_or_level_is_refused(tmp_path) -> None:
    with pytest.raises(ValueError, match="log format"):
        make_app({"DATABASE_URL": "sqlite://"}, tmp_path, LOG_FORMAT="xml")
    with pytest.raises(ValueError, match="log level"):
        make_app({"DATABASE_URL": "sqlite://"}, tmp_path, LOG_LEVEL="LOUD")


def test_gunicorn_logs_json_by_default(monkeypatch) -> None:
    monkeypatch.delenv("CASEMGR_LOG_FORMAT", raising=False)
    settings = gunicorn_settings()
    assert os.environ["CASEMGR_LOG_FORMAT"] == "json"  # the workers' apps log JSON
    assert settings["accesslog"] is None  # the app logs each request itself, with its id
    # gunicorn logs access lines whenever logconfig_dict is set: its logger drops them
    assert settings["logconfig_dict"]["loggers"]["gunicorn.access"]["level"] == "WARNING"
    formatter = settings["logconfig_dict"]["formatters"]["json"]["()"]
    assert formatter == "casemgr.logs.JsonFormatter"
    record = logging.LogRecord("gunicorn.error", logging.INFO, __file__, 1,
                               "Booting worker with pid: %s", (42,), None)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "Booting worker with pid: 42"
    assert line["logger"] == "gunicorn.error"


def test_gunicorn_keeps_text_logs_when_asked(monkeypatch) -> None:
    monkeypatch.setenv("CASEMGR_LOG_FORMAT", "text")
    settings = gunicorn_settings()
    assert "logconfig_dict" not in settings


def test_gunicorn_control_socket_is_off_unless_a_path_is_given(monkeypatch) -> None:
    """Two instances on one host must not share gunicorn's per-user default socket."""
    monkeypatch.delenv("GUNICORN_CONTROL_SOCKET", raising=False)
    settings = gunicorn_settings()
    assert settings["control_socket_disable"] is True
    monkeypatch.setenv("GUNICORN_CONTROL_SOCKET", "/run/casemgr/a.ctl")
    settings = gunicorn_settings()
    assert settings["control_socket_disable"] is False
    assert settings["control_socket"] == "/run/casemgr/a.ctl"
