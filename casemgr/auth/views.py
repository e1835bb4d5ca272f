"""Login, logout and the user's own account."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user, login_user, logout_user

from casemgr.auth import services, two_factor
from casemgr.auth.forms import CodeForm, LanguageForm, LoginForm, LogoutForm, PasswordChangeForm
from casemgr.auth.models import User
from casemgr.auth.policy import Action, home_endpoint, public, requires
from casemgr.exceptions import LoginFailed, ValidationFailed
from casemgr.extensions import db, limiter
from casemgr.forms import show_errors
from casemgr.i18n import supported_locales

bp = Blueprint("auth", __name__)


def is_safe_next(target: str | None) -> bool:
    """Only a path on this site: no scheme, no host, no protocol-relative or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _lockout() -> services.Lockout:
    return services.Lockout(current_app.config["LOCKOUT_THRESHOLD"],
                            current_app.config["LOCKOUT_MINUTES"])


FAILED = "Login failed: wrong username or password, or the account is locked."
PENDING_SECONDS = 300  # the code must follow the password within five minutes


def _finish_login(user: User, target: str | None) -> Any:
    login_user(user)
    db.session.commit()
    return redirect(target if is_safe_next(target) else url_for(home_endpoint(user)))


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
        try:
            user = services.authenticate(db.session, form.username.data or "",
                                         form.password.data or "", lockout=_lockout())
            if user.two_factor_enabled and form.totp.data:
                services.check_second_factor(db.session, user, form.totp.data,
                                             lockout=_lockout())
        except LoginFailed:
            db.session.commit()
            form.password.errors = [_(
                "Login failed: wrong username or password, or the account is locked. After "
                "%(attempts)d failed attempts an account is locked for %(minutes)d minutes.",
                attempts=current_app.config["LOCKOUT_THRESHOLD"],
                minutes=current_app.config["LOCKOUT_MINUTES"])]
            return render_template("auth/login.html", form=form), 200
        if user.two_factor_enabled and not form.totp.data:
            db.session.commit()
            session["two_factor"] = {"user": user.id, "at": int(time.time()),
                                     "next": form.next.data or ""}
            return redirect(url_for("auth.login_code"))
        return _finish_login(user, form.next.data)
    return render_template("auth/login.html", form=form)


@bp.route("/login/code", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
def login_code() -> Any:
    """The second step of a login with two-factor on: the password was right."""
    pending = session.get("two_factor") or {}
    user = db.session.get(User, pending.get("user", 0))
    if user is None or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        session.pop("two_factor", None)
        flash(_("Please log in again."), "info")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if form.validate_on_submit():
        try:
            services.check_second_factor(db.session, user, form.code.data or "",
                                         lockout=_lockout())
        except LoginFailed:
            db.session.commit()
            form.code.errors = [_("That code is not right, or the account is locked. Wrong "
                                  "codes count like wrong passwords.")]
            return render_template("auth/login_code.html", form=form), 200
        session.pop("two_factor", None)
        return _finish_login(user, pending.get("next"))
    return render_template("auth/login_code.html", form=form)


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


@bp.route("/account/logout-everywhere", methods=["POST"])
@requires(Action.USE_ACCOUNT)
def logout_everywhere() -> Any:
    if LogoutForm().validate_on_submit():
        services.end_all_sessions(db.session, current_user, actor=current_user)
        db.session.commit()
        logout_user()
        flash(_("You have been logged out on every device."), "info")
        return redirect(url_for("auth.login"))
    return redirect(url_for("auth.account"))


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
    return render_template("auth/account.html", form=form, logout_form=LogoutForm(),
                           language_form=LanguageForm(language=current_user.language or ""),
                           two_factor_required=_two_factor_required(current_user))


@bp.route("/account/language", methods=["POST"])
@requires(Action.USE_ACCOUNT)
def language() -> Any:
    """Store the interface language (the account page's select or the navbar's buttons)
    and go back to the page the user was on."""
    form = LanguageForm()
    if form.validate_on_submit():
        services.set_language(db.session, current_user, form.language.data,
                              supported=supported_locales())
        db.session.commit()
        refresh()  # this request already chose a locale: the message below is in the new one
        flash(_("Language saved."), "success")
    else:
        flash(_("The language was not changed. Please try again."), "warning")
    target = form.next.data
    return redirect(target if is_safe_next(target) else url_for("auth.account"))


# --- two-factor enrolment ------------------------------------------------------------------

def _two_factor_required(user: User) -> bool:
    return two_factor.required_for(
        user, two_factor.parse_roles(current_app.config["TWO_FACTOR_ROLES"]))


@bp.route("/account/two-factor", methods=["GET", "POST"])
@requires(Action.USE_ACCOUNT)
def two_factor_setup() -> Any:
    """Enrol: scan the code, type one code back; then the recovery codes, shown once."""
    user = current_user._get_current_object()
    if user.two_factor_enabled:
        return render_template(
            "auth/two_factor.html", form=CodeForm(), codes=None, qr=None, secret=None,
            left=two_factor.recovery_codes_left(db.session, user),
            required=_two_factor_required(user))
    secret = session.get("totp_enrol") or two_factor.new_secret()
    session["totp_enrol"] = secret
    form = CodeForm()
    if form.validate_on_submit():
        try:
            codes = two_factor.confirm_enrolment(db.session, user, secret=secret,
                                                 code=form.code.data or "")
        except ValidationFailed as error:
            show_errors(form, error)
        else:
            db.session.commit()
            session.pop("totp_enrol", None)
            flash(_("Two-factor login is on."), "success")
            return render_template("auth/recovery_codes.html", codes=codes)
    return render_template("auth/two_factor.html", form=form, codes=None, secret=secret,
                           qr=two_factor.provisioning_qr(user, secret), left=None,
                           required=_two_factor_required(user))


@bp.route("/account/two-factor/recovery-codes", methods=["POST"])
@requires(Action.USE_ACCOUNT)
def two_factor_codes() -> Any:
    user = current_user._get_current_object()
    if LogoutForm().validate_on_submit() and user.two_factor_enabled:
        codes = two_factor.regenerate_recovery_codes(db.session, user)
        db.session.commit()
        return render_template("auth/recovery_codes.html", codes=codes)
    return redirect(url_for("auth.two_factor_setup"))


@bp.route("/account/two-factor/disable", methods=["POST"])
@requires(Action.USE_ACCOUNT)
def two_factor_disable() -> Any:
    """Turning it off needs a current code (a stolen session alone cannot), and is refused
    where the role requires it."""
    user = current_user._get_current_object()
    form = CodeForm()
    if not user.two_factor_enabled or not form.validate_on_submit():
        return redirect(url_for("auth.two_factor_setup"))
    if _two_factor_required(user):
        flash(_("Your role requires two-factor login; it cannot be turned off."), "danger")
    elif two_factor.verify(db.session, user, form.code.data or "") is None:
        db.session.commit()
        flash(_("That code is not right; two-factor login stays on."), "danger")
    else:
        two_factor.disable(db.session, user, actor=user)
        db.session.commit()
        flash(_("Two-factor login is off."), "info")
    return redirect(url_for("auth.two_factor_setup"))

