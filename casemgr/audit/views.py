"""The audit log page (admin, auditor): filter, page through, verify the chain."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from casemgr.audit.forms import AuditFilterForm, VerifyForm
from casemgr.audit.models import AuditEvent
from casemgr.audit.services import AuditAction, AuditFilter, filtered_events, record, verify_chain
from casemgr.auth.policy import Action, requires
from casemgr.extensions import db
from casemgr.listing import paginate

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")


def _criteria(filters: AuditFilterForm) -> AuditFilter:
    """The filter the page's query string asks for (none while it is invalid)."""
    timezone = ZoneInfo(current_app.config["TIMEZONE"])
    if not (request.args and filters.validate()):
        return AuditFilter(timezone=timezone)
    return AuditFilter(
        person=filters.person.data, actor=filters.actor.data, action=filters.action.data,
        object_type=filters.object_type.data, object_id=filters.object_id.data,
        date_from=filters.date_from.data, date_to=filters.date_to.data, timezone=timezone)


def _used_filters() -> dict[str, str]:
    return {key: value for key, value in request.args.items() if value and key != "page"}


@bp.route("")
@requires(Action.READ_AUDIT)
def index() -> Any:
    filters = AuditFilterForm(request.args)
    page = paginate(filtered_events(_criteria(filters)))
    record(db.session, AuditAction.AUDIT_VIEWED, actor=current_user,
           details={"filters": {k: v for k, v in request.args.items() if v}})
    db.session.commit()
    return render_template("audit/index.html", page=page, filters=filters,
                           verify_form=VerifyForm(), export_args=_used_filters())


EXPORT_COLUMNS = ("id", "occurred_at", "actor_name", "action", "object_type", "object_id",
                  "applicant_id", "details", "ip_address", "prev_hash", "hash")
EXPORT_BATCH = 2000


@bp.route("/export.csv")
@requires(Action.READ_AUDIT)
def export() -> Any:
    """The filtered audit log as CSV, oldest first, with the hashes, so an auditor can
    check the chain outside casemgr. Streamed in id ranges: memory stays flat however long
    the log; the export itself is audited before the first row leaves."""
    filters = AuditFilterForm(request.args)
    query = filtered_events(_criteria(filters)).order_by(None).order_by(AuditEvent.id)
    record(db.session, AuditAction.AUDIT_EXPORTED, actor=current_user,
           details={"filters": _used_filters()})
    db.session.commit()

    def rows() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)

        def flush() -> str:
            text = buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            return text

        writer.writerow(EXPORT_COLUMNS)
        yield flush()
        after = 0
        while True:
            batch = db.session.execute(query.where(AuditEvent.id > after)
                                       .limit(EXPORT_BATCH)).scalars().all()
            if not batch:
                break
            for event in batch:
                writer.writerow([
                    event.id, event.occurred_at.isoformat(), event.actor_name or "",
                    event.action, event.object_type or "", event.object_id or "",
                    event.applicant_id or "", json.dumps(event.details, sort_keys=True,
                                                         ensure_ascii=False),
                    event.ip_address or "", event.prev_hash, event.hash])
            after = batch[-1].id
            db.session.expunge_all()
            yield flush()

    return Response(stream_with_context(rows()), mimetype="text/csv", headers={
        "Content-Disposition": "attachment; filename=casemgr-audit.csv"})


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
