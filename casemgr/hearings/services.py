"""Scheduling hearings without double-booking, their outcomes, the agenda and the calendar
feed. Services flush and audit; the caller commits.

A booking is refused when the interviewer, the interpreter, the room or the applicant is
already in a *scheduled* hearing whose slot overlaps. Slots are half-open: one that ends at
10:00 and one that starts at 10:00 do not clash.
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

import icalendar
import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session, joinedload

from casemgr.applicants.fields import language_codes, language_names
from casemgr.applicants.models import Applicant
from casemgr.audit.services import AuditAction, record
from casemgr.auth.models import User
from casemgr.auth.policy import Action, applicant_scope, can, in_scope
from casemgr.cases import lifecycle
from casemgr.cases.models import Case
from casemgr.database import dialect_insert, utcnow
from casemgr.exceptions import InvalidTransition, PermissionDenied, ValidationFailed
from casemgr.hearings import times
from casemgr.hearings.models import (
    OUTCOMES,
    CalendarFeed,
    CaseAttendance,
    Hearing,
    HearingKind,
    HearingStatus,
)
from casemgr.records import apply_changes, ensure_current, flush_versioned

MAX_DURATION_MINUTES = 12 * 60
MAX_TEXT = 200
MAX_NOTE = 2000
# The kind a new hearing of a case in each status usually is (the form's default).
KIND_FOR_STATUS = {
    "referral_pending": HearingKind.REFERRAL_INTERVIEW,
    "first_instance": HearingKind.RSD_INTERVIEW,
    "objection": HearingKind.OBJECTION_HEARING,
    "not_referred": HearingKind.COURT_HEARING,
    "referral_litigation": HearingKind.COURT_HEARING,
    "litigation": HearingKind.COURT_HEARING,
}
TERMINATION_NO_SHOWS = 3
FEED_DAYS_BACK = 30
FEED_DAYS_AHEAD = 180
FETCH_AUDIT_INTERVAL = timedelta(hours=1)


@dataclass
class HearingData:
    """What a booking says, parsed field by field (form, API or demo)."""

    kind: HearingKind | str
    starts_at: datetime
    duration_minutes: int
    location: str
    interviewer_id: int | None = None
    interpreter_name: str | None = None
    interpreter_language: str | None = None
    representative_attending: bool = False
    same_sex_interviewer_requested: bool = False
    recording_consent: bool = False


DATA_FIELDS = tuple(field.name for field in fields(HearingData))
# Stored to make the conflict check an index range scan; not facts worth auditing.
DERIVED_FIELDS = ("ends_at", "location_key", "interpreter_key")


@dataclass(frozen=True)
class Conflict:
    hearing: Hearing
    message: str


class SchedulingConflict(InvalidTransition):
    """The slot is taken; the message names every clash (409 on the API)."""

    def __init__(self, conflicts: list[Conflict]) -> None:
        self.conflicts = conflicts
        super().__init__(" ".join(conflict.message for conflict in conflicts))


@dataclass(frozen=True)
class Booking:
    hearing: Hearing
    warnings: list[str]


def normalise_key(text: str | None) -> str | None:
    """Rooms and interpreters are the same whatever the case and spacing ("Room 3" and
    "room  3"), so bookings compare this key."""
    key = " ".join((text or "").split()).casefold()
    return key or None


def slot_values(starts_at: datetime, duration_minutes: int, location: str,
                interpreter_name: str | None) -> dict[str, Any]:
    """The derived columns of a slot (see Hearing), for the services and the bulk writer."""
    return {"ends_at": starts_at + timedelta(minutes=duration_minutes),
            "location_key": normalise_key(location),
            "interpreter_key": normalise_key(interpreter_name)}


def _single_line(value: str | None) -> str | None:
    return " ".join((value or "").split()) or None


def _has_control_characters(value: str) -> bool:
    return any(unicodedata.category(char) == "Cc" and char not in "\t\n\r" for char in value)


# --- checks --------------------------------------------------------------------------------

def _check(session: Session, case: Case, data: HearingData, *, moving: bool,
           now: datetime) -> tuple[dict[str, Any], User | None]:
    """The booking's values, cleaned, or every problem with it at once."""
    if case.status not in lifecycle.PENDING:
        raise InvalidTransition(_(
            "Hearings are scheduled only while the application is pending; this one is "
            "“%(status)s”.", status=case.status.label))
    errors: dict[str, list[str]] = {}
    try:
        kind = HearingKind(data.kind)
    except ValueError:
        errors["kind"] = [_("Choose the kind of hearing.")]
        kind = None
    starts_at = data.starts_at
    if starts_at is None or starts_at.tzinfo is None:
        errors["starts_at"] = [_("Give the date and time the hearing starts.")]
    elif moving and starts_at <= now:
        errors["starts_at"] = [_("A hearing cannot be scheduled in the past.")]
    duration = data.duration_minutes
    if not isinstance(duration, int) or duration < 1:
        errors["duration_minutes"] = [_("The hearing must last at least one minute: its end "
                                        "must be after its start.")]
    elif duration > MAX_DURATION_MINUTES:
        errors["duration_minutes"] = [_("A hearing lasts at most 12 hours (%(n)d minutes).",
                                        n=MAX_DURATION_MINUTES)]
    location = _single_line(data.location)
    interpreter_name = _single_line(data.interpreter_name)
    for name, value, required in (("location", location, True),
                                  ("interpreter_name", interpreter_name, False)):
        if required and not value:
            errors[name] = [_("Give the place or room.")]
        elif value and len(value) > MAX_TEXT:
            errors[name] = [_("At most %(n)d characters.", n=MAX_TEXT)]
        elif value and _has_control_characters(value):
            errors[name] = [_("Remove the control characters from this field.")]
    language = (data.interpreter_language or "").strip().lower() or None
    if language is not None and language not in language_codes():
        errors["interpreter_language"] = [_("Unknown ISO 639-3 language code: %(code)s.",
                                            code=language[:20])]
    # Optional: a slot may be booked before the interviewer is known, and hearings before
    # the Refugee Committee or a court have nobody of ours presiding.
    interviewer = None
    if data.interviewer_id is not None:
        interviewer = session.get(User, data.interviewer_id)
        if (interviewer is None or not interviewer.is_active
                or interviewer.organisation_id != case.applicant.agency_id
                or not can(interviewer, Action.SCHEDULE_HEARING)):
            errors["interviewer_id"] = [_("Choose an active caseworker or supervisor of the "
                                          "applicant's agency.")]
    if errors:
        raise ValidationFailed(errors)
    values = {
        "kind": kind, "starts_at": starts_at, "duration_minutes": duration,
        "location": location, "interviewer_id": data.interviewer_id,
        "interpreter_name": interpreter_name, "interpreter_language": language,
        "representative_attending": bool(data.representative_attending),
        "same_sex_interviewer_requested": bool(data.same_sex_interviewer_requested),
        "recording_consent": bool(data.recording_consent),
    }
    values.update(slot_values(starts_at, duration, location or "", interpreter_name))
    return values, interviewer


def warnings_for(applicant: Applicant, *, interpreter_language: str | None,
                 same_sex_interviewer_requested: bool, interviewer: User | None) -> list[str]:
    """What deserves a second look but does not stop a booking."""
    found = []
    names = language_names()
    if interpreter_language:
        spoken = applicant.language_codes
        language = names.get(interpreter_language, interpreter_language)
        if not spoken:
            found.append(_("No language is recorded for the applicant: check that they speak "
                           "%(language)s, the interpreter's language.", language=language))
        elif interpreter_language not in spoken:
            found.append(_(
                "The interpreter's language (%(language)s) is not one of the applicant's "
                "languages (%(spoken)s).", language=language,
                spoken=", ".join(names.get(code, code) for code in spoken)))
    elif applicant.interpreter_needed:
        found.append(_("The applicant needs an interpreter, but none is booked."))
    if same_sex_interviewer_requested:
        if interviewer is None:
            found.append(_("An interviewer of the applicant's sex was requested, but no "
                           "interviewer is assigned."))
        elif interviewer.sex is None:
            found.append(_("An interviewer of the applicant's sex was requested, but the sex "
                           "of %(name)s is not recorded.", name=display_name(interviewer)))
        elif interviewer.sex != applicant.sex:
            found.append(_("An interviewer of the applicant's sex was requested, but %(name)s "
                           "is not of the applicant's sex.", name=display_name(interviewer)))
    return found


def hearing_warnings(hearing: Hearing) -> list[str]:
    """The warnings of a stored hearing (shown on its page while it is scheduled)."""
    if hearing.status != HearingStatus.SCHEDULED:
        return []
    return warnings_for(hearing.applicant, interpreter_language=hearing.interpreter_language,
                        same_sex_interviewer_requested=hearing.same_sex_interviewer_requested,
                        interviewer=hearing.interviewer)


def display_name(user: User) -> str:
    return user.full_name or user.username


# --- conflicts -----------------------------------------------------------------------------

def _lock_resources(session: Session, values: dict[str, Any], applicant_id: int) -> None:
    """Make concurrent bookings of the same interviewer, interpreter, room or applicant
    wait for each other until commit (PostgreSQL advisory locks), so two workers cannot
    both see a free slot. SQLite admits one writer at a time anyway."""
    if session.get_bind().dialect.name != "postgresql":
        return
    keys = {f"hearing-applicant:{applicant_id}", f"hearing-room:{values['location_key']}"}
    if values["interviewer_id"] is not None:
        keys.add(f"hearing-interviewer:{values['interviewer_id']}")
    if values["interpreter_key"]:
        keys.add(f"hearing-interpreter:{values['interpreter_key']}")
    for key in sorted(keys):
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtext(key))))


def find_conflicts(session: Session, values: dict[str, Any], *, applicant_id: int,
                   exclude_id: int | None = None, viewer: User | None = None
                   ) -> list[Conflict]:
    """Scheduled hearings that overlap the slot and share a resource with it.

    Overlap of half-open slots: other.starts_at < ends_at and other.ends_at > starts_at.
    As no hearing lasts more than 12 hours, other.ends_at also lies below
    ends_at + 12 hours, which bounds each (resource, status, ends_at) index range scan.
    Clashes outside the viewer's scope are described without naming the person.
    """
    starts_at, ends_at = values["starts_at"], values["ends_at"]
    resources = [(Hearing.applicant_id, applicant_id, "applicant"),
                 (Hearing.location_key, values["location_key"], "location"),
                 (Hearing.interviewer_id, values["interviewer_id"], "interviewer"),
                 (Hearing.interpreter_key, values["interpreter_key"], "interpreter")]
    conflicts: list[Conflict] = []
    seen: set[tuple[int, str]] = set()
    for column, value, resource in resources:
        if value is None:
            continue
        query = (sa.select(Hearing).options(joinedload(Hearing.applicant),
                                            joinedload(Hearing.interviewer))
                 .where(column == value, Hearing.status == HearingStatus.SCHEDULED,
                        Hearing.ends_at > starts_at,
                        Hearing.ends_at < ends_at + timedelta(minutes=MAX_DURATION_MINUTES),
                        Hearing.starts_at < ends_at)
                 .order_by(Hearing.starts_at, Hearing.id))
        if exclude_id is not None:
            query = query.where(Hearing.id != exclude_id)
        for other in session.execute(query).scalars():
            if (other.id, resource) not in seen:
                seen.add((other.id, resource))
                conflicts.append(Conflict(other, _describe(other, resource, viewer)))
    return conflicts


def _describe(other: Hearing, resource: str, viewer: User | None) -> str:
    who = {
        "applicant": _("The applicant"),
        "location": _("Room “%(room)s”", room=other.location),
        "interviewer": _("Interviewer %(name)s",
                         name=display_name(other.interviewer) if other.interviewer else "?"),
        "interpreter": _("Interpreter %(name)s", name=other.interpreter_name or ""),
    }[resource]
    start, end = times.local(other.starts_at), times.local(other.ends_at)
    slot = f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}"
    if viewer is not None and not in_scope(viewer, other):
        return _("%(who)s is already booked %(slot)s for a hearing outside your scope.",
                 who=who, slot=slot)
    return _("%(who)s is already booked %(slot)s: %(kind)s of %(number)s (hearing %(id)d).",
             who=who, slot=slot, kind=other.kind.label,
             number=other.applicant.registration_no, id=other.id)


# --- scheduling and changes ----------------------------------------------------------------

def schedule_hearing(session: Session, case: Case, data: HearingData, *, actor: User | None,
                     now: datetime | None = None) -> Booking:
    """Book a hearing of a case, or refuse naming every clash; returns the warnings."""
    now = now or utcnow()
    if actor is not None and not can(actor, Action.SCHEDULE_HEARING, case):
        raise PermissionDenied(_("Your role cannot schedule hearings."))
    values, interviewer = _check(session, case, data, moving=True, now=now)
    _lock_resources(session, values, case.applicant_id)
    conflicts = find_conflicts(session, values, applicant_id=case.applicant_id, viewer=actor)
    if conflicts:
        raise SchedulingConflict(conflicts)
    hearing = Hearing(case_id=case.id, applicant_id=case.applicant_id,
                      status=HearingStatus.SCHEDULED, created_by_id=getattr(actor, "id", None),
                      **values)
    session.add(hearing)
    session.flush()
    record(session, AuditAction.HEARING_SCHEDULED, actor=actor, subject=hearing, details={
        "case_id": case.id, **{name: values[name] for name in DATA_FIELDS},
        "version": hearing.version})
    return Booking(hearing, warnings_for(
        case.applicant, interpreter_language=values["interpreter_language"],
        same_sex_interviewer_requested=values["same_sex_interviewer_requested"],
        interviewer=interviewer))


def update_hearing(session: Session, hearing: Hearing, data: HearingData, *, version: int,
                   actor: User | None, now: datetime | None = None) -> Booking:
    """Move a scheduled hearing or change its details (a versioned edit, checked again
    for clashes); a hearing is never moved into the past."""
    now = now or utcnow()
    ensure_current(session, hearing, version)
    if actor is not None and not can(actor, Action.SCHEDULE_HEARING, hearing):
        raise PermissionDenied(_("Your role cannot schedule hearings."))
    if hearing.status != HearingStatus.SCHEDULED:
        raise InvalidTransition(_("Only a scheduled hearing can be changed. This one is "
                                  "“%(status)s”: schedule a new one instead.",
                                  status=hearing.status.label))
    moving = data.starts_at != hearing.starts_at
    values, interviewer = _check(session, hearing.case, data, moving=moving, now=now)
    _lock_resources(session, values, hearing.applicant_id)
    conflicts = find_conflicts(session, values, applicant_id=hearing.applicant_id,
                               exclude_id=hearing.id, viewer=actor)
    if conflicts:
        raise SchedulingConflict(conflicts)
    changes = apply_changes(hearing, values)
    for name in DERIVED_FIELDS:
        changes.pop(name, None)
    if changes:
        flush_versioned(session, hearing, version)
        record(session, AuditAction.HEARING_UPDATED, actor=actor, subject=hearing,
               details={"changes": changes, "version": hearing.version})
    return Booking(hearing, warnings_for(
        hearing.applicant, interpreter_language=values["interpreter_language"],
        same_sex_interviewer_requested=values["same_sex_interviewer_requested"],
        interviewer=interviewer))


def record_outcome(session: Session, hearing: Hearing, *, status: HearingStatus | str,
                   outcome_note: str, version: int, actor: User | None,
                   now: datetime | None = None) -> None:
    """Mark a hearing held, postponed, cancelled or missed (or correct that), and keep the
    case's no-show count current. Past hearings are fine here: that is when outcomes are
    known. Only a hearing that has started can have been held or missed."""
    now = now or utcnow()
    ensure_current(session, hearing, version)
    if actor is not None and not can(actor, Action.RECORD_HEARING_OUTCOME, hearing):
        raise PermissionDenied(_("Your role cannot record hearing outcomes."))
    errors: dict[str, list[str]] = {}
    try:
        outcome = HearingStatus(status)
    except ValueError:
        outcome = None
    if outcome not in OUTCOMES:
        errors["status"] = [_("Choose held, postponed, cancelled or did not appear.")]
    elif outcome in {HearingStatus.HELD, HearingStatus.NO_SHOW} and hearing.starts_at > now:
        errors["status"] = [_("The hearing has not started yet: it cannot have been held or "
                              "missed. Postpone or cancel it instead.")]
    note = (outcome_note or "").strip()
    if len(note) > MAX_NOTE:
        errors["outcome_note"] = [_("At most %(n)d characters.", n=MAX_NOTE)]
    elif _has_control_characters(note):
        errors["outcome_note"] = [_("Remove the control characters from this field.")]
    if errors:
        raise ValidationFailed(errors)
    changes = apply_changes(hearing, {"status": outcome, "outcome_note": note or None},
                            sensitive=frozenset({"outcome_note"}))
    if not changes:
        return
    flush_versioned(session, hearing, version)
    no_shows = refresh_attendance(session, hearing.case_id) if "status" in changes else None
    record(session, AuditAction.HEARING_OUTCOME_RECORDED, actor=actor, subject=hearing,
           details={"changes": changes, "case_no_shows": no_shows, "version": hearing.version})


def refresh_attendance(session: Session, case_id: int) -> int:
    """Recount the case's no-shows into CaseAttendance (a correction can lower it)."""
    count = session.execute(sa.select(sa.func.count()).select_from(Hearing).where(
        Hearing.case_id == case_id, Hearing.status == HearingStatus.NO_SHOW)).scalar_one()
    insert = dialect_insert(session)
    session.execute(insert(CaseAttendance).values(case_id=case_id, no_shows=count)
                    .on_conflict_do_update(index_elements=["case_id"],
                                           set_={"no_shows": count}))
    return count


def no_shows(session: Session, case_id: int) -> int:
    return session.execute(sa.select(CaseAttendance.no_shows).where(
        CaseAttendance.case_id == case_id)).scalar_one_or_none() or 0


# --- reads ---------------------------------------------------------------------------------

def case_hearings(session: Session, case_id: int) -> list[Hearing]:
    return list(session.execute(
        sa.select(Hearing).where(Hearing.case_id == case_id)
        .options(joinedload(Hearing.interviewer)).order_by(Hearing.starts_at, Hearing.id)
    ).scalars())


@dataclass(frozen=True)
class AgendaFilter:
    kind: str | None = None
    interviewer_id: int | None = None
    interpreter: str | None = None
    location: str | None = None
    status: str | None = None
    case_id: int | None = None


def agenda(session: Session, user: User, start: datetime, end: datetime,
           criteria: AgendaFilter) -> list[Hearing]:
    """The hearings in the user's scope starting in [start, end), earliest first."""
    return list(session.execute(agenda_query(user, criteria, start=start, end=end)).scalars())


def agenda_query(user: User, criteria: AgendaFilter, *, start: datetime | None = None,
                 end: datetime | None = None) -> sa.Select[tuple[Hearing]]:
    """The hearings in the user's scope matching the agenda's filters (starting in
    [start, end) when given), earliest first: the agenda page and the API list."""
    query = (sa.select(Hearing).join(Hearing.applicant).where(applicant_scope(user))
             .options(joinedload(Hearing.applicant), joinedload(Hearing.interviewer)))
    if start is not None:
        query = query.where(Hearing.starts_at >= start)
    if end is not None:
        query = query.where(Hearing.starts_at < end)
    if criteria.kind:
        query = query.where(Hearing.kind == HearingKind(criteria.kind))
    if criteria.status:
        query = query.where(Hearing.status == HearingStatus(criteria.status))
    if criteria.interviewer_id:
        query = query.where(Hearing.interviewer_id == criteria.interviewer_id)
    if criteria.case_id:
        query = query.where(Hearing.case_id == criteria.case_id)
    for column, text in ((Hearing.interpreter_key, criteria.interpreter),
                         (Hearing.location_key, criteria.location)):
        key = normalise_key(text)
        if key:
            query = query.where(column.startswith(key, autoescape=True))
    return query.order_by(Hearing.starts_at, Hearing.id)


def record_view(session: Session, hearing: Hearing, *, actor: User,
                action: AuditAction = AuditAction.HEARING_VIEWED) -> None:
    """A hearing page names a person: its views count as views of their file."""
    record(session, action, actor=actor, subject=hearing)


def record_agenda_search(session: Session, filters: dict[str, Any], results: int, *,
                         actor: User) -> None:
    record(session, AuditAction.HEARINGS_LISTED, actor=actor,
           details={"filters": filters, "results": results})


# --- calendar feed -------------------------------------------------------------------------

def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def active_feed(session: Session, user: User) -> CalendarFeed | None:
    return session.execute(sa.select(CalendarFeed).where(
        CalendarFeed.user_id == user.id, CalendarFeed.revoked_at.is_(None))).scalar()


def create_feed(session: Session, user: User, *, actor: User) -> str:
    """A new secret feed address for `user` (replacing any earlier one); returns the token,
    which exists nowhere else: only its hash is stored."""
    if not can(user, Action.SUBSCRIBE_CALENDAR):
        raise PermissionDenied(_("Your role has no hearings to subscribe to."))
    revoke_feed(session, user, actor=actor)
    token = secrets.token_urlsafe(32)
    feed = CalendarFeed(user_id=user.id, token_hash=_token_hash(token))
    session.add(feed)
    session.flush()
    record(session, AuditAction.CALENDAR_FEED_CREATED, actor=actor, subject=feed,
           details={"user_id": user.id})
    return token


def revoke_feed(session: Session, user: User, *, actor: User) -> bool:
    """End the user's feed address at once; True when there was one."""
    feed = active_feed(session, user)
    if feed is None:
        return False
    feed.revoked_at = utcnow()
    session.flush()
    record(session, AuditAction.CALENDAR_FEED_REVOKED, actor=actor, subject=feed,
           details={"user_id": user.id})
    return True


def feed_for_token(session: Session, token: str) -> CalendarFeed | None:
    """The live feed a token opens: not revoked, its user active and still entitled."""
    if not token or len(token) > 100:
        return None
    feed = session.execute(sa.select(CalendarFeed).where(
        CalendarFeed.token_hash == _token_hash(token), CalendarFeed.revoked_at.is_(None))
    ).scalar()
    if feed is None or not can(feed.user, Action.SUBSCRIBE_CALENDAR):
        return None
    return feed


def feed_hearings(session: Session, user: User, now: datetime) -> list[Hearing]:
    """The hearings of a feed: the user's scope, 30 days back to 180 days ahead."""
    return list(session.execute(
        sa.select(Hearing).join(Hearing.applicant)
        .where(applicant_scope(user),
               Hearing.starts_at >= now - timedelta(days=FEED_DAYS_BACK),
               Hearing.starts_at < now + timedelta(days=FEED_DAYS_AHEAD))
        .options(joinedload(Hearing.applicant)).order_by(Hearing.starts_at, Hearing.id)
    ).scalars())


def fetch_feed(session: Session, feed: CalendarFeed, *, now: datetime | None = None) -> bytes:
    """The iCalendar document of a feed. Events carry the kind, the registration number,
    time and place only: no names, no notes. Fetches are audited at most once per
    FETCH_AUDIT_INTERVAL, with the number of fetches since the last audit event."""
    now = now or utcnow()
    hearings = feed_hearings(session, feed.user, now)
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//casemgr//hearings//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", _("casemgr hearings"))
    for hearing in hearings:
        event = icalendar.Event()
        event.add("uid", f"hearing-{hearing.id}@casemgr")
        event.add("dtstamp", now)
        event.add("dtstart", hearing.starts_at)
        event.add("dtend", hearing.ends_at)
        event.add("summary", f"{hearing.kind.label}: {hearing.applicant.registration_no}")
        event.add("location", hearing.location)
        event.add("sequence", hearing.version)
        event.add("status", "CONFIRMED" if hearing.status in {
            HearingStatus.SCHEDULED, HearingStatus.HELD, HearingStatus.NO_SHOW}
            else "CANCELLED")
        calendar.add_component(event)
    feed.last_fetched_at = now
    feed.unaudited_fetches += 1
    if feed.audited_at is None or now - feed.audited_at >= FETCH_AUDIT_INTERVAL:
        record(session, AuditAction.CALENDAR_FEED_FETCHED, actor=feed.user, subject=feed,
               details={"fetches": feed.unaudited_fetches, "events": len(hearings)})
        feed.audited_at = now
        feed.unaudited_fetches = 0
    session.flush()
    return calendar.to_ical()
