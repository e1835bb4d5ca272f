"""Helpers every service uses to update a versioned record and describe the change."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from casemgr.exceptions import StaleRecord

SENSITIVE_VALUE = "(changed; value not recorded)"


def apply_changes(
    record: Any, values: dict[str, Any], *, sensitive: frozenset[str] = frozenset()
) -> dict[str, list[Any]]:
    """Set the attributes that differ and return them as {field: [old, new]} for the audit.

    Values of sensitive fields are not copied into the result.
    """
    changes: dict[str, list[Any]] = {}
    for field, new in values.items():
        old = getattr(record, field)
        if old == new:
            continue
        setattr(record, field, new)
        changes[field] = (
            [SENSITIVE_VALUE, SENSITIVE_VALUE] if field in sensitive else [_plain(old), _plain(new)]
        )
    return changes


def _plain(value: Any) -> Any:
    """Related records are audited by id, not by their whole repr."""
    return getattr(value, "id", value)


def ensure_current(session: Session, record: Any, expected_version: int | None) -> None:
    """Refuse an edit built from an older version, naming what changed meanwhile."""
    if expected_version is None or expected_version == record.version:
        return
    raise StaleRecord(record, changes_since(session, record, expected_version))


def flush_versioned(session: Session, record: Any, version: int) -> None:
    """Flush; if another worker committed first, the mapper's version check fails: say so."""
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        current = session.get(type(record), record.id)
        raise StaleRecord(current, changes_since(session, current, version)) from None


def changes_since(session: Session, record: Any, version: int) -> list[dict[str, Any]]:
    """The field changes recorded in the audit trail after `version` of a record, each with
    the field's current value (which the trail does not hold for sensitive fields)."""
    from casemgr.audit.models import AuditEvent

    events = session.execute(
        sa.select(AuditEvent)
        .where(AuditEvent.object_type == record.audit_type,
               AuditEvent.object_id == str(record.id))
        .order_by(AuditEvent.id)
    ).scalars()
    changes = []
    for event in events:
        if (event.details or {}).get("version", 0) <= version:
            continue
        for field, (old, new) in (event.details.get("changes") or {}).items():
            changes.append({"field": field, "old": old, "new": new,
                            "current": _plain(getattr(record, field, new)),
                            "by": event.actor_name, "at": event.occurred_at})
    return changes
