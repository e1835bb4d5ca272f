"""The audit log page (admin, auditor): filter, page through, verify the chain."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from casemgr.audit.forms import AuditFilterForm, VerifyForm
from casemgr.audit.services import AuditAction, AuditFilter, filtered_events, record, verify_chain
from casemgr.auth.policy import Action, requires
from casemgr.extensions import db
from casemgr.listing import paginate

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")


@bp.route("")
@requires(Action.READ_AUDIT)
def index() -> Any:
    filters = AuditFilterForm(request.args)
    criteria = AuditFilter(timezone=ZoneInfo(current_app.config["TIMEZONE"]))
    if request.args and filters.validate():
        criteria = AuditFilter(
            actor=filters.actor.data, action=filters.action.data,
            object_type=filters.object_type.data, object_id=filters.object_id.data,
            date_from=filters.date_from.data, date_to=filters.date_to.data,
            timezone=criteria.timezone)
    page = paginate(filtered_events(criteria))
    record(db.session, AuditAction.AUDIT_VIEWED, actor=current_user,
           details={"filters": {k: v for k, v in request.args.items() if v}})
    db.session.commit()
    return render_template("audit/index.html", page=page, filters=filters,
                           verify_form=VerifyForm())


@bp.route("/verify", methods=["POST"])
@requires(Action.READ_AUDIT)
def verify() -> Any:
    if VerifyForm().validate_on_submit():
        report = verify_chain(db.session)
        record(db.session, AuditAction.AUDIT_VERIFIED, actor=current_user,
               details={"events": report.events, "broken_at": report.broken_at})
        db.session.commit()
        if report.intact:
            flash(_("Audit chain intact: %(n)s events.", n=report.events), "success")
        else:
            flash(_("Audit chain broken at event %(id)s: %(problem)s.", id=report.broken_at,
                    problem=report.problem), "danger")
    return redirect(url_for("audit.index"))
