"""Imports every model module, so the metadata knows every table (migrations, tests)."""

from casemgr.applicants.models import (
    Applicant,
    ApplicantAlias,
    DuplicateDismissal,
    NameToken,
    RegistrationCounter,
    SharingRecord,
)
from casemgr.audit.models import AuditEvent
from casemgr.auth.models import Organisation, User
from casemgr.cases.models import Case, CaseEvent, CaseNote

__all__ = ["Applicant", "ApplicantAlias", "AuditEvent", "Case", "CaseEvent", "CaseNote",
           "DuplicateDismissal", "NameToken", "Organisation", "RegistrationCounter",
           "SharingRecord", "User"]
