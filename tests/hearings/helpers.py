"""Shared helpers for the hearing tests: local slots a few days ahead, the booking form as a
browser sends it, and reading hearings back from the real database."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask

from casemgr.auth.models import User
from casemgr.cases.models import Case
from casemgr.database import utcnow
from casemgr.extensions import db
from casemgr.hearings import services, times
from casemgr.hearings.models import Hearing
from tests.cases.helpers import app_today, session_of
from tests.conftest import post_form


def booking_day(app: Flask, days: int = 3) -> date:
    """A day safely in the future, in the agency's calendar."""
    return app_today(app) + timedelta(days=days)


def slot(app: Flask, hour: int, minute: int = 0, *, day: date | None = None) -> datetime:
    """A local wall-clock time on the booking day, as an aware UTC datetime."""
    with app.app_context():
        return times.at(day or booking_day(app), time(hour, minute))


def local_input(app: Flask, hour: int, minute: int = 0, *, day: date | None = None) -> str:
    """The same time as a datetime-local input sends it."""
    return f"{(day or booking_day(app)).isoformat()}T{hour:02d}:{minute:02d}"


def form(app: Flask, *, hour: int = 9, minute: int = 0, day: date | None = None,
         **overrides: Any) -> dict[str, Any]:
    """A valid booking (INTERFACES §5 field names); None drops a field."""
    data: dict[str, Any] = {
        "kind": "rsd_interview",
        "starts_at": local_input(app, hour, minute, day=day),
        "duration_minutes": "60",
        "location": "Room 1",
        "interviewer_id": "",
        "interpreter_name": "",
        "interpreter_language": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def schedule_page(client: Any, case_id: int, data: dict[str, Any]) -> Any:
    return post_form(client, f"/cases/{case_id}/hearings/new", data)


def book(app: Flask, case_id: int, *, starts_at: datetime, duration: int = 60,
         location: str = "Room 1", interviewer: User | None = None,
         interpreter_name: str | None = None, interpreter_language: str | None = None,
         kind: str = "rsd_interview", now: datetime | None = None, **flags: Any) -> int:
    """Book through the service as the system; `now` earlier than the real one books a
    hearing that has meanwhile started (to record its outcome)."""
    with session_of(app) as session:
        booking = services.schedule_hearing(
            session, session.get_one(Case, case_id), services.HearingData(
                kind=kind, starts_at=starts_at, duration_minutes=duration, location=location,
                interviewer_id=interviewer.id if interviewer else None,
                interpreter_name=interpreter_name, interpreter_language=interpreter_language,
                **flags),
            actor=None, now=now)
        session.commit()
        return booking.hearing.id


def book_past(app: Flask, case_id: int, *, hours_ago: int = 2, **kwargs: Any) -> int:
    """A hearing that started `hours_ago` hours ago (booked the day before)."""
    starts_at = utcnow().replace(microsecond=0) - timedelta(hours=hours_ago)
    return book(app, case_id, starts_at=starts_at, now=starts_at - timedelta(days=1), **kwargs)


def hearing(app: Flask, hearing_id: int) -> Hearing:
    with session_of(app) as session:
        found = session.get_one(Hearing, hearing_id)
        session.expunge(found)
        return found


def hearing_count(app: Flask) -> int:
    with app.app_context():
        return db.session.execute(sa.select(sa.func.count()).select_from(Hearing)).scalar_one()
