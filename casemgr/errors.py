"""Error pages (HTML) and problem documents (JSON): no traceback ever reaches a user."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask, jsonify, make_response, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from casemgr.extensions import db

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Go back and try again.")),
    401: (_l("Not authenticated"), _l("Send a valid API token: Authorization: Bearer <token>.")),
    403: (_l("Not allowed"), _l("Your role does not allow this. Ask an administrator if you "
                                "need access.")),
    404: (_l("Not found"), _l("There is no page here, or it is not available to you.")),
    405: (_l("Method not allowed"), _l("This page cannot be used this way.")),
    406: (_l("Not acceptable"), _l("This resource cannot be sent in the requested format.")),
    409: (_l("Conflict"), _l("Someone else changed this record. Reload it and try again.")),
    413: (_l("Too large"), _l("The upload or form is larger than allowed.")),
    415: (_l("Unsupported media type"), _l("Send the request body as application/json.")),
    429: (_l("Too many requests"), _l("Too many attempts. Wait a minute and try again.")),
    503: (_l("Busy"), _l("The database is busy with a long operation, such as an import. "
                         "Nothing was saved; try again in a minute.")),
    500: (_l("Something went wrong"), _l("The error has been logged. Nothing you entered "
                                         "was saved; try again, or tell your administrator.")),
}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(status: int, detail: str | None = None) -> Any:
    title, default_detail = MESSAGES.get(status, MESSAGES[500])
    detail = detail or str(default_detail)
    if wants_json():
        response = jsonify({"type": "about:blank", "title": str(title), "status": status,
                            "detail": detail})
        response.status_code = status
        response.mimetype = "application/problem+json"
        return response
    return render_template("errors/error.html", status=status, title=title, detail=detail), status


def init_errors(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> Any:
        return error_response(400, str(_l("The form has expired or was not sent from this "
                                          "site. Reload the page and try again.")))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        if error.code is None or error.code < 400:
            return error
        if error.code >= 500:
            db.session.rollback()
        detail = None if error.code in MESSAGES else error.description
        response = make_response(error_response(error.code, detail))
        # What the protocol requires with the status: Allow with 405, Retry-After with 429.
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(sa.exc.OperationalError)
    def database_busy(error: sa.exc.OperationalError) -> Any:
        """SQLite lets one writer in at a time: a request that waited the whole busy
        timeout behind a long write (an import) is told to come back, not shown a 500."""
        db.session.rollback()
        if "database is locked" not in str(error.orig):
            raise error
        app.logger.warning("database busy on %s %s", request.method, request.path)
        response = make_response(error_response(503))
        response.headers["Retry-After"] = "60"
        return response

    @app.errorhandler(InternalServerError)
    def internal_error(error: InternalServerError) -> Any:
        original = getattr(error, "original_exception", None)
        if original is not None:
            app.logger.error("unhandled error on %s %s", request.method, request.path,
                             exc_info=original)
        db.session.rollback()
        return error_response(500)
