"""The user's own API tokens: make one (shown once), see when each was used, revoke."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from casemgr.api import tokens
from casemgr.api.models import ApiToken
from casemgr.auth.policy import Action, requires
from casemgr.database import utcnow
from casemgr.extensions import db
from casemgr.forms import submit

bp = Blueprint("tokens", __name__, url_prefix="/account/tokens")


class TokenForm(FlaskForm):
    name = StringField(_l("What it is for"), validators=[Optional(),
                                                         Length(max=tokens.MAX_NAME)])
    expires_days = IntegerField(_l("Expires after (days; empty: never)"), validators=[
        Optional(), NumberRange(min=1, max=tokens.MAX_EXPIRY_DAYS)])


class RevokeForm(FlaskForm):
    token_id = HiddenField(validators=[DataRequired()])


def _render(form: TokenForm, secret: str | None = None) -> Any:
    return render_template("api/tokens.html", form=form, revoke_form=RevokeForm(),
                           tokens=tokens.user_tokens(db.session, current_user), secret=secret,
                           now=utcnow())


@bp.route("", methods=["GET"])
@requires(Action.USE_ACCOUNT)
def index() -> Any:
    return _render(TokenForm())


@bp.route("", methods=["POST"])
@requires(Action.USE_ACCOUNT)
def create() -> Any:
    """Make a token and show it this once (only its hash is kept)."""
    form = TokenForm()
    made: list[tokens.NewToken] = []
    if form.validate_on_submit() and submit(form, lambda: made.append(tokens.create_token(
            db.session, current_user, actor=current_user, name=form.name.data or "",
            expires_days=form.expires_days.data))):
        db.session.commit()
        return _render(TokenForm(formdata=None), secret=made[0].secret)
    db.session.rollback()
    return _render(form)


@bp.route("/revoke", methods=["POST"])
@requires(Action.USE_ACCOUNT)
def revoke() -> Any:
    """Revoke one of the user's own tokens (another user's is 404)."""
    form = RevokeForm()
    if form.validate_on_submit():
        token_id = int(form.token_id.data) if str(form.token_id.data).isdigit() else 0
        token = db.session.get(ApiToken, token_id) if 0 < token_id < 2**31 else None
        if token is None or token.user_id != current_user.id:
            abort(404)
        if tokens.revoke_token(db.session, token, actor=current_user):
            db.session.commit()
            flash(_("The token was revoked; programs using it are refused from now on."),
                  "success")
    return redirect(url_for("tokens.index"))
