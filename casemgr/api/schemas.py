"""The JSON bodies and query parameters of the API, as pydantic models.

These models validate every request and are the source of the OpenAPI document
(casemgr.api.openapi), so the document cannot drift from what the API accepts. Field
names are INTERFACES §5's JSON keys. Values are checked here only field by field, with
the same parsers as the forms and the import (casemgr.applicants.fields); every rule
across fields or against the database stays in the services.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)

from casemgr.applicants import fields as record_fields
from casemgr.applicants.models import Relationship, Sex
from casemgr.auth.models import Role
from casemgr.cases.models import ApplicationType, CaseStatus, LodgedAt
from casemgr.hearings.models import HearingKind, HearingStatus
from casemgr.needs.models import NeedCategory, NeedPriority, NeedStatus

MAX_PER_PAGE = 100
# A field of a partial update that may be left out but, when sent, must have a value.
NOT_NULL = "optional; when given, not null"
# Database integers are 32-bit: larger ids cannot exist, and must not reach a query.
MAX_ID = 2**31 - 1


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def optional() -> Any:
    """A field of a partial update that may be left out but, when sent, needs a value."""
    return Field(None, description=NOT_NULL, json_schema_extra=_no_default)


def _plain(value: str) -> str:
    """No control characters (a NUL cannot even be stored by PostgreSQL)."""
    if any(unicodedata.category(char) == "Cc" and char not in "\t\n\r" for char in value):
        raise ValueError("Remove the control characters from this field.")
    return value


def _parsed(parser: Any) -> AfterValidator:
    return AfterValidator(lambda value: parser(value) if value not in (None, "") else value)


Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Int32 = Annotated[int, Field(ge=0, le=MAX_ID)]
Version = Annotated[int, Field(ge=1, le=MAX_ID, description="the record's version as read; "
                                                           "a stale one is refused (409)")]
Text = Annotated[str, StringConstraints(max_length=200), AfterValidator(_plain)]
LongText = Annotated[str, StringConstraints(max_length=10_000), AfterValidator(_plain)]
Nationality = Annotated[str, StringConstraints(max_length=3), AfterValidator(_plain),
                        _parsed(record_fields.parse_nationality),
                        Field(description="ISO 3166-1 alpha-3; XXA stateless, XXX unknown")]
Languages = Annotated[str, StringConstraints(max_length=100), AfterValidator(_plain),
                      _parsed(record_fields.parse_languages),
                      Field(description="ISO 639-3 codes separated by ';' (e.g. rus;eng)")]
Port = Annotated[str, StringConstraints(max_length=5), AfterValidator(_plain),
                 _parsed(record_fields.parse_port),
                 Field(description="IATA airport or UN/LOCODE port code")]
Language = Annotated[str, StringConstraints(max_length=3), AfterValidator(_plain),
                     _parsed(record_fields.parse_languages),
                     Field(description="ISO 639-3")]
DateOfBirth = Annotated[str, StringConstraints(max_length=10), AfterValidator(_plain),
                        AfterValidator(lambda value: record_fields.parse_date_of_birth(value)[0]),
                        Field(description="YYYY-MM-DD, YYYY-MM or YYYY (precision is kept)")]
Name = Annotated[str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True),
                 AfterValidator(_plain)]
GivenNames = Annotated[str, StringConstraints(min_length=1, max_length=200,
                                              strip_whitespace=True),
                       AfterValidator(_plain), Field(description="'-' when none")]


class Model(BaseModel):
    """Request bodies: strict JSON types (a date is a "YYYY-MM-DD" string, not a number),
    and unknown fields refused: a misspelt field must not be silently ignored."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Query(BaseModel):
    """Query parameters: the list's filters and its page."""

    model_config = ConfigDict(extra="ignore")

    page: Annotated[int, Field(ge=1, le=100_000)] = 1
    per_page: Annotated[int, Field(ge=1, le=MAX_PER_PAGE)] = 50


# --- problems ------------------------------------------------------------------------------

class FieldError(Output):
    field: str
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None


# --- users ---------------------------------------------------------------------------------

class UserOut(Output):
    id: int
    username: str
    role: Role
    organisation_id: int


# --- applicants ----------------------------------------------------------------------------

class ApplicantOut(Output):
    id: int
    version: int
    registration_no: str
    family_name: str
    given_names: str
    native_name: str | None
    sex: Sex
    date_of_birth: str
    nationality: str
    languages: str
    interpreter_needed: bool
    arrival_date: date | None
    port_of_entry: str | None
    family_group: str | None
    relationship: Relationship | None
    specific_needs: list[str] = Field(description="specific-needs codes the caller may see")
    agency_id: int
    case_ids: list[int] = Field(description="the person's applications, oldest first")


class PersonFields(Model):
    native_name: Text | None = None
    languages: Languages = ""
    interpreter_needed: bool = False
    arrival_date: date | None = None
    port_of_entry: Port | None = None
    family_group: Annotated[Text, StringConstraints(max_length=64)] | None = None
    relationship: Relationship | None = None
    aliases: list[Text] = Field(default_factory=list, max_length=20,
                                description="other names the person is known by")


class ApplicantCreate(PersonFields):
    """A person and their first application (lodged now or earlier)."""

    registration_no: Annotated[Text, StringConstraints(max_length=20)] | None = None
    family_name: Name
    given_names: GivenNames
    sex: Sex
    date_of_birth: DateOfBirth
    nationality: Nationality
    lodged_on: date
    lodged_at: LodgedAt
    application_type: ApplicationType | None = None
    confirm_new_person: bool = Field(
        False, description="register even though likely duplicates exist (they are listed "
                           "in a 409 otherwise)")


class ApplicantUpdate(Model):
    version: Version
    family_name: Name = optional()
    given_names: GivenNames = optional()
    native_name: Text | None = None
    sex: Sex = optional()
    date_of_birth: DateOfBirth = optional()
    nationality: Nationality = optional()
    languages: Languages = optional()
    interpreter_needed: bool = optional()
    arrival_date: date | None = None
    port_of_entry: Port | None = None
    family_group: Annotated[Text, StringConstraints(max_length=64)] | None = None
    relationship: Relationship | None = None
    aliases: list[Text] | None = Field(None, max_length=20)


class ApplicantQuery(Query):
    q: Annotated[Text, StringConstraints(max_length=100)] = Field(
        "", description="name (any script) or registration number")
    nationality: Nationality | None = None
    status: CaseStatus | None = None
    lodged_at: LodgedAt | None = None
    port_of_entry: Port | None = None
    assigned_to_id: Id | None = None
    overdue: bool = False


# --- cases ---------------------------------------------------------------------------------

class CaseEventOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: CaseStatus | None = Field(alias="from")
    to: CaseStatus
    effective_date: date
    notice_served_on: date | None
    reason: str
    actor_id: int | None


class CaseOut(Output):
    id: int
    version: int
    applicant_id: int
    lodged_on: date
    lodged_at: LodgedAt
    application_type: ApplicationType
    port_of_entry: str | None
    status: CaseStatus
    status_since: date
    assigned_to_id: int | None
    representing_org_id: int | None
    is_current: bool
    deadlines: dict[str, date] = Field(description="read-only: clock name → due date")
    events: list[CaseEventOut] = Field(description="read-only status history")


class CaseCreate(Model):
    """A new application of a person already registered."""

    applicant_id: Id
    lodged_on: date
    lodged_at: LodgedAt
    port_of_entry: Port | None = None
    application_type: ApplicationType | None = None


class CaseUpdate(Model):
    """Assignment: the caseworker and the representing NGO (null clears either)."""

    version: Version
    assigned_to_id: Id | None = None
    representing_org_id: Id | None = None


class TransitionCreate(Model):
    to: CaseStatus
    effective_date: date
    reason: LongText = ""
    notice_served_on: date | None = None
    outcome: Annotated[Text, StringConstraints(max_length=32)] | None = Field(
        None, description="e.g. referred or lapsed; default: the step's usual outcome")
    version: Version | None = None


class CaseQuery(Query):
    applicant_id: Id | None = None
    status: CaseStatus | None = None
    lodged_at: LodgedAt | None = None
    assigned_to_id: Id | None = None
    current: bool | None = Field(None, description="only the persons' latest applications")


# --- hearings ------------------------------------------------------------------------------

Minutes = Annotated[int, Field(ge=0, le=MAX_ID)]
Moment = Annotated[AwareDatetime, Field(description="ISO 8601 with offset")]


class HearingOut(Output):
    id: int
    version: int
    case_id: int
    kind: HearingKind
    starts_at: datetime
    duration_minutes: int
    location: str
    interviewer_id: int | None
    interpreter_name: str | None
    interpreter_language: str | None
    representative_attending: bool
    same_sex_interviewer_requested: bool
    recording_consent: bool
    status: HearingStatus
    outcome_note: str | None
    warnings: list[str] = Field(default_factory=list,
                                description="things to check (e.g. interpreter language)")


class HearingCreate(Model):
    case_id: Id
    kind: HearingKind
    starts_at: Moment
    duration_minutes: Minutes
    location: Text
    interviewer_id: Id | None = None
    interpreter_name: Text | None = None
    interpreter_language: Language | None = None
    representative_attending: bool = False
    same_sex_interviewer_requested: bool = False
    recording_consent: bool = False


class HearingUpdate(Model):
    """Booking details (a scheduled hearing only), or the outcome: `status` and
    `outcome_note`."""

    version: Version
    kind: HearingKind = optional()
    starts_at: Moment = optional()
    duration_minutes: Minutes = optional()
    location: Text = optional()
    interviewer_id: Id | None = None
    interpreter_name: Text | None = None
    interpreter_language: Language | None = None
    representative_attending: bool = optional()
    same_sex_interviewer_requested: bool = optional()
    recording_consent: bool = optional()
    status: HearingStatus = optional()
    outcome_note: LongText | None = None


def _query_day(value: Any) -> Any:
    """A day in a query string is YYYY-MM-DD; lax parsing would take "0" for 1970-01-01."""
    if isinstance(value, str) and not _QUERY_DAY.fullmatch(value):
        raise ValueError("use YYYY-MM-DD")
    return value


_QUERY_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
QueryDay = Annotated[date, BeforeValidator(_query_day)]


class HearingQuery(Query):
    kind: HearingKind | None = None
    interviewer_id: Id | None = None
    interpreter: Text | None = None
    location: Text | None = None
    status: HearingStatus | None = None
    case_id: Id | None = None
    starts_from: QueryDay | None = Field(None, alias="from",
                                     description="first day (agency time zone)")
    starts_until: QueryDay | None = Field(None, alias="to",
                                      description="last day (agency time zone)")


# --- needs ---------------------------------------------------------------------------------

class NeedOut(Output):
    id: int
    version: int
    applicant_id: int
    category: NeedCategory
    priority: NeedPriority
    status: NeedStatus
    referred_to_org_id: int | None
    opened_on: date
    due_on: date | None
    resolved_on: date | None
    note: str
    resolution_note: str


class NeedCreate(Model):
    applicant_id: Id
    category: NeedCategory
    priority: NeedPriority = NeedPriority.NORMAL
    referred_to_org_id: Id | None = None
    opened_on: date | None = None
    due_on: date | None = None
    note: LongText = ""


class NeedUpdate(Model):
    version: Version
    category: NeedCategory = optional()
    priority: NeedPriority = optional()
    status: NeedStatus = optional()
    referred_to_org_id: Id | None = None
    opened_on: date = optional()
    due_on: date | None = None
    resolved_on: date | None = None
    note: LongText = optional()
    resolution_note: LongText = optional()


class NeedQuery(Query):
    category: NeedCategory | None = None
    priority: NeedPriority | None = None
    status: NeedStatus | Literal["unresolved"] | None = None
    organisation_id: Id | None = None
    overdue: bool = False


# --- statistics ----------------------------------------------------------------------------

class StatisticsOut(BaseModel):
    """The internal (exact) release of a year, as the JSON download (STATISTICS.md)."""

    metadata: dict[str, Any]
    rows: list[dict[str, Any]]


# --- pages ---------------------------------------------------------------------------------

class Page(BaseModel):
    page: int
    per_page: int
    total: int = Field(description="matches, counted up to 1,001 (see total_is_capped)")
    total_is_capped: bool
    has_next: bool


class ApplicantPage(Page):
    items: list[ApplicantOut]


class CasePage(Page):
    items: list[CaseOut]


class HearingPage(Page):
    items: list[HearingOut]


class NeedPage(Page):
    items: list[NeedOut]
