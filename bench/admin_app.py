"""The peer for bench/compare.py: Flask-Admin's ModelView over casemgr's applicants table,
as a team might set up a case list instead of writing one (a filter by nationality and
status, a search over the names, the newest applications first, 50 rows a page).

It reads the same database with casemgr's own models and engine settings (SQLite pragmas
included) and is served by gunicorn with casemgr's gunicorn.conf.py:

    CASEMGR_DATABASE_URL=sqlite:////path/1m.sqlite3 \\
    gunicorn -c gunicorn.conf.py --pythonpath bench 'admin_app:create_app()'

It has no login, scope or audit trail, so it does less per request than casemgr's list.
Flask-Admin is installed only with the `bench` extra.
"""

from __future__ import annotations

import os
import secrets

from flask import Flask
from flask_admin import Admin
from flask_admin.contrib.sqla import ModelView
from flask_babel import Babel

import casemgr.models  # noqa: F401 - every mapper, so Applicant's relationships resolve
from casemgr.applicants.models import Applicant
from casemgr.extensions import db

URL = "/admin/applicant/"


class ApplicantView(ModelView):
    """A read-only list of people: the columns of casemgr's list, its filters and search."""

    can_create = can_edit = can_delete = False
    column_list = ("registration_no", "family_name", "given_names", "native_name",
                   "nationality", "current_status", "current_lodged_on", "current_due_on")
    column_filters = ("nationality", "current_status")
    column_searchable_list = ("family_name", "given_names", "native_name")
    column_default_sort = ("current_lodged_on", True)
    page_size = 50
    named_filter_urls = True


def create_app() -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["CASEMGR_DATABASE_URL"]
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True}
    app.config["SECRET_KEY"] = os.environ.get("CASEMGR_SECRET_KEY") or secrets.token_hex(32)
    db.init_app(app)
    Babel(app)  # Flask-Admin translates its labels when Flask-Babel is installed
    admin = Admin(app, name="casemgr bench")
    admin.add_view(ApplicantView(Applicant, db.session, endpoint="applicant"))
    return app

