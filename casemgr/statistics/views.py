"""The statistics pages and downloads (INTERFACES.md §4).

- `/statistics`: analyst, supervisor, admin; exact tables, charts and download links.
- `/statistics/annual/<year>.<format>` (csv, xlsx, json): the same roles; exact; audited.
- `/public/statistics` and `/public/statistics/annual/<year>.<format>`: anyone, when
  PUBLIC_STATISTICS is on (else 404); only ever the protected release.

Figures are national: every agency's cases count, whatever the viewer's scope. Public
downloads are not audited (they are public, and an anonymous request must not be able to
write to the hash-chained trail); they are rate limited, as each one aggregates the whole
history. A year outside 1994..this year or an unknown format answers 404 with a page that
says why; a year without data gives tables with headers and no rows.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    render_template,
    request,
    stream_with_context,
)
from flask_babel import gettext as _
from flask_login import current_user

from casemgr import i18n
from casemgr.audit.services import AuditAction, record
from casemgr.auth.policy import Action, public, requires
from casemgr.extensions import db, limiter
from casemgr.localtime import today
from casemgr.statistics import charts, exports, presentation, tables
from casemgr.statistics.forms import YearForm, default_year
from casemgr.templating import country_name

bp = Blueprint("statistics", __name__)

PUBLIC_RATE_LIMIT = "30 per minute"


@bp.route("/statistics")
@requires(Action.VIEW_INTERNAL_STATISTICS)
def index() -> Any:
    return _page(public=False)


@bp.route("/statistics/annual/<year>.<file_format>")
@requires(Action.VIEW_INTERNAL_STATISTICS)
def download(year: str, file_format: str) -> Any:
    checked = _checked(year, file_format)
    if isinstance(checked, tuple):
        return checked
    release = exports.Release.now(checked, public=False)
    record(db.session, AuditAction.STATISTICS_DOWNLOADED, actor=current_user,
           details={"year": checked, "format": file_format, "release": release.name})
    db.session.commit()
    return _file(release, file_format)


@bp.route("/public/statistics")
@public
@limiter.limit(PUBLIC_RATE_LIMIT)
def public_index() -> Any:
    _require_public_statistics()
    return _page(public=True)


@bp.route("/public/statistics/annual/<year>.<file_format>")
@public
@limiter.limit(PUBLIC_RATE_LIMIT)
def public_download(year: str, file_format: str) -> Any:
    _require_public_statistics()
    checked = _checked(year, file_format)
    if isinstance(checked, tuple):
        return checked
    return _file(exports.Release.now(checked, public=True), file_format)


def _require_public_statistics() -> None:
    """With the public release switched off, its pages do not exist."""
    if not current_app.config["PUBLIC_STATISTICS"]:
        abort(404)


def _not_found(detail: str) -> tuple[str, int]:
    return render_template("errors/error.html", status=404, title=_("Not found"),
                           detail=detail), 404


def _checked(year: str, file_format: str) -> int | tuple[str, int]:
    """The year as a number, or the 404 page saying what is wrong with the address."""
    if file_format not in exports.FORMATS:
        return _not_found(_("There is no “%(format)s” download: use csv, xlsx or json.",
                            format=file_format))
    number = int(year) if year.isascii() and year.isdigit() else None
    if number is None or not tables.valid_year(number, today()):
        return _not_found(_("There are no statistics for “%(year)s”: choose a year from "
                            "%(first)s to %(last)s.", year=year, first=tables.FIRST_YEAR,
                            last=today().year))
    return number


def _file(release: exports.Release, file_format: str) -> Response:
    """The file, streamed as it is produced."""
    db.session.commit()  # end the request's read transaction: the file reads one snapshot
    response = Response(stream_with_context(exports.chunks(db.session, release, file_format)),
                        mimetype=exports.FORMATS[file_format])
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{release.filename(file_format)}"')
    return response


def _page(*, public: bool) -> Any:
    """The year chooser, charts and tables of one release."""
    now = today()
    form = YearForm(request.args, today=now)
    if "year" not in request.args:
        form.year.data = default_year(now)
    elif not form.validate():
        return render_template("statistics/index.html", form=form, public=public,
                               year=None, tables=[], charts=[]), 400
    year = int(form.year.data)  # type: ignore[arg-type]
    db.session.commit()  # end the login's read transaction: the report reads one snapshot
    exports.begin_report(db.session)
    views, chart_list = presentation.page(db.session, year, public=public,
                                          country_name=country_name)
    rendered = [(chart, charts.render(chart, i18n.number)) for chart in chart_list]
    return render_template("statistics/index.html", form=form, public=public, year=year,
                           tables=views, charts=rendered, formats=list(exports.FORMATS))
