"""The dashboard: what needs attention in the user's scope."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user

from casemgr.auth.policy import Action, applicant_scope, can, home_endpoint
from casemgr.cases.models import CaseStatus
from casemgr.dashboard import services
from casemgr.database import utcnow
from casemgr.extensions import db
from casemgr.localtime import today

bp = Blueprint("dashboard", __name__)


@bp.route("/")
def index() -> Any:
    """Agency roles see their dashboard; every other role is sent to its own start page."""
    if not can(current_user, Action.VIEW_DASHBOARD):
        return redirect(url_for(home_endpoint(current_user)))
    scope = applicant_scope(current_user)
    counts = services.status_counts(db.session, scope)
    termination = services.termination_candidates(db.session, scope)
    return render_template(
        "dashboard/index.html", counts=counts, statuses=list(CaseStatus),
        total=sum(counts.values()), due=services.due_groups(db.session, scope, today()),
        termination=termination, needs=services.need_groups(db.session, current_user, today()),
        hearings=services.hearing_groups(db.session, scope, utcnow()), today=today())
