"""Writing, querying and verifying the audit trail.

Every service that reads or changes personal data calls `record`. Appends are serialised
(the chain head's row lock on PostgreSQL, the write lock on SQLite: see AuditChainHead)
so the chain never forks when several workers write at once.
"""

from __future__ import annotations

import enum
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from casemgr.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent
from casemgr.database import dialect_insert, insert_rows, utcnow


class AuditAction(enum.StrEnum):
    LOGIN = "auth.login"
    LOGIN_FAILED = "auth.login_failed"
    LOCKOUT = "auth.lockout"
    LOGOUT = "auth.logout"
    LOGOUT_EVERYWHERE = "auth.logout_everywhere"
    SESSION_EXPIRED = "auth.session_expired"
    TWO_FACTOR_ENABLED = "auth.two_factor_enabled"
    TWO_FACTOR_DISABLED = "auth.two_factor_disabled"
    RECOVERY_CODE_USED = "auth.recovery_code_used"
    RECOVERY_CODES_RENEWED = "auth.recovery_codes_renewed"
    PASSWORD_CHANGED = "auth.password_changed"  # noqa: S105 - an action name, not a secret
    PERMISSION_DENIED = "auth.permission_denied"
    USER_CREATED = "user.created"
    USER_UPDATED = "user.updated"
    USER_DEACTIVATED = "user.deactivated"
    USER_REACTIVATED = "user.reactivated"
    ORGANISATION_CREATED = "organisation.created"
    ORGANISATION_UPDATED = "organisation.updated"
    ORGANISATION_DEACTIVATED = "organisation.deactivated"
    ORGANISATION_REACTIVATED = "organisation.reactivated"
    AUDIT_VIEWED = "audit.viewed"
    AUDIT_EXPORTED = "audit.exported"
    AUDIT_VERIFIED = "audit.verified"
    APPLICANT_REGISTERED = "applicant.registered"
    APPLICANT_UPDATED = "applicant.updated"
    APPLICANT_VIEWED = "applicant.viewed"
    APPLICANTS_SEARCHED = "applicant.searched"
    ACCESS_LOG_VIEWED = "applicant.access_log_viewed"
    DUPLICATE_LINKED = "applicant.duplicate_linked"
    DUPLICATE_DISMISSED = "applicant.duplicate_dismissed"
    SHARING_GRANTED = "applicant.sharing_granted"
    SHARING_REVOKED = "applicant.sharing_revoked"
    CASE_LODGED = "case.lodged"
    CASE_VIEWED = "case.viewed"
    CASE_UPDATED = "case.updated"
    CASE_TRANSITIONED = "case.transitioned"
    DEADLINE_EXTENDED = "case.deadline_extended"
    NOTE_ADDED = "case.note_added"
    STATISTICS_DOWNLOADED = "statistics.downloaded"
    STATISTICS_EXPORTED = "statistics.exported"
    HEARING_SCHEDULED = "hearing.scheduled"
    HEARING_UPDATED = "hearing.updated"
    HEARING_OUTCOME_RECORDED = "hearing.outcome_recorded"
    HEARING_VIEWED = "hearing.viewed"
    HEARING_NOTICE_PRINTED = "hearing.notice_printed"
    HEARINGS_LISTED = "hearing.listed"
    CALENDAR_FEED_CREATED = "calendar.feed_created"
    CALENDAR_FEED_REVOKED = "calendar.feed_revoked"
    CALENDAR_FEED_FETCHED = "calendar.feed_fetched"
    SPECIFIC_NEED_RECORDED = "need.specific_recorded"
    SPECIFIC_NEED_REMOVED = "need.specific_removed"
    NEED_OPENED = "need.opened"
    NEED_UPDATED = "need.updated"
    NEED_VIEWED = "need.viewed"
    NEEDS_VIEWED = "need.person_viewed"
    NEEDS_LISTED = "need.listed"
    RECORDS_IMPORTED = "applicant.imported"
    RECORDS_EXPORTED = "applicant.exported"
    API_TOKEN_CREATED = "api.token_created"  # noqa: S105 - an action name, not a secret
    API_TOKEN_REVOKED = "api.token_revoked"  # noqa: S105 - an action name, not a secret
    CASES_LISTED = "case.listed"
    APPLICANT_ANONYMISED = "applicant.anonymised"
    RETENTION_RUN = "retention.run"

    @property
    def label(self) -> str:
        return str(ACTION_LABELS.get(self, self.value))


ACTION_LABELS = {
    AuditAction.AUDIT_EXPORTED: _l("Audit log exported"),
    AuditAction.LOGIN: _l("Logged in"),
    AuditAction.LOGIN_FAILED: _l("Failed login"),
    AuditAction.LOCKOUT: _l("Account locked"),
    AuditAction.LOGOUT: _l("Logged out"),
    AuditAction.LOGOUT_EVERYWHERE: _l("Logged out everywhere"),
    AuditAction.SESSION_EXPIRED: _l("Session expired"),
    AuditAction.TWO_FACTOR_ENABLED: _l("Two-factor login turned on"),
    AuditAction.TWO_FACTOR_DISABLED: _l("Two-factor login turned off"),
    AuditAction.RECOVERY_CODE_USED: _l("Recovery code used"),
    AuditAction.RECOVERY_CODES_RENEWED: _l("Recovery codes renewed"),
    AuditAction.PASSWORD_CHANGED: _l("Password changed"),
    AuditAction.PERMISSION_DENIED: _l("Permission refused"),
    AuditAction.USER_CREATED: _l("User created"),
    AuditAction.USER_UPDATED: _l("User changed"),
    AuditAction.USER_DEACTIVATED: _l("User deactivated"),
    AuditAction.USER_REACTIVATED: _l("User reactivated"),
    AuditAction.ORGANISATION_CREATED: _l("Organisation created"),
    AuditAction.ORGANISATION_UPDATED: _l("Organisation changed"),
    AuditAction.ORGANISATION_DEACTIVATED: _l("Organisation deactivated"),
    AuditAction.ORGANISATION_REACTIVATED: _l("Organisation reactivated"),
    AuditAction.AUDIT_VIEWED: _l("Audit log viewed"),
    AuditAction.AUDIT_VERIFIED: _l("Audit chain verified"),
    AuditAction.APPLICANT_REGISTERED: _l("Applicant registered"),
    AuditAction.APPLICANT_UPDATED: _l("Applicant changed"),
    AuditAction.APPLICANT_VIEWED: _l("Applicant viewed"),
    AuditAction.APPLICANTS_SEARCHED: _l("Applicants searched"),
    AuditAction.ACCESS_LOG_VIEWED: _l("Access log viewed"),
    AuditAction.DUPLICATE_LINKED: _l("Linked to an existing person"),
    AuditAction.DUPLICATE_DISMISSED: _l("Confirmed not the same person"),
    AuditAction.SHARING_GRANTED: _l("Sharing with an NGO granted"),
    AuditAction.SHARING_REVOKED: _l("Sharing with an NGO revoked"),
    AuditAction.CASE_LODGED: _l("Application lodged"),
    AuditAction.CASE_VIEWED: _l("Case viewed"),
    AuditAction.CASE_UPDATED: _l("Case changed"),
    AuditAction.CASE_TRANSITIONED: _l("Case status changed"),
    AuditAction.DEADLINE_EXTENDED: _l("Deadline extended"),
    AuditAction.NOTE_ADDED: _l("Note added"),
    AuditAction.STATISTICS_DOWNLOADED: _l("Statistics downloaded"),
    AuditAction.STATISTICS_EXPORTED: _l("Statistics exported (command line)"),
    AuditAction.HEARING_SCHEDULED: _l("Hearing scheduled"),
    AuditAction.HEARING_UPDATED: _l("Hearing changed"),
    AuditAction.HEARING_OUTCOME_RECORDED: _l("Hearing outcome recorded"),
    AuditAction.HEARING_VIEWED: _l("Hearing viewed"),
    AuditAction.HEARING_NOTICE_PRINTED: _l("Hearing notice opened for printing"),
    AuditAction.HEARINGS_LISTED: _l("Hearings agenda searched"),
    AuditAction.CALENDAR_FEED_CREATED: _l("Calendar feed created"),
    AuditAction.CALENDAR_FEED_REVOKED: _l("Calendar feed revoked"),
    AuditAction.CALENDAR_FEED_FETCHED: _l("Calendar feed fetched"),
    AuditAction.SPECIFIC_NEED_RECORDED: _l("Specific need recorded"),
    AuditAction.SPECIFIC_NEED_REMOVED: _l("Specific need removed"),
    AuditAction.NEED_OPENED: _l("Assistance need opened"),
    AuditAction.NEED_UPDATED: _l("Assistance need changed"),
    AuditAction.NEED_VIEWED: _l("Assistance need viewed"),
    AuditAction.NEEDS_VIEWED: _l("Needs of a person viewed"),
    AuditAction.NEEDS_LISTED: _l("Needs list searched"),
    AuditAction.RECORDS_IMPORTED: _l("Applicant records imported"),
    AuditAction.RECORDS_EXPORTED: _l("Applicant records exported"),
    AuditAction.API_TOKEN_CREATED: _l("API token created"),
    AuditAction.API_TOKEN_REVOKED: _l("API token revoked"),
    AuditAction.CASES_LISTED: _l("Cases listed"),
    AuditAction.APPLICANT_ANONYMISED: _l("Applicant anonymised (retention)"),
    AuditAction.RETENTION_RUN: _l("Retention run"),
}

# What "who saw this file" lists.
READ_ACTIONS = frozenset({AuditAction.APPLICANT_VIEWED, AuditAction.CASE_VIEWED,
                          AuditAction.HEARING_VIEWED, AuditAction.HEARING_NOTICE_PRINTED,
                          AuditAction.NEED_VIEWED, AuditAction.NEEDS_VIEWED})


def canonical_bytes(fields: dict[str, Any]) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def compute_hash(event: AuditEvent) -> str:
    return hashlib.sha256(canonical_bytes(event.canonical_fields())).hexdigest()


def _json_safe(value: Any) -> Any:
    """Details as they will come back from a JSON column, so the hash survives storage."""
    def convert(item: Any) -> Any:
        if isinstance(item, datetime | date | time):
            return item.isoformat()
        if isinstance(item, enum.Enum):
            return item.value
        return str(item)

    return json.loads(json.dumps(value, default=convert))


# The head row through Core: as an ORM-enabled UPDATE each of its two statements cost about
# 0.6 ms of SQLAlchemy's bookkeeping on every audited request, for a row no code loads.
_HEAD = AuditChainHead.__table__


def _chain_head(session: Session) -> str:
    """Take the chain for this transaction and return its newest hash.

    The UPDATE locks the head row until commit (see AuditChainHead), so appends from
    several workers queue up instead of forking the chain.
    """
    session.flush()  # the caller's own changes first, then the chain: the lock order stays
    lock = (sa.update(_HEAD).where(_HEAD.c.id == 1)
            .values(events=_HEAD.c.events).returning(_HEAD.c.last_hash))
    head = session.execute(lock).scalar_one_or_none()
    if head is None:  # an empty database: the first event ever
        session.execute(dialect_insert(session)(AuditChainHead).values(
            id=1, last_hash=GENESIS_HASH, events=0).on_conflict_do_nothing())
        head = session.execute(lock).scalar_one()
    return head


def _advance_head(session: Session, last_hash: str, count: int) -> None:
    session.execute(sa.update(_HEAD).where(_HEAD.c.id == 1).values(
        last_hash=last_hash, events=_HEAD.c.events + count))


def _attribute(subject: Any, name: str) -> Any:
    """Subjects are model objects, or plain dicts from the bulk writer."""
    if isinstance(subject, dict):
        return subject.get(name)
    return getattr(subject, name, None)


def record(
    session: Session,
    action: AuditAction | str,
    *,
    actor: Any | None = None,
    subject: Any | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Append one event to the chain (written, not committed: it commits with the change).

    `actor` is a User or None (the CLI, or a failed login for an unknown name). `subject`
    is the record the event is about: a model with an `audit_type` and, when it concerns
    a person, an `audit_person_id`. The client address comes from
    `session.info["client"]`, which the web layer fills per request.
    """
    record_many(session, action, actor=actor, events=[(subject, details or {})])


def record_many(
    session: Session,
    action: AuditAction | str,
    *,
    actor: Any | None,
    events: list[tuple[Any, dict[str, Any]]],
) -> None:
    """Append one event per (subject, details) pair in a single INSERT statement (one row
    for a page view, a batch for an import); the chain is the same either way.

    Rows through Core, not ORM AuditEvent objects: the unit of work cost more than the
    hashing, on every audited request (no code reads an event back in the transaction
    that wrote it)."""
    if not events:
        return
    previous = _chain_head(session)
    rows = []
    client = session.info.get("client") or {}
    common = {"actor_id": getattr(actor, "id", None),
              "actor_name": getattr(actor, "username", None), "action": str(action),
              "ip_address": client.get("ip_address")}
    for subject, details in events:
        row = _EventRow(
            occurred_at=utcnow(), object_type=_attribute(subject, "audit_type"),
            object_id=None if subject is None else str(_attribute(subject, "id")),
            applicant_id=_attribute(subject, "audit_person_id"),
            details=_json_safe(details or {}), prev_hash=previous, **common)
        row["hash"] = previous = hashlib.sha256(canonical_bytes(
            AuditEvent.canonical_fields(row))).hexdigest()  # type: ignore[arg-type]
        rows.append(row)
    insert_rows(session.connection(), AuditEvent.__table__, rows)
    _advance_head(session, previous, len(rows))


class _EventRow(dict[str, Any]):
    """An audit_events row (a dict for the INSERT) whose values also read as attributes,
    so `AuditEvent.canonical_fields` hashes it exactly as it hashes a model object."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

@dataclass(frozen=True)
class ChainReport:
    events: int
    broken_at: int | None = None
    problem: str | None = None

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def verify_chain(session: Session) -> ChainReport:
    """Walk the whole trail in order and recompute every link."""
    expected_prev = GENESIS_HASH
    count = 0
    rows = session.execute(
        sa.select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=2000)
    ).scalars()
    last_id = None
    for event in rows:
        if event.prev_hash != expected_prev:
            return ChainReport(count, event.id, "does not link to the event before it")
        if compute_hash(event) != event.hash:
            return ChainReport(count, event.id, "its content does not match its hash")
        expected_prev = event.hash
        last_id = event.id
        count += 1
    head = session.get(AuditChainHead, 1)
    if head is not None and head.last_hash != expected_prev:
        return ChainReport(count, last_id, "is not the newest event the chain recorded: "
                           "events after it were removed")
    return ChainReport(count)


@dataclass(frozen=True)
class AuditFilter:
    person: str | None = None  # a registration number: every event about that person
    actor: str | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    timezone: tzinfo = UTC


def filtered_events(criteria: AuditFilter) -> sa.Select[tuple[AuditEvent]]:
    """The audit events matching the filter, newest first; days are in the user's zone."""
    query = sa.select(AuditEvent)
    if criteria.person:
        from casemgr.applicants.models import Applicant  # the audit package sits below

        query = query.where(AuditEvent.applicant_id == sa.select(Applicant.id).where(
            Applicant.registration_no == criteria.person.strip()).scalar_subquery())
    if criteria.actor:
        query = query.where(AuditEvent.actor_name == criteria.actor.strip().lower())
    if criteria.action:
        query = query.where(AuditEvent.action == criteria.action)
    if criteria.object_type:
        query = query.where(AuditEvent.object_type == criteria.object_type)
    if criteria.object_id:
        query = query.where(AuditEvent.object_id == criteria.object_id.strip())
    if criteria.date_from:
        start = datetime.combine(criteria.date_from, time.min, tzinfo=criteria.timezone)
        query = query.where(AuditEvent.occurred_at >= start)
    if criteria.date_to:
        end = datetime.combine(criteria.date_to + timedelta(days=1), time.min,
                               tzinfo=criteria.timezone)
        query = query.where(AuditEvent.occurred_at < end)
    return query.order_by(AuditEvent.id.desc())

