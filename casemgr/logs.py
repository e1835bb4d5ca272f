"""Logs: one line per record, JSON in production, each carrying the id of its request.

Every request gets an id: the one a proxy sent in X-Request-ID when it is well-formed, else
a new one. It is sent back in the X-Request-ID response header, and every record logged
while the request runs carries it with the method, the path and the user's id, so one
grep finds everything a request did across workers and hosts. One `casemgr.request` line
per request adds the status and the duration.

What is never logged: query strings (searches hold people's names), request bodies
(passwords), names; only the numeric user id says who. A path segment that is a secret
(the calendar feed's token) is logged as its route pattern instead.

Web workers log to stdout (what gunicorn, systemd and container runtimes collect);
`casemgr` commands log to stderr, because stdout is their output (an export streams
CSV there).
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from typing import Any, TextIO

import click
from flask import Flask, Response, g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

REQUEST_ID_HEADER = "X-Request-ID"
# What a proxy's id may look like: a UUID, a hex or base64url string, nginx's $request_id.
# Nothing else reaches a log line or a response header.
SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:+=-]{0,127}$")
# URL arguments that are credentials: the path is logged as its route pattern instead.
SECRET_VIEW_ARGS = frozenset({"token"})
# Load balancers ask every few seconds; their requests are logged at DEBUG only.
QUIET_ENDPOINTS = frozenset({"health.healthz"})
FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"

request_log = logging.getLogger("casemgr.request")


class JsonFormatter(_JsonFormatter):
    """time, level, logger, message, then the request's fields and any extras."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        super().__init__("{levelname}{name}{message}", style="{", **kwargs)

    def add_fields(self, log_data: dict[str, Any], record: logging.LogRecord,
                   message_dict: dict[str, Any]) -> None:
        log_data["time"] = self.formatTime(record)
        super().add_fields(log_data, record, message_dict)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 - logging's name
        """ISO 8601 in UTC with milliseconds, whatever the server's zone."""
        seconds = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        return f"{seconds}.{int(record.msecs):03d}Z"


class RequestContextFilter(logging.Filter):
    """Stamp each record with the current request's id, method, path and user id."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context() and "request_id" in g:
            record.request_id = g.request_id
            record.method = request.method
            record.path = loggable_path()
            record.user_id = current_user_id()
        return True


class _Stdout(logging.StreamHandler):  # type: ignore[type-arg]
    """A handler writing to whatever sys.stdout (or stderr) is at the time of the record,
    so it survives the stream being replaced (test capture, daemonisation)."""

    def __init__(self, use_stderr: bool) -> None:
        self.use_stderr = use_stderr
        super().__init__()

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return sys.stderr if self.use_stderr else sys.stdout

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        """The stream is chosen per record (see the property)."""


def make_formatter(log_format: str) -> logging.Formatter:
    if log_format == "json":
        return JsonFormatter()
    return logging.Formatter(TEXT_FORMAT, defaults={"request_id": "-"})


def parse_format(value: Any) -> str:
    text = str(value).strip().lower()
    if text not in FORMATS:
        raise ValueError(f"log format must be one of {', '.join(FORMATS)}: {value!r}")
    return text


def configure(log_format: str, level: str | int, *, use_stderr: bool = False) -> None:
    """Send every logger's records through one handler on the root logger.

    Calling it again (another app in the same process) replaces the handler it installed.
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, _Stdout):
            root.removeHandler(handler)
    handler = _Stdout(use_stderr)
    handler.setFormatter(make_formatter(log_format))
    handler.addFilter(RequestContextFilter())
    root.addHandler(handler)
    root.setLevel(level)


def new_request_id() -> str:
    return uuid.uuid4().hex


def incoming_request_id() -> str:
    """The proxy's id when it is safe to repeat, else a fresh one."""
    given = request.headers.get(REQUEST_ID_HEADER, "")
    return given if SAFE_REQUEST_ID.match(given) else new_request_id()


def loggable_path() -> str:
    """The path without its query string, secrets replaced by their route pattern."""
    rule = request.url_rule
    if rule is not None and SECRET_VIEW_ARGS & set(request.view_args or {}):
        return rule.rule
    return request.path


def current_user_id() -> int | None:
    """The id of the user this request acts for, if already loaded (never a query here:
    a log call must not touch the database)."""
    user = g.get("_login_user")
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return getattr(user, "id", None)


def init_logging(app: Flask) -> None:
    """Configure the logs (LOG_FORMAT, LOG_LEVEL) and give every request its id."""
    configure(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"],
              use_stderr=click.get_current_context(silent=True) is not None)

    @app.before_request
    def _start() -> None:
        g.request_id = incoming_request_id()
        g.request_started = time.perf_counter()

    @app.after_request
    def _finish(response: Response) -> Response:
        if "request_id" not in g:  # a response made before our hook ran
            g.request_id = incoming_request_id()
        response.headers[REQUEST_ID_HEADER] = g.request_id
        started = g.get("request_started")
        duration = (time.perf_counter() - started) * 1000 if started else 0.0
        level = logging.DEBUG if request.endpoint in QUIET_ENDPOINTS else logging.INFO
        request_log.log(level, "%s %s %s", request.method, loggable_path(),
                        response.status_code, extra={
                            "status": response.status_code,
                            "duration_ms": round(duration, 1)})
        return response
