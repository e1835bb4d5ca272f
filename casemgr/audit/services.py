"""Writing, querying and verifying the audit trail.

Every service that reads or changes personal data calls `record`. Appends are serialised
(an advisory lock on PostgreSQL; SQLite allows one writer at a time anyway) so the chain
never forks when several workers write at once.
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

from casemgr.audit.models import GENESIS_HASH, AuditEvent
from casemgr.database import utcnow

# Any constant will do; it only has to be the same for every worker.
AUDIT_CHAIN_LOCK = 0x6361_7365_6D67_72


class AuditAction(enum.StrEnum):
    LOGIN = "auth.login"
    LOGIN_FAILED = "auth.login_failed"
    LOCKOUT = "auth.lockout"
    LOGOUT = "auth.logout"
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

    @property
    def label(self) -> str:
        return str(ACTION_LABELS.get(self, self.value))


ACTION_LABELS = {
    AuditAction.LOGIN: _l("Logged in"),
    AuditAction.LOGIN_FAILED: _l("Failed login"),
    AuditAction.LOCKOUT: _l("Account locked"),
    AuditAction.LOGOUT: _l("Logged out"),
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
}

# What "who saw this file" lists.
READ_ACTIONS = frozenset({AuditAction.APPLICANT_VIEWED, AuditAction.CASE_VIEWED})


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


def record(
    session: Session,
    action: AuditAction | str,
    *,
    actor: Any | None = None,
    subject: Any | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain (flushed, not committed: it commits with the change).

    `actor` is a User or None (the CLI, or a failed login for an unknown name). `subject`
    is the record the event is about: a model with an `audit_type` and, when it concerns
    a person, an `audit_person_id`. The client address comes from
    `session.info["client"]`, which the web layer fills per request.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(AUDIT_CHAIN_LOCK)))
    previous = session.execute(
        sa.select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).scalar_one_or_none()
    client = session.info.get("client") or {}
    event = AuditEvent(
        occurred_at=utcnow(),
        actor_id=getattr(actor, "id", None),
        actor_name=getattr(actor, "username", None),
        action=str(action),
        object_type=getattr(subject, "audit_type", None),
        object_id=None if subject is None else str(subject.id),
        applicant_id=getattr(subject, "audit_person_id", None),
        details=_json_safe(details or {}),
        ip_address=client.get("ip_address"),
        prev_hash=previous or GENESIS_HASH,
    )
    event.hash = compute_hash(event)
    session.add(event)
    session.flush()
    return event


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
    for event in rows:
        if event.prev_hash != expected_prev:
            return ChainReport(count, event.id, "does not link to the event before it")
        if compute_hash(event) != event.hash:
            return ChainReport(count, event.id, "its content does not match its hash")
        expected_prev = event.hash
        count += 1
    return ChainReport(count)


@dataclass(frozen=True)
class AuditFilter:
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

