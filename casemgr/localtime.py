"""Today's date where the agency works: legal deadlines are counted in local days."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context


def today() -> date:
    if not has_app_context():
        return date.today()
    return datetime.now(ZoneInfo(current_app.config["TIMEZONE"])).date()
