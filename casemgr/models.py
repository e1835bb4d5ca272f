"""Imports every model module, so the metadata knows every table (migrations, tests)."""

from casemgr.applicants.models import (
    Applicant,
    ApplicantAlias,
    DuplicateDismissal,
    NameToken,
    RegistrationCounter,
    SharingRecord,
)
from casemgr.audit.models import AuditChainHead, AuditEvent
from casemgr.auth.models import Organisation, User
from casemgr.cases.models import Case, CaseEvent, CaseNote
from casemgr.needs.models import SpecificNeed

__all__ = ["Applicant", "ApplicantAlias", "AuditChainHead", "AuditEvent", "Case", "CaseEvent",
           "CaseNote", "DuplicateDismissal", "NameToken", "Organisation", "RegistrationCounter",
           "SharingRecord", "SpecificNeed", "User"]
