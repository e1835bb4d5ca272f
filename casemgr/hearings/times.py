"""Local time for hearings: people book and read them in the agency's time zone, the
database stores UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context


def zone() -> tzinfo:
    """The agency's time zone (the TIMEZONE setting); UTC outside an application."""
    if not has_app_context():
        return UTC
    return ZoneInfo(current_app.config["TIMEZONE"])


def local(moment: datetime) -> datetime:
    return moment.astimezone(zone())


def at(day: date, clock: time) -> datetime:
    """A local wall-clock time on a day, as an aware UTC datetime."""
    return datetime.combine(day, clock, tzinfo=zone()).astimezone(UTC)


def day_bounds(first: date, days: int) -> tuple[datetime, datetime]:
    """The UTC instants from local midnight of `first` to local midnight `days` later."""
    return at(first, time.min), at(first + timedelta(days=days), time.min)
