"""Checking an import file row by row and planning what it will write.

Every row and column is checked before anything is written, and every problem is kept
(not only the first), with the spreadsheet row and the column: values field by field with
the parsers forms use (`applicants.fields`), the person's cross-field rules with
`services.check_person`, and the case history by replaying the dated columns through
`cases.transitions` (`open_case`, `check_step`, `apply_step`) — the rules behind every
status change in the app — onto the bulk writer's drafts. A file without errors therefore
yields the `NewPerson` drafts `bulk.write_people` inserts; a file with errors yields only
the errors.

Likely duplicates (DOMAIN.md §Duplicates) are warnings: inside the file, pairs of people
are scored with `matching.is_likely_duplicate` among those sharing a birth year and a
name-token prefix (the blocking `services.find_duplicates` uses in the database); against
the database each person goes through `services.find_duplicates`, the registration page's
own search, which the name index answers (`applicants.search`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from itertools import combinations
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from casemgr.applicants import matching, services
from casemgr.applicants.bulk import DRAFTS, ApplicantDraft, NewPerson, SpecificNeedDraft
from casemgr.applicants.fields import (
    parse_iso_date,
    parse_languages,
    parse_nationality,
    parse_port,
    parse_yes_no,
)
from casemgr.applicants.models import Applicant, Relationship, Sex
from casemgr.cases.models import (
    ApplicationType,
    CaseStatus,
    Decision,
    LodgedAt,
    ObjectionDecision,
    ReferralDecision,
)
from casemgr.cases.transitions import apply_step, check_step, open_case
from casemgr.exceptions import InvalidTransition, ValidationFailed
from casemgr.exchange.columns import AGREEING, COLUMNS, REQUIRED, Row
from casemgr.needs import codes

IMPORTED_REASON = "Recorded from an imported file"
_REGISTRATION_NO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/.-]{0,19}$")
# Where an objection decision leaves the case (the outcome of the Refugee Committee).
OBJECTION_TARGETS = {
    ObjectionDecision.ACCEPTED: CaseStatus.RECOGNIZED,
    ObjectionDecision.DISMISSED: CaseStatus.REJECTED,
    ObjectionDecision.DISMISSED_HUMANITARIAN: CaseStatus.HUMANITARIAN,
    ObjectionDecision.INADMISSIBLE: CaseStatus.CLOSED,
    ObjectionDecision.WITHDRAWN: CaseStatus.WITHDRAWN,
}
REFERRAL_TARGETS = {
    ReferralDecision.REFERRED: CaseStatus.FIRST_INSTANCE,
    ReferralDecision.LAPSED: CaseStatus.FIRST_INSTANCE,
    ReferralDecision.NOT_REFERRED: CaseStatus.NOT_REFERRED,
}
DATE_COLUMNS = ("arrival_date", "lodged_on", "status_since", "referral_decided_on",
                "decision_on", "objection_lodged_on", "objection_decided_on")
# Pairs that go together: the first needs the second and the other way round.
PAIRS = (("referral_decision", "referral_decided_on"), ("decision", "decision_on"),
         ("objection_decision", "objection_decided_on"))
# A block larger than this (one very common name in one birth year) is compared only
# within its first members; the database search caps its candidates likewise.
BLOCK_LIMIT = services.CANDIDATE_LIMIT


@dataclass(frozen=True)
class Problem:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.message}"


@dataclass(frozen=True)
class DuplicateWarning:
    """A likely duplicate: two rows of the file, or a row and a registered person."""

    row: int
    score: int
    other_row: int | None = None
    other_registration_no: str | None = None

    def __str__(self) -> str:
        other = (f"row {self.other_row}" if self.other_row is not None
                 else f"registered person {self.other_registration_no}")
        return f"row {self.row}: likely duplicate of {other} (score {self.score})"


@dataclass
class Plan:
    """What a file would import, or why it cannot."""

    rows: int = 0
    people: list[NewPerson] = field(default_factory=list)
    first_rows: list[int] = field(default_factory=list)  # per person, its first row
    errors: list[Problem] = field(default_factory=list)
    warnings: list[DuplicateWarning] = field(default_factory=list)

    @property
    def cases(self) -> int:
        return sum(len(person.applicant.cases) for person in self.people)

    def error(self, row: int, column: str, message: str) -> None:
        self.errors.append(Problem(row, column, message))


@dataclass
class _Parsed:
    """One valid-so-far row: its values parsed, waiting to be grouped into people."""

    row: Row
    person: services.PersonData
    reference: date
    values: dict[str, Any]
    needs: list[str]


def check_header(header: list[str], plan: Plan) -> bool:
    """Unknown, repeated and missing columns (all reported on row 1)."""
    seen: set[str] = set()
    for name in header:
        if name not in COLUMNS:
            plan.error(1, name or "(blank)", _("Unknown column; the columns are: %(names)s.",
                                               names=", ".join(COLUMNS)))
        elif name in seen:
            plan.error(1, name, _("This column appears twice."))
        seen.add(name)
    for name in COLUMNS:
        if name in REQUIRED and name not in seen:
            plan.error(1, name, _("This required column is missing."))
    return not plan.errors


@cache
def _values_of(vocabulary: type[Any]) -> frozenset[str]:
    return frozenset(str(member) for member in vocabulary)


def _choice(text: str, vocabulary: type[Any]) -> str:
    if text not in _values_of(vocabulary):
        raise ValueError(_("Use one of: %(values)s.", values=", ".join(map(str, vocabulary))))
    return text


def _parse_row(row: Row, plan: Plan, today: date) -> _Parsed | None:
    """Each value on its own, then the person's and the dates' cross-field rules."""
    raw = row.values
    values: dict[str, Any] = {}
    failed: set[str] = set()

    def parse(column: str, parser: Callable[[str], Any]) -> None:
        text = raw.get(column, "")
        if not text:
            if column in REQUIRED:
                failed.add(column)
                plan.error(row.number, column, _("A value is required."))
            values[column] = None
            return
        try:
            values[column] = parser(text)
        except ValueError as error:
            values[column] = None
            failed.add(column)
            plan.error(row.number, column, str(error))

    def registration_no(text: str) -> str:
        if not _REGISTRATION_NO.match(text):
            raise ValueError(_("Use at most 20 letters, digits, hyphens, dots or slashes."))
        return text

    def limited(length: int) -> Callable[[str], str]:
        def check(text: str) -> str:
            if len(text) > length:
                raise ValueError(_("At most %(n)d characters.", n=length))
            return text
        return check

    def needs(text: str) -> list[str]:
        found = []
        for item in text.split(";"):
            code = item.strip().upper()
            if code and not codes.is_known(code):
                raise ValueError(_("Unknown specific-needs code: %(code)s.", code=code))
            if code and code not in found:
                found.append(code)
        return found

    def a_date(text: str) -> date:
        return parse_iso_date(text, today=today)

    parse("registration_no", registration_no)
    parse("family_name", limited(100))
    parse("given_names", limited(200))
    parse("native_name", limited(200))
    parse("sex", lambda text: _choice(text.upper(), Sex))
    parse("date_of_birth", str)
    parse("nationality", parse_nationality)
    parse("languages", parse_languages)
    parse("interpreter_needed", parse_yes_no)
    parse("port_of_entry", parse_port)
    parse("family_group", limited(64))
    parse("relationship", lambda text: _choice(text.lower(), Relationship))
    for column in DATE_COLUMNS:
        parse(column, a_date)
    parse("lodged_at", lambda text: _choice(text.lower(), LodgedAt))
    parse("application_type", lambda text: _choice(text.lower(), ApplicationType))
    parse("status", lambda text: _choice(text.lower(), CaseStatus))
    parse("referral_decision", lambda text: _choice(text.lower(), ReferralDecision))
    parse("decision", lambda text: _choice(text.lower(), Decision))
    parse("objection_decision", lambda text: _choice(text.lower(), ObjectionDecision))
    parse("specific_needs", needs)
    if {"family_name", "given_names", "sex", "date_of_birth", "nationality"} & failed:
        return None
    person = services.PersonData(
        family_name=values["family_name"], given_names=values["given_names"],
        native_name=values["native_name"], sex=values["sex"],
        date_of_birth=values["date_of_birth"], nationality=values["nationality"],
        languages=values["languages"] or "",
        interpreter_needed=bool(values["interpreter_needed"]),
        arrival_date=values["arrival_date"], port_of_entry=values["port_of_entry"],
        family_group=values["family_group"], relationship=values["relationship"])
    lodging = None
    if not {"lodged_on", "lodged_at", "port_of_entry"} & failed:
        lodging = services.LodgingData(lodged_on=values["lodged_on"],
                                       lodged_at=values["lodged_at"],
                                       port_of_entry=values["port_of_entry"])
    try:
        reference = services.check_person(person, lodging, today=today)
    except ValidationFailed as error:
        for column, messages in error.errors.items():
            for message in messages:
                plan.error(row.number, column, message)
        return None
    if failed or not _dates_agree(row.number, values, plan):
        return None
    return _Parsed(row, person, reference, values, values["specific_needs"] or [])


DATE_ORDER = (("referral_decided_on", "lodged_on"), ("decision_on", "lodged_on"),
              ("decision_on", "referral_decided_on"), ("objection_lodged_on", "decision_on"),
              ("objection_decided_on", "objection_lodged_on"), ("status_since", "lodged_on"))


def _date_order_message(later: str, earlier: str) -> str:
    """Why `later` cannot come before `earlier` (translated only when it happens)."""
    return {
        ("referral_decided_on", "lodged_on"): _(
            "The referral decision cannot be before the application was lodged."),
        ("decision_on", "lodged_on"): _(
            "The decision cannot be before the application was lodged."),
        ("decision_on", "referral_decided_on"): _(
            "The decision cannot be before the referral decision."),
        ("objection_lodged_on", "decision_on"): _(
            "The objection cannot be lodged before the decision."),
        ("objection_decided_on", "objection_lodged_on"): _(
            "The objection cannot be decided before it was lodged."),
        ("status_since", "lodged_on"): _(
            "The status cannot start before the application was lodged."),
    }[(later, earlier)]


def _dates_agree(number: int, values: dict[str, Any], plan: Plan) -> bool:
    """The dated columns in the order the procedure allows, each with its own message."""
    before = len(plan.errors)
    for vocabulary, day in PAIRS:
        if values[vocabulary] and not values[day]:
            plan.error(number, day, _("Give the date of the %(what)s.", what=vocabulary))
        if values[day] and not values[vocabulary]:
            plan.error(number, vocabulary, _("Give the %(what)s decided on this date.",
                                             what=vocabulary))
    port = values["lodged_at"] == LodgedAt.PORT_OF_ENTRY
    if values["referral_decision"] and not port:
        plan.error(number, "referral_decision",
                   _("Referral decisions exist only for applications at a port of entry."))
    if port and values["decision"] and values["referral_decision"] in {
            None, ReferralDecision.NOT_REFERRED}:
        plan.error(number, "decision", _("A port-of-entry application is decided only after "
                                         "it was referred (referral_decision)."))
    if values["objection_lodged_on"] and values["decision"] not in {
            Decision.REJECTED, Decision.HUMANITARIAN}:
        plan.error(number, "objection_lodged_on",
                   _("An objection needs a refusal (decision rejected or humanitarian)."))
    if values["objection_decided_on"] and not values["objection_lodged_on"]:
        plan.error(number, "objection_lodged_on",
                   _("Give the date the objection was lodged."))
    for later, earlier in DATE_ORDER:
        if values[later] and values[earlier] and values[later] < values[earlier]:
            plan.error(number, later, _date_order_message(later, earlier))
    return len(plan.errors) == before


def _step(case: Any, plan: Plan, number: int, *, to: CaseStatus, on: date,
          outcome: str | None, status_column: str, date_column: str, actor_id: int | None,
          today: date) -> bool:
    """One step of the history through the lifecycle rules; a refusal becomes an error."""
    try:
        checked = check_step(case, to=to, effective_date=on, reason=IMPORTED_REASON,
                             notice_served_on=None, outcome=outcome, today=today)
    except InvalidTransition as error:
        plan.error(number, status_column, error.message)
        return False
    except ValidationFailed as error:
        for name, messages in error.errors.items():
            for message in messages:
                plan.error(number, date_column if name == "effective_date" else status_column,
                           message)
        return False
    apply_step(case, checked, effective_date=on, notice_served_on=None, reason=IMPORTED_REASON,
               actor_id=actor_id, types=DRAFTS, refresh=False)  # the bulk writer refreshes
    return True


def _history(case: Any, parsed: _Parsed, plan: Plan, actor_id: int | None,
             today: date) -> None:
    """lodging → referral → decision → objection → the current status (INTERFACES §3)."""
    values, number = parsed.values, parsed.row.number
    common = {"plan": plan, "number": number, "actor_id": actor_id, "today": today}
    if values["referral_decision"] and not _step(
            case, to=REFERRAL_TARGETS[values["referral_decision"]],
            on=values["referral_decided_on"], outcome=str(values["referral_decision"]),
            status_column="referral_decision", date_column="referral_decided_on", **common):
        return
    if values["decision"] and not _step(
            case, to=CaseStatus(values["decision"]), on=values["decision_on"], outcome=None,
            status_column="decision", date_column="decision_on", **common):
        return
    if values["objection_lodged_on"] and not _step(
            case, to=CaseStatus.OBJECTION, on=values["objection_lodged_on"], outcome=None,
            status_column="objection_lodged_on", date_column="objection_lodged_on", **common):
        return
    if values["objection_decision"] and not _step(
            case, to=OBJECTION_TARGETS[values["objection_decision"]],
            on=values["objection_decided_on"], outcome=str(values["objection_decision"]),
            status_column="objection_decision", date_column="objection_decided_on", **common):
        return
    status, since = values["status"], values["status_since"]
    if status is None or CaseStatus(status) == case.status:
        if since is not None and since != case.status_since:
            plan.error(number, "status_since", _(
                "The dated columns put the status “%(status)s” on %(date)s.",
                status=case.status.label, date=case.status_since.isoformat()))
        return
    if since is None:
        plan.error(number, "status_since", _(
            "Give the date of the status “%(status)s”: no dated column explains it.",
            status=CaseStatus(status).label))
        return
    _step(case, to=CaseStatus(status), on=since, outcome=None, status_column="status",
          date_column="status_since", **common)


def _person(rows: list[_Parsed], plan: Plan, *, agency_id: int, actor_id: int | None,
            today: date) -> NewPerson | None:
    """One person and their cases, oldest application first."""
    first = rows[0]
    before = len(plan.errors)
    for parsed in rows[1:]:
        for column in AGREEING:
            if parsed.row.values.get(column, "") != first.row.values.get(column, ""):
                plan.error(parsed.row.number, column, _(
                    "Differs from row %(row)d, which has the same registration_no.",
                    row=first.row.number))
    if len(plan.errors) > before:
        return None
    data = first.person
    applicant = ApplicantDraft(
        registration_no=first.values["registration_no"],
        **{name: getattr(data, name) for name in services.PERSON_FIELDS},
        birth_reference_date=first.reference, agency_id=agency_id, registered_by_id=actor_id)
    for parsed in sorted(rows, key=lambda p: p.values["lodged_on"]):
        values = parsed.values
        try:
            case = open_case(list(applicant.cases), lodged_on=values["lodged_on"],
                             lodged_at=values["lodged_at"],
                             port_of_entry=values["port_of_entry"],
                             application_type=values["application_type"], actor_id=actor_id,
                             today=today, types=DRAFTS, refresh=False)
        except ValidationFailed as error:
            for column, messages in error.errors.items():
                for message in messages:
                    plan.error(parsed.row.number, column, message)
            return None
        case.assigned_to_id = None
        applicant.cases.append(case)
        errors = len(plan.errors)
        _history(case, parsed, plan, actor_id, today)
        if len(plan.errors) > errors:
            return None
    identified = min(p.values["lodged_on"] for p in rows)
    return NewPerson(applicant, specific_needs=[
        SpecificNeedDraft(code=code, category=codes.category(code), identified_on=identified,
                          identified_by_id=actor_id, note="") for code in first.needs])


def _registration_clashes(session: Session, groups: dict[str, list[_Parsed]],
                          plan: Plan) -> None:
    numbers = sorted(groups)
    for start in range(0, len(numbers), 500):
        taken = session.execute(sa.select(Applicant.registration_no).where(
            Applicant.registration_no.in_(numbers[start:start + 500]))).scalars()
        for number in taken:
            plan.error(groups[number][0].row.number, "registration_no", _(
                "This registration number already belongs to a person in the database; "
                "the import registers new people only."))


def _duplicates_in_file(people: list[tuple[int, services.PersonData]], plan: Plan) -> None:
    """Pairs of people in the file who look like one (blocked by birth year and the first
    four letters of a name token, then scored)."""
    blocks: dict[tuple[str, str], list[int]] = defaultdict(list)
    keys = []
    for index, (_row, data) in enumerate(people):
        keys.append(data.key())
        for token in {token[:4] for token in matching.name_tokens(*data.names())}:
            blocks[(data.date_of_birth[:4], token)].append(index)
    births = [data.date_of_birth for _row, data in people]
    seen: set[tuple[int, int]] = set()
    for members in blocks.values():
        for a, b in _birth_compatible_pairs(members[:BLOCK_LIMIT], births):
            if (a, b) in seen:
                continue
            seen.add((a, b))
            result = matching.is_likely_duplicate(keys[a], keys[b])
            if result is not None:
                plan.warnings.append(DuplicateWarning(people[b][0], result.score,
                                                      other_row=people[a][0]))


def _birth_compatible_pairs(members: list[int], births: list[str]) -> list[tuple[int, int]]:
    """The pairs (a, b), a before b in the file, of one block whose (checked) dates of birth
    may be one person's, as `matching.compare` would judge them: the same date, or one known
    only to a year or month that the other shares. Found through each date's shorter forms
    rather than by testing every pair: a block of 500 people born in one year holds about
    125,000 pairs, of which few share a birthday."""
    by_birth: dict[str, list[int]] = defaultdict(list)
    for index in members:
        by_birth[births[index]].append(index)
    pairs: list[tuple[int, int]] = []
    for birth, group in by_birth.items():
        pairs += combinations(group, 2)
        for shorter in {birth[:7], birth[:4]} - {birth}:
            pairs += ((min(a, b), max(a, b)) for a in group for b in by_birth.get(shorter, ()))
    pairs.sort()
    return pairs


def _duplicates_in_database(session: Session, people: list[tuple[int, services.PersonData]],
                            scope: sa.ColumnElement[bool], plan: Plan) -> None:
    if session.execute(sa.select(Applicant.id).where(scope).limit(1)).first() is None:
        return  # an empty register has no duplicates: skip a search per person
    for row, data in people:
        for candidate in services.find_duplicates(session, data, scope=scope):
            plan.warnings.append(DuplicateWarning(
                row, candidate.result.score,
                other_registration_no=candidate.applicant.registration_no))


def plan_import(session: Session, header: list[str], rows: Iterable[Row], *, agency_id: int,
                actor_id: int | None, scope: sa.ColumnElement[bool], today: date,
                progress: Callable[[int], None] | None = None) -> Plan:
    """Check the whole file and plan its people; `plan.errors` empty means it may be
    written. Nothing is written here (the database is only read)."""
    plan = Plan()
    if not check_header(header, plan):
        return plan
    groups: dict[str, list[_Parsed]] = defaultdict(list)
    singles: list[_Parsed] = []
    for row in rows:
        plan.rows += 1
        parsed = _parse_row(row, plan, today)
        if parsed is not None:
            number = parsed.values["registration_no"]
            (groups[number] if number else singles).append(parsed)
        if progress is not None and plan.rows % 1000 == 0:
            progress(plan.rows)
    if plan.rows == 0:
        plan.error(2, "-", _("The file has no data rows."))
    _registration_clashes(session, groups, plan)
    units = [*groups.values(), *([single] for single in singles)]
    units.sort(key=lambda unit: unit[0].row.number)
    for unit in units:
        person = _person(unit, plan, agency_id=agency_id, actor_id=actor_id, today=today)
        if person is not None:
            plan.people.append(person)
            plan.first_rows.append(unit[0].row.number)
    if progress is not None:
        progress(plan.rows)
    if plan.errors:
        plan.errors.sort(key=lambda problem: (problem.row, COLUMNS.index(problem.column)
                                              if problem.column in COLUMNS else -1))
        plan.people.clear()
        return plan
    keyed = [(row, unit[0].person) for row, unit in zip(
        plan.first_rows, units, strict=True)]
    _duplicates_in_file(keyed, plan)
    _duplicates_in_database(session, keyed, scope, plan)
    plan.warnings.sort(key=lambda warning: (warning.row, -warning.score))
    return plan
