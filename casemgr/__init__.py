"""casemgr: asylum case management for border agencies and legal-aid NGOs.

This module holds the application factory. Every path the app needs (templates,
migrations, instance) is set explicitly, so nothing depends on the working directory.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

PACKAGE_DIR = Path(__file__).resolve().parent
ROOT = PACKAGE_DIR.parent
# The message catalogues (.po) and their compiled form (.mo) live inside the package, so an
# installed wheel carries them; see README "Translating".
TRANSLATIONS_DIR = PACKAGE_DIR / "translations"


def resource_path(name: str) -> Path:
    """Where a top-level folder (templates, migrations) lives.

    In a source checkout it is ROOT/name; an installed wheel carries a copy inside the
    package because site-packages has no project root.
    """
    bundled = PACKAGE_DIR / "_bundled" / name
    return bundled if bundled.is_dir() else ROOT / name


def instance_path() -> Path:
    """The folder for run-time state: configuration, secret key, SQLite database."""
    configured = os.environ.get("CASEMGR_INSTANCE_PATH")
    if configured:
        return Path(configured).resolve()
    if (PACKAGE_DIR / "_bundled").is_dir():
        return Path.cwd() / "instance"
    return ROOT / "instance"


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build a configured application.

    `config` overrides every other source; it accepts the setting names of the README
    (e.g. ``{"DATABASE_URL": "sqlite://"}``) as well as plain Flask keys.
    """
    from casemgr.config import load_config

    app = Flask(
        __name__,
        template_folder=str(resource_path("templates")),
        instance_path=str(instance_path()),
        instance_relative_config=True,
    )
    load_config(app, config)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_cli(app)
    return app


def register_extensions(app: Flask) -> None:
    from casemgr import database, extensions, logs
    from casemgr.auth import security

    logs.init_logging(app)  # first: its request id is there for every later hook's logs
    extensions.db.init_app(app)
    extensions.migrate.init_app(
        app, extensions.db, directory=str(resource_path("migrations")), render_as_batch=True
    )
    extensions.csrf.init_app(app)
    extensions.limiter.init_app(app)
    extensions.babel.init_app(
        app,
        locale_selector=security.select_locale,
        timezone_selector=lambda: app.config["TIMEZONE"],
    )
    extensions.bootstrap.init_app(app)
    security.init_login(app)
    security.init_headers(app)
    security.init_request_limits(app)
    database.init_request_context(app)


def register_blueprints(app: Flask) -> None:
    from casemgr.api.account import bp as tokens_bp
    from casemgr.api.views import bp as api_bp
    from casemgr.applicants.views import bp as applicants_bp
    from casemgr.audit.views import bp as audit_bp
    from casemgr.auth.admin_views import bp as admin_bp
    from casemgr.auth.views import bp as auth_bp
    from casemgr.cases.views import bp as cases_bp
    from casemgr.dashboard.views import bp as dashboard_bp
    from casemgr.exchange.views import bp as exchange_bp
    from casemgr.health import bp as health_bp
    from casemgr.hearings.views import bp as hearings_bp
    from casemgr.needs.views import bp as needs_bp
    from casemgr.statistics.views import bp as statistics_bp

    for blueprint in (auth_bp, admin_bp, audit_bp, dashboard_bp, applicants_bp, cases_bp,
                      hearings_bp, needs_bp, statistics_bp, exchange_bp, tokens_bp, api_bp,
                      health_bp):
        app.register_blueprint(blueprint)


def register_errorhandlers(app: Flask) -> None:
    from casemgr.errors import init_errors

    init_errors(app)


def register_template_helpers(app: Flask) -> None:
    from casemgr.templating import init_templating

    init_templating(app)


def register_cli(app: Flask) -> None:
    from casemgr.cli import init_cli

    init_cli(app)
