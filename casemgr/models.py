"""Imports every model module, so the metadata knows every table (migrations, tests)."""

from casemgr.api.models import ApiToken
from casemgr.applicants.models import (
    Applicant,
    ApplicantAlias,
    DuplicateDismissal,
    RegistrationCounter,
    SharingRecord,
)
from casemgr.audit.models import AuditChainHead, AuditEvent
from casemgr.auth.models import Organisation, User
from casemgr.cases.models import Case, CaseEvent, CaseNote
from casemgr.hearings.models import CalendarFeed, CaseAttendance, Hearing
from casemgr.needs.models import AssistanceNeed, SpecificNeed
from casemgr.statistics.models import StatisticsFact

__all__ = ["ApiToken", "Applicant", "ApplicantAlias", "AssistanceNeed", "AuditChainHead",
           "AuditEvent", "CalendarFeed", "Case", "CaseAttendance", "CaseEvent", "CaseNote",
           "DuplicateDismissal", "Hearing", "Organisation", "RegistrationCounter",
           "SharingRecord", "SpecificNeed", "StatisticsFact", "User"]
