"""Import from the web (upload → validation report → confirm) and the applicant export.

The uploaded file is kept only between the report and the confirmation: it is saved as
`instance/imports/<random id>.<ext>`, with only the id, the original name and the time in
the user's (signed) session. Confirm and cancel delete it; any upload first deletes the
files older than IMPORT_TTL, so an abandoned upload lives at most an hour. The confirm
step checks the file again (the database may have changed since the report) rather than
trusting a plan kept from the report, so the rules run on what is written.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    stream_with_context,
    url_for,
)
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user

from casemgr.applicants.forms import ApplicantFilterForm
from casemgr.applicants.models import Applicant
from casemgr.applicants.views import listed_applicants
from casemgr.audit.services import AuditAction, record
from casemgr.auth.policy import Action, applicant_scope, requires
from casemgr.auth.security import accepts_upload
from casemgr.exceptions import ImportRejected
from casemgr.exchange import exporter, importer
from casemgr.exchange.columns import COLUMNS, FORMATS, UnreadableFile, file_format
from casemgr.exchange.forms import ConfirmImportForm, UploadForm
from casemgr.extensions import db
from casemgr.localtime import today
from casemgr.needs.services import specific_needs_query

bp = Blueprint("exchange", __name__, url_prefix="/applicants")

IMPORT_TTL = 3600  # seconds an uploaded file waits for its confirmation
SESSION_KEY = "pending_import"


def _directory() -> Path:
    directory = Path(current_app.instance_path) / "imports"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def _sweep() -> None:
    """Delete uploads whose hour is over (abandoned reports)."""
    limit = time.time() - IMPORT_TTL
    for path in _directory().glob("*.*"):
        if path.stat().st_mtime < limit:
            path.unlink(missing_ok=True)


def _pending() -> tuple[Path, str] | None:
    """The current user's uploaded file and its name, if it is still there."""
    entry = session.get(SESSION_KEY)
    if not entry or entry.get("user") != current_user.id:
        return None
    token, name = entry["id"], entry["name"]
    if not token.isalnum() or time.time() - entry["at"] > IMPORT_TTL:
        return None
    path = _directory() / f"{token}.{file_format(name)}"
    return (path, name) if path.is_file() else None


def _discard() -> None:
    pending = _pending()
    if pending is not None:
        pending[0].unlink(missing_ok=True)
    session.pop(SESSION_KEY, None)


def _check(path: Path, name: str) -> Any:
    return importer.check_file(db.session, path, filename=name,
                               agency_id=current_user.organisation_id, actor=current_user,
                               scope=applicant_scope(current_user), today=today())


@bp.route("/import", methods=["GET", "POST"])
@accepts_upload
@requires(Action.IMPORT_RECORDS)
def upload() -> Any:
    """The upload form. Bodies over MAX_CONTENT_LENGTH are refused (413) before any of
    this runs (auth.security.LimitedRequest)."""
    form = UploadForm()
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if form.validate_on_submit():
        _discard()
        _sweep()
        token = secrets.token_hex(16)
        name = Path(form.file.data.filename or "upload.csv").name
        form.file.data.save(_directory() / f"{token}.{file_format(name)}")
        session[SESSION_KEY] = {"id": token, "name": name, "at": time.time(),
                                "user": current_user.id}
        return redirect(url_for("exchange.report"))
    return render_template("exchange/upload.html", form=form, columns=COLUMNS,
                           limit_mb=limit // 1024 // 1024)


@bp.route("/import/report")
@requires(Action.IMPORT_RECORDS)
def report() -> Any:
    pending = _pending()
    if pending is None:
        flash(_("No uploaded file is waiting; upload it again."), "warning")
        return redirect(url_for("exchange.upload"))
    path, name = pending
    try:
        plan = _check(path, name)
    except UnreadableFile as error:
        _discard()
        flash(str(error), "danger")
        return redirect(url_for("exchange.upload"))
    by_row: dict[int, list[Any]] = {}
    for problem in plan.errors:
        by_row.setdefault(problem.row, []).append(problem)
    return render_template("exchange/report.html", plan=plan, name=name, errors=by_row,
                           form=ConfirmImportForm())


@bp.route("/import/confirm", methods=["POST"])
@requires(Action.IMPORT_RECORDS)
def confirm() -> Any:
    form = ConfirmImportForm()
    pending = _pending()
    if not form.validate_on_submit() or pending is None:
        flash(_("No uploaded file is waiting; upload it again."), "warning")
        return redirect(url_for("exchange.upload"))
    path, name = pending
    try:
        plan = _check(path, name)
        result = importer.write_plan(db.session, plan, actor=current_user,
                                     source=f"web {file_format(name)}")
    except (ImportRejected, UnreadableFile):
        db.session.rollback()
        flash(_("The file no longer passes the checks; nothing was imported."), "danger")
        return redirect(url_for("exchange.report"))
    db.session.commit()
    _discard()
    flash(_("Imported %(applicants)s applicants, %(cases)s cases.",
            applicants=format_decimal(result.applicants), cases=format_decimal(result.cases)),
          "success")
    return redirect(url_for("applicants.index"))


@bp.route("/import/cancel", methods=["POST"])
@requires(Action.IMPORT_RECORDS)
def cancel() -> Any:
    if ConfirmImportForm().validate_on_submit():
        _discard()
        flash(_("The import was cancelled and the file deleted."), "info")
    return redirect(url_for("applicants.index"))


@bp.route("/export.<file_format_>")
@requires(Action.EXPORT_RECORDS)
def export(file_format_: str) -> Any:
    """The applicant list's people with its current filters, in the §3 columns."""
    if file_format_ not in FORMATS:
        abort(404)
    query, used = listed_applicants(ApplicantFilterForm(request.args))
    # Audited before the first byte leaves: a download cut short was still a disclosure.
    applicants = db.session.execute(sa.select(sa.func.count()).select_from(
        query.with_only_columns(Applicant.id).subquery())).scalar_one()
    record(db.session, AuditAction.RECORDS_EXPORTED, actor=current_user, details={
        "format": file_format_, "filters": used, "applicants": applicants, "source": "web"})
    db.session.commit()
    rows = exporter.export_rows(db.session, query, specific_needs_query(current_user))

    def generate() -> Any:
        yield from exporter.chunks(rows, file_format_)

    filename = f"applicants-{today().isoformat()}.{file_format_}"
    return Response(stream_with_context(generate()), mimetype=FORMATS[file_format_],
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
