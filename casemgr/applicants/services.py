"""Registering and editing people: validation across fields, duplicates, the name index,
sharing with NGOs, and the audit of every read and write. Services flush; callers commit."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session, selectinload

from casemgr.applicants import matching, search
from casemgr.applicants.fields import birth_earliest, check_latin, parse_date_of_birth
from casemgr.applicants.models import (
    Applicant,
    ApplicantAlias,
    DuplicateDismissal,
    RegistrationCounter,
    Relationship,
    Sex,
    SharingRecord,
)
from casemgr.audit.services import AuditAction, record
from casemgr.auth.models import Organisation, OrganisationKind, User
from casemgr.cases.models import ApplicationType, Case, CaseStatus, LodgedAt
from casemgr.database import dialect_insert
from casemgr.exceptions import ValidationFailed
from casemgr.records import apply_changes, ensure_current, flush_versioned

# Identity values are not copied into the audit trail: it must not become a second,
# unerasable register of who is in the system (retention anonymises the records).
IDENTITY_FIELDS = frozenset({"family_name", "given_names", "native_name", "date_of_birth",
                             "aliases"})
PERSON_FIELDS = ("family_name", "given_names", "native_name", "sex", "date_of_birth",
                 "nationality", "languages", "interpreter_needed", "arrival_date",
                 "port_of_entry", "family_group", "relationship")
CANDIDATE_LIMIT = 500


@dataclass
class PersonData:
    """A person's columns of the record format, already parsed field by field."""

    family_name: str
    given_names: str
    sex: Sex | str
    date_of_birth: str
    nationality: str
    native_name: str | None = None
    languages: str = ""
    interpreter_needed: bool = False
    arrival_date: date | None = None
    port_of_entry: str | None = None
    family_group: str | None = None
    relationship: Relationship | str | None = None
    aliases: list[str] = field(default_factory=list)

    def names(self) -> tuple[str, ...]:
        forms = [f"{self.family_name} {self.given_names}", self.native_name or "", *self.aliases]
        return tuple(form for form in forms if form and form.strip())

    def key(self) -> matching.PersonKey:
        return matching.PersonKey(self.names(), self.date_of_birth, self.nationality)


@dataclass
class LodgingData:
    """Where and when an application was lodged."""

    lodged_on: date
    lodged_at: LodgedAt | str
    port_of_entry: str | None = None
    application_type: ApplicationType | str | None = None


@dataclass(frozen=True)
class DuplicateCandidate:
    applicant: Applicant
    result: matching.MatchResult


def person_key(applicant: Applicant) -> matching.PersonKey:
    names = [f"{applicant.family_name} {applicant.given_names}", applicant.native_name or "",
             *[alias.name for alias in applicant.aliases]]
    return matching.PersonKey(tuple(n for n in names if n.strip()), applicant.date_of_birth,
                              applicant.nationality)


# --- validation across fields ----------------------------------------------------------------

def check_person(person: PersonData, lodging: LodgingData | None = None,
                 *, today: date | None = None) -> date:
    """Rules that involve several fields; returns the birth reference date."""
    today = today or date.today()
    errors: dict[str, list[str]] = {}
    person.family_name = " ".join(person.family_name.split())
    person.given_names = " ".join(person.given_names.split()) or "-"
    if not person.family_name:
        errors.setdefault("family_name", []).append(_("Enter the family name."))
    for name in ("family_name", "given_names"):
        value = getattr(person, name)
        if value and value != "-":
            try:
                check_latin(value)
            except ValueError as error:
                errors.setdefault(name, []).append(str(error))
    try:
        person.date_of_birth, reference = parse_date_of_birth(person.date_of_birth, today=today)
    except ValueError as error:
        raise ValidationFailed({**errors, "date_of_birth": [str(error)]}) from None
    born = birth_earliest(person.date_of_birth)
    if person.arrival_date and person.arrival_date < born:
        errors.setdefault("arrival_date", []).append(_("Arrival is before birth."))
    if lodging is not None:
        if lodging.lodged_on > today:
            errors.setdefault("lodged_on", []).append(_("The date is in the future."))
        if lodging.lodged_on < born:
            errors.setdefault("lodged_on", []).append(
                _("The application cannot be lodged before the date of birth."))
        if person.arrival_date and person.arrival_date > lodging.lodged_on:
            errors.setdefault("arrival_date", []).append(
                _("Arrival cannot be after the application was lodged."))
        if str(lodging.lodged_at) == LodgedAt.PORT_OF_ENTRY and not (
                lodging.port_of_entry or person.port_of_entry):
            errors.setdefault("port_of_entry", []).append(
                _("Give the port of entry where the application was lodged."))
    if errors:
        raise ValidationFailed(errors)
    return reference


# --- registration numbers and the name index -------------------------------------------------

def next_registration_no(session: Session, year: int) -> str:
    """YYYY-NNNNNN from a per-year counter incremented atomically (safe across workers);
    numbers already taken (e.g. imported) are skipped."""
    insert = dialect_insert(session)
    while True:
        statement = insert(RegistrationCounter).values(year=year, last_number=1)
        statement = statement.on_conflict_do_update(
            index_elements=["year"],
            set_={"last_number": RegistrationCounter.last_number + 1},
        ).returning(RegistrationCounter.last_number)
        number = session.execute(statement).scalar_one()
        candidate = f"{year}-{number:06d}"
        if not session.execute(sa.select(Applicant.id).where(
                Applicant.registration_no == candidate)).first():
            return candidate


@dataclass(frozen=True)
class ApplicantFilter:
    """The applicant list's filters (the page's form and the API's query parameters)."""

    q: str = ""
    nationality: str | None = None
    status: str | None = None
    lodged_at: str | None = None
    port_of_entry: str | None = None
    assigned_to_id: int | None = None
    overdue: bool = False


def filter_applicants(session: Session, query: sa.Select[Any], criteria: ApplicantFilter, *,
                      today: date) -> sa.Select[Any]:
    """Narrow a list of applicants (already in the user's scope) by the list's filters; the
    current case's summary on the applicant serves them from composite indexes."""
    from casemgr.cases import deadlines

    query = search.search_applicants(session, query, criteria.q)
    if criteria.nationality:
        query = query.where(Applicant.nationality == criteria.nationality)
    if criteria.status:
        query = query.where(Applicant.current_status == CaseStatus(criteria.status))
    if criteria.lodged_at:
        query = query.where(Applicant.current_lodged_at == LodgedAt(criteria.lodged_at))
    if criteria.port_of_entry:
        query = query.where(Applicant.current_port == criteria.port_of_entry.strip().upper())
    if criteria.assigned_to_id:
        query = query.where(Applicant.current_assigned_to_id == criteria.assigned_to_id)
    if criteria.overdue:
        query = query.where(
            Applicant.current_due_on < today,
            Applicant.current_due_kind.in_([str(k) for k in deadlines.DECISION_KINDS]))
    return query


# --- duplicates ---------------------------------------------------------------------------

def _compatible_births(date_of_birth: str) -> list[tuple[date, date]]:
    """Ranges of birth reference dates that hold every date of birth
    `matching.dob_compatible` accepts beside this one (and a few it refuses, which the
    comparison then drops): the blocking by birth, on an indexed column. A full date
    meets the same day, its month and its year written alone; a month meets its days and
    its year; a year meets all of itself. Without it, a common name's whole birth year
    (a few hundred people in a million) was loaded and scored for each person checked."""
    parts = date_of_birth.split("-")
    year = parts[0]
    if len(parts) == 1:
        return [(date(int(year), 1, 1), date(int(year), 12, 31))]
    alone = parse_date_of_birth(year)[1]
    month = parse_date_of_birth(f"{year}-{parts[1]}")[1]
    if len(parts) == 2:
        last_day = calendar.monthrange(month.year, month.month)[1]
        return [(month.replace(day=1), month.replace(day=last_day)), (alone, alone)]
    day = parse_date_of_birth(date_of_birth)[1]
    return [(day, day), (month, month), (alone, alone)]


def find_duplicates(
    session: Session, person: PersonData, *, scope: sa.ColumnElement[bool],
    exclude: set[int] | None = None,
) -> list[DuplicateCandidate]:
    """Likely duplicates of `person` among the applicants in `scope`, best first.

    Candidates have a date of birth that may be the person's (`_compatible_births`: a
    different year is never a match) and share the start of a name token
    (search.duplicate_candidates); each is then scored by matching.compare.
    """
    sharing_a_name = search.duplicate_candidates(person.names())
    if sharing_a_name is None:
        return []
    born = sa.or_(*(Applicant.birth_reference_date.between(first, last)
                    for first, last in _compatible_births(person.date_of_birth)))
    candidates = session.execute(
        sa.select(Applicant).where(scope, born, sharing_a_name).limit(CANDIDATE_LIMIT)
        # person_key reads every candidate's aliases: one query for all, not one each
        .options(selectinload(Applicant.aliases))
    ).scalars().all()
    key = person.key()
    found = []
    for candidate in candidates:
        if exclude and candidate.id in exclude:
            continue
        result = matching.is_likely_duplicate(key, person_key(candidate))
        if result is not None:
            found.append(DuplicateCandidate(candidate, result))
    return sorted(found, key=lambda c: -c.result.score)


def dismiss_duplicate(session: Session, applicant: Applicant, other: Applicant, score: int,
                      *, actor: User | None) -> None:
    """Record "not the same person", so the pair is not offered again."""
    first, second = sorted((applicant.id, other.id))
    exists = session.execute(sa.select(DuplicateDismissal.id).where(
        DuplicateDismissal.applicant_id == first,
        DuplicateDismissal.other_applicant_id == second)).first()
    if not exists:
        session.add(DuplicateDismissal(applicant_id=first, other_applicant_id=second,
                                       score=score, decided_by_id=getattr(actor, "id", None)))
    record(session, AuditAction.DUPLICATE_DISMISSED, actor=actor, subject=applicant,
           details={"other_applicant_id": other.id, "score": score})


def dismissed_pairs(session: Session, applicant_id: int) -> set[int]:
    rows = session.execute(sa.select(DuplicateDismissal.applicant_id,
                                      DuplicateDismissal.other_applicant_id).where(
        sa.or_(DuplicateDismissal.applicant_id == applicant_id,
               DuplicateDismissal.other_applicant_id == applicant_id))).all()
    return {other if first == applicant_id else first for first, other in rows}


# --- registration --------------------------------------------------------------------------

def _agency_of(actor: User | None, agency: Organisation | None) -> Organisation:
    agency = agency or (actor.organisation if actor else None)
    if agency is None or agency.kind != OrganisationKind.AGENCY:
        raise ValidationFailed.single("agency_id", _(
            "Applicants are registered by an agency; your organisation is not one."))
    return agency


def register_applicant(
    session: Session,
    person: PersonData,
    lodging: LodgingData,
    *,
    actor: User | None,
    agency: Organisation | None = None,
    registration_no: str | None = None,
    today: date | None = None,
) -> Applicant:
    """Create a person with their first application (status, history and clocks)."""
    from casemgr.cases.services import lodge_case

    reference = check_person(person, lodging, today=today)
    agency = _agency_of(actor, agency)
    if registration_no:
        if session.execute(sa.select(Applicant.id).where(
                Applicant.registration_no == registration_no)).first():
            raise ValidationFailed.single("registration_no", _(
                "This registration number belongs to another person."))
    else:
        registration_no = next_registration_no(session, lodging.lodged_on.year)
    applicant = Applicant(
        registration_no=registration_no,
        **{name: getattr(person, name) for name in PERSON_FIELDS},
        birth_reference_date=reference,
        agency=agency,
        registered_by_id=getattr(actor, "id", None),
        aliases=[ApplicantAlias(name=alias) for alias in person.aliases],
    )
    if applicant.port_of_entry is None and str(lodging.lodged_at) == LodgedAt.PORT_OF_ENTRY:
        applicant.port_of_entry = lodging.port_of_entry
    search.index_names(applicant)
    session.add(applicant)
    session.flush()
    record(session, AuditAction.APPLICANT_REGISTERED, actor=actor, subject=applicant,
           details={"registration_no": registration_no, "nationality": person.nationality,
                    "version": 1})
    lodge_case(session, applicant, lodging, actor=actor, today=today)
    return applicant


def register_family(
    session: Session,
    members: list[tuple[PersonData, Applicant | None]],
    lodging: LodgingData,
    *,
    actor: User | None,
    today: date | None = None,
) -> list[Applicant]:
    """Register a household lodging together. Each member is a new person, or an existing
    one (a confirmed duplicate) who gets a new application. All share a family group."""
    from casemgr.cases.services import lodge_case

    group = next((p.family_group for p, _existing in members if p.family_group), None)
    result: list[Applicant] = []
    errors: dict[str, list[str]] = {}
    for index, (person, existing) in enumerate(members):
        try:
            if existing is not None:
                record(session, AuditAction.DUPLICATE_LINKED, actor=actor, subject=existing)
                lodge_case(session, existing, lodging, actor=actor, today=today)
                result.append(existing)
            else:
                result.append(register_applicant(session, person, lodging, actor=actor,
                                                 today=today))
        except ValidationFailed as error:
            for name, messages in error.errors.items():
                # members[0] is the principal; members[1] is the form's members-0
                errors[f"members-{index - 1}-{name}" if index else name] = messages
    if errors:
        raise ValidationFailed(errors)
    if len(result) > 1:
        group = group or f"F-{result[0].registration_no}"
        for applicant in result:
            applicant.family_group = applicant.family_group or group
        session.flush()
    return result


def update_applicant(
    session: Session, applicant: Applicant, person: PersonData, *, version: int,
    actor: User, today: date | None = None,
) -> Applicant:
    """Save edited person columns; refuses a stale version and names what changed."""
    if applicant.anonymised_at is not None:  # its facts rest on the kept reference date
        raise ValidationFailed.single("family_name", _(
            "This person was anonymised (retention); the record can no longer be edited."))
    ensure_current(session, applicant, version)
    reference = check_person(person, today=today)
    for case in applicant.cases:
        if case.lodged_on < birth_earliest(person.date_of_birth):
            raise ValidationFailed.single("date_of_birth", _(
                "An application of this person was lodged before this date of birth."))
    values = {name: getattr(person, name) for name in PERSON_FIELDS}
    values["birth_reference_date"] = reference
    changes = apply_changes(applicant, values,
                            sensitive=IDENTITY_FIELDS | {"birth_reference_date"})
    changes.pop("birth_reference_date", None)
    aliases = [" ".join(alias.split()) for alias in person.aliases if alias.strip()]
    if aliases != [alias.name for alias in applicant.aliases]:
        applicant.aliases = [ApplicantAlias(name=alias) for alias in aliases]
        changes["aliases"] = ["(changed; value not recorded)"] * 2
    if changes:
        applicant.version = version + 1  # see Applicant: person edits alone count
        if changes.keys() & IDENTITY_FIELDS:
            search.index_names(applicant)
        flush_versioned(session, applicant, version)
        record(session, AuditAction.APPLICANT_UPDATED, actor=actor, subject=applicant,
               details={"changes": changes, "version": applicant.version})
    return applicant


# --- sharing -------------------------------------------------------------------------------

def grant_sharing(session: Session, applicant: Applicant, organisation: Organisation, *,
                  actor: User | None, today: date | None = None) -> SharingRecord:
    """Record the applicant's consent to share their file with an NGO."""
    if organisation.kind != OrganisationKind.NGO or not organisation.active:
        raise ValidationFailed.single("organisation_id", _("Choose an active NGO."))
    if any(r.active and r.organisation_id == organisation.id for r in applicant.sharing):
        raise ValidationFailed.single("organisation_id", _(
            "The file is already shared with this organisation."))
    sharing = SharingRecord(applicant=applicant, organisation=organisation,
                            granted_on=today or date.today(),
                            granted_by_id=getattr(actor, "id", None))
    session.add(sharing)
    session.flush()
    record(session, AuditAction.SHARING_GRANTED, actor=actor, subject=applicant,
           details={"organisation_id": organisation.id, "sharing_id": sharing.id})
    return sharing


def revoke_sharing(session: Session, sharing: SharingRecord, *, actor: User | None,
                   today: date | None = None) -> None:
    """End sharing; the NGO loses access at once. Cases it represents keep the link."""
    if not sharing.active:
        raise ValidationFailed.single("sharing", _("This sharing was already revoked."))
    sharing.revoked_on = today or date.today()
    sharing.revoked_by_id = getattr(actor, "id", None)
    session.flush()
    record(session, AuditAction.SHARING_REVOKED, actor=actor, subject=sharing.applicant,
           details={"organisation_id": sharing.organisation_id, "sharing_id": sharing.id})


# --- reads ---------------------------------------------------------------------------------

def record_view(session: Session, subject: Any, *, actor: User) -> None:
    """Every view of a person or case page is audited ("who saw this file")."""
    action = AuditAction.CASE_VIEWED if isinstance(subject, Case) else AuditAction.APPLICANT_VIEWED
    record(session, action, actor=actor, subject=subject)


def record_search(session: Session, filters: dict[str, Any], results: int, *,
                  actor: User) -> None:
    record(session, AuditAction.APPLICANTS_SEARCHED, actor=actor,
           details={"filters": filters, "results": results})
