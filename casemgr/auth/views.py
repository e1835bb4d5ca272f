"""Login, logout and the user's own account."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from casemgr.auth import services
from casemgr.auth.forms import LoginForm, LogoutForm, PasswordChangeForm
from casemgr.auth.policy import Action, home_endpoint, public, requires
from casemgr.exceptions import LoginFailed, ValidationFailed
from casemgr.extensions import db, limiter
from casemgr.forms import show_errors

bp = Blueprint("auth", __name__)


def is_safe_next(target: str | None) -> bool:
    """Only a path on this site: no scheme, no host, no protocol-relative or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for(home_endpoint(current_user)))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        lockout = services.Lockout(current_app.config["LOCKOUT_THRESHOLD"],
                                   current_app.config["LOCKOUT_MINUTES"])
        try:
            user = services.authenticate(db.session, form.username.data or "",
                                         form.password.data or "", lockout=lockout)
        except LoginFailed:
            db.session.commit()
            form.password.errors = [_("Login failed: wrong username or password, or the "
                                      "account is locked. After 10 failed attempts an account "
                                      "is locked for 15 minutes.")]
            return render_template("auth/login.html", form=form), 200
        login_user(user)
        db.session.commit()
        target = form.next.data
        return redirect(target if is_safe_next(target) else url_for(home_endpoint(user)))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@requires(Action.USE_ACCOUNT)
def logout() -> Any:
    form = LogoutForm()
    if form.validate_on_submit():
        services.record_logout(db.session, current_user)
        db.session.commit()
        logout_user()
        flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
@requires(Action.USE_ACCOUNT)
def account() -> Any:
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            services.change_password(
                db.session, current_user, new_password=form.new_password.data or "",
                current_password=form.current_password.data or "", actor=current_user)
        except ValidationFailed as error:
            show_errors(form, error)
        else:
            db.session.commit()
            login_user(current_user._get_current_object())  # keep this session: new token
            flash(_("Your password has been changed. Your other sessions have ended."),
                  "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=form)
