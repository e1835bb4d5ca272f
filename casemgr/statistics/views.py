"""Statistics pages."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from casemgr.auth.policy import Action, requires

bp = Blueprint("statistics", __name__, url_prefix="/statistics")


@bp.route("")
@requires(Action.VIEW_INTERNAL_STATISTICS)
def index() -> Any:
    return render_template("statistics/index.html")
