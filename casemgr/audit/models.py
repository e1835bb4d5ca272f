"""Audit events: who did what to which record, when and from where."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from casemgr.database import Base, utcnow

GENESIS_HASH = "0" * 64


class AuditEvent(Base):
    """One row of the trail. Rows are only ever inserted (see services.record).

    `hash` is SHA-256 over the canonical form of the row including `prev_hash`, so a
    changed, inserted or removed row breaks the chain from that point on.
    """

    __tablename__ = "audit_events"
    __table_args__ = (sa.Index("ix_audit_events_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    actor_name: Mapped[str | None] = mapped_column(sa.String(64))
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    object_type: Mapped[str | None] = mapped_column(sa.String(32))
    object_id: Mapped[str | None] = mapped_column(sa.String(64))
    # The person the event concerns, for "who saw this file".
    applicant_id: Mapped[int | None] = mapped_column(index=True)
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    ip_address: Mapped[str | None] = mapped_column(sa.String(45))
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64), unique=True)

    def canonical_fields(self) -> dict[str, Any]:
        """The fields the hash covers, in a form that survives a database round trip.

        Fields added after the first release enter only when set, so the hashes of
        events written before them stay valid.
        """
        fields = {
            "occurred_at": self.occurred_at.isoformat(timespec="microseconds"),
            "actor_id": self.actor_id,
            "actor_name": self.actor_name,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "details": self.details or {},
            "ip_address": self.ip_address,
            "prev_hash": self.prev_hash,
        }
        if self.applicant_id is not None:
            fields["applicant_id"] = self.applicant_id
        return fields


class AuditChainHead(Base):
    """The one row that holds the newest hash of the chain.

    Appending starts with an UPDATE of this row, which makes concurrent appenders from
    several workers wait for each other on both databases (a row lock on PostgreSQL, the
    write lock on SQLite), so each links to the hash the previous one wrote. It also lets
    verification notice that events were cut off at the end.
    """

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_hash: Mapped[str] = mapped_column(sa.String(64))
    events: Mapped[int] = mapped_column(default=0)


@sa.event.listens_for(AuditEvent, "before_update")
@sa.event.listens_for(AuditEvent, "before_delete")
def _refuse_change(_mapper: Any, _connection: Any, target: AuditEvent) -> None:
    raise RuntimeError(f"audit event {target.id} is append-only")
