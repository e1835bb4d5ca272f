"""Session handling, the login gate, security headers and the locale choice."""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa
from flask import (
    Flask,
    Request,
    current_app,
    flash,
    has_request_context,
    redirect,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, logout_user, user_logged_in
from werkzeug.middleware.proxy_fix import ProxyFix

from casemgr.auth import services, two_factor
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

    @user_logged_in.connect_via(app)
    def start_session_clock(_app: Flask, **_extra: Any) -> None:
        session["started_at"] = session["seen_at"] = int(time.time())

    @app.before_request
    def require_login() -> Any:
        """Login is required everywhere except views marked @public; a browser session that
        sat idle or outlived its maximum age ends first."""
        endpoint = request.endpoint or ""
        if endpoint.endswith("static"):  # a stylesheet is not activity, and needs no login
            return None
        expired = session_expiry()
        if expired:
            user = current_user._get_current_object()
            services.record_session_expired(db.session, user, reason=expired)
            db.session.commit()
            logout_user()
            flash(_("Your session ended after a period without activity or at its maximum "
                    "length. Please log in again."), "warning")
        view = app.view_functions.get(endpoint)
        if view is None or is_public(endpoint, view):
            return None
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if must_enrol_two_factor() and endpoint not in ENROLMENT_ENDPOINTS:
            flash(_("Your role requires two-factor login. Set it up to continue."), "warning")
            return redirect(url_for("auth.two_factor_setup"))
        return None

    if app.config["PROXY_COUNT"]:
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)  # type: ignore[method-assign]


def accepts_upload(view: Any) -> Any:
    """Mark a view that receives a file: its request body may reach MAX_CONTENT_LENGTH
    (10 MB); every other request is refused with 413 beyond MAX_FORM_BYTES."""
    view.accepts_upload = True
    return view


class LimitedRequest(Request):
    """A request whose body limit depends on the view it is routed to (known before any
    hook, CSRF's included, reads the body)."""

    @property
    def max_content_length(self) -> int | None:
        view = current_app.view_functions.get(self.endpoint or "")
        if getattr(view, "accepts_upload", False):
            return current_app.config["MAX_CONTENT_LENGTH"]
        return current_app.config["MAX_FORM_BYTES"]


def init_request_limits(app: Flask) -> None:
    app.request_class = LimitedRequest


# What a user who must enrol in two-factor login may still reach before enrolling.
ENROLMENT_ENDPOINTS = frozenset({"auth.two_factor_setup", "auth.logout", "auth.account"})


def must_enrol_two_factor() -> bool:
    """A browser session of a user whose role requires two-factor login, not yet set up
    (API tokens are not sessions: they are made by a user who already logged in)."""
    user = current_user
    if "_user_id" not in session or user.two_factor_enabled:
        return False
    return two_factor.required_for(
        user, two_factor.parse_roles(current_app.config["TWO_FACTOR_ROLES"]))


def session_expiry() -> str | None:
    """Why the browser session must end now ("idle" or "maximum"), else None; notes this
    request as activity. API calls carry a token, not a session, and are not timed here."""
    if "_user_id" not in session or not current_user.is_authenticated:
        return None
    now = int(time.time())
    started = session.setdefault("started_at", now)
    if now - session.get("seen_at", now) > current_app.config["SESSION_IDLE_MINUTES"] * 60:
        return "idle"
    if now - started > current_app.config["SESSION_MAX_HOURS"] * 3600:
        return "maximum"
    if now - session.get("seen_at", 0) >= 30:  # write the cookie at most twice a minute
        session["seen_at"] = now
    return None


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
    """The interface language: the user's choice, else the browser's preference among the
    supported ones (the login page follows the browser), else the default.

    Outside a request (the CLI) messages stay in the default language.
    """
    default = current_app.config["DEFAULT_LOCALE"]
    if not has_request_context():
        return default
    supported = current_app.config["SUPPORTED_LOCALES"]
    chosen = current_user.language if current_user.is_authenticated else None
    if chosen in supported:
        return chosen
    return request.accept_languages.best_match(supported) or default
