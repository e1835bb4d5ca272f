"""Imports every model module, so the metadata knows every table (migrations, tests)."""

from casemgr.audit.models import AuditEvent
from casemgr.auth.models import Organisation, User

__all__ = ["AuditEvent", "Organisation", "User"]
