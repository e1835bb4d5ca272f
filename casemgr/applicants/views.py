"""Applicant pages."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from casemgr.auth.policy import Action, requires

bp = Blueprint("applicants", __name__, url_prefix="/applicants")


@bp.route("")
@requires(Action.VIEW_APPLICANTS)
def index() -> Any:
    return render_template("applicants/index.html")
