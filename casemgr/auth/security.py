"""Session handling, the login gate, security headers and the locale choice."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, has_request_context, request
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from casemgr.auth.models import User
from casemgr.auth.policy import is_public
from casemgr.extensions import db, login_manager, talisman

CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "img-src": ["'self'", "data:"],
    "style-src": "'self'",
    "script-src": "'self'",
    "font-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def init_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(session_token: str) -> User | None:
        """The session holds a rotatable token, not the user id: rotating it logs out."""
        user = db.session.execute(
            sa.select(User).where(User.session_token == session_token)
        ).scalar_one_or_none()
        return user if user is not None and user.is_active else None

    @app.before_request
    def require_login() -> Any:
        """Login is required everywhere except views marked @public."""
        endpoint = request.endpoint or ""
        view = app.view_functions.get(endpoint)
        if view is None or is_public(endpoint, view) or current_user.is_authenticated:
            return None
        return login_manager.unauthorized()

    if app.config["PROXY_COUNT"]:
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)  # type: ignore[method-assign]


def init_headers(app: Flask) -> None:
    """CSP without inline code, no framing, no sniffing, a strict referrer, safe cookies."""
    talisman.init_app(
        app,
        force_https=False,
        strict_transport_security=app.config["SESSION_COOKIE_SECURE"],
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        session_cookie_http_only=True,
        session_cookie_samesite="Lax",
        frame_options="DENY",
        content_security_policy=CONTENT_SECURITY_POLICY,
        referrer_policy="same-origin",
        permissions_policy={"geolocation": "()", "camera": "()", "microphone": "()"},
    )

    @app.after_request
    def no_store_for_pages(response: Any) -> Any:
        """Pages about people must not linger in shared browser caches."""
        if request.endpoint and not request.endpoint.endswith("static"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def select_locale() -> str | None:
    """The user's language: the browser's preference among the supported ones.

    Outside a request (the CLI) messages stay in the default language.
    """
    default = current_app.config["DEFAULT_LOCALE"]
    if not has_request_context():
        return default
    return request.accept_languages.best_match(current_app.config["SUPPORTED_LOCALES"]) or default
