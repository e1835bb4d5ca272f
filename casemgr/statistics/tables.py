"""The eight tables of STATISTICS.md for a year, one read-only query function per table.

Each function is a GROUP BY over the `statistics_facts` rows of its kind and year (see
`models.py` and `facts.py`): the person-level rules were applied when each person's record
last changed, so the report only counts precomputed codes, each table an index-only scan of
one (kind, year) range of its own covering index. The SQL counts people per combination of
the table's dimensions; the totals are then sums of those few aggregated rows (every person
is in exactly one fine cell of a table), and rates, medians and percentiles are computed in
Python with decimal arithmetic so both databases give the same text.

Rules beyond the letter of STATISTICS.md, chosen as a statistician would (they are also in
`DEFINITIONS`, which every file carries in its metadata; `facts.py` applies them):

- National statistics: every agency's cases count, whatever the scope of the user who asks
  (scopes govern who sees which people; these are aggregates of all of them).
- One person, one count per table of persons. `applications` and `specific_needs` take the
  person's earliest application lodged in the year (lodging date, then registration
  order), as the spec says. A person with several decisions of one kind dated in the year
  counts once, with the *last* of them (Eurostat's rule for decisions in a reference
  period); in `first_instance_decisions` a decision on the merits (recognized,
  humanitarian, rejected) comes before a withdrawal or termination in the same year, so a
  person decided on the merits is always in the rate denominator. Age is taken at the
  chosen event. `pending` counts applications: a person has at most one in progress
  (lodging refuses a second), so that is a count of persons.
- "Withdrawn or terminated before any decision": the step from `first_instance` to
  `withdrawn`/`terminated`, and a port-of-entry application withdrawn while its referral
  was pending (it ended without any decision).
- `processing_times` is about decisions, not persons (its measure is `n`): every
  first-instance decision on the merits and every objection decision but a withdrawal
  dated in the year counts, each from the lodging of its application (first instance) or
  of the objection it decides (the latest objection on the case before the decision).
- Status on a date is the last status event effective on or before it (ties: the later
  recorded). A case whose latest event is on or before 31 December has that event's
  status, which `Case.status` mirrors (the lifecycle service writes both together); for a
  case with events after 31 December the history is read, so later events never change a
  past year's stock. `not_referred` (refused, suit window open) is not a pending stage.
- `specific_needs` counts the needs recorded on the person when the report is made: needs
  have no history of removal, so "who have the need code" can only mean now.
- A port-of-entry case without a port code is counted under port `UNKNOWN`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session

from casemgr.needs.codes import CATEGORIES
from casemgr.statistics import facts
from casemgr.statistics.models import FactKind

# Korea's first asylum applications were lodged in 1994 (Refugee Convention in force 1993).
FIRST_YEAR = 1994
TOTAL = "TOTAL"
OTHER = "OTHER"
UNKNOWN_PORT = facts.UNKNOWN_PORT

COLUMNS = ("table", "year", "citizenship", "sex", "age_group", "age_band", "applicant_type",
           "place", "port", "outcome", "days_band", "stage", "duration", "need_category",
           "measure", "value", "status")
DIMENSION_COLUMNS = COLUMNS[2:14]

SEXES = ("F", "M", "X", "U")
AGE_GROUPS = ("Y_LT14", "Y14-17", "Y18-34", "Y35-64", "Y_GE65", "UNK")
AGE_BANDS = ("Y_LT18", "Y18-59", "Y_GE60", "UNK")
APPLICANT_TYPES = ("FIRST", "SUBSEQUENT")
PLACES = ("PORT", "INLAND")
REFERRAL_OUTCOMES = ("REFERRED", "NOT_REFERRED", "LAPSED")
DECISION_OUTCOMES = ("RECOGNIZED", "HUMANITARIAN", "REJECTED", "WITHDRAWN", "TERMINATED")
OBJECTION_OUTCOMES = ("ACCEPTED", "DISMISSED", "DISMISSED_HUMANITARIAN", "INADMISSIBLE",
                      "WITHDRAWN")
DAYS_BANDS = ("D0-7", "D8-30", "D31-90", "D_GT90")
STAGES = ("REFERRAL", "FIRST_INSTANCE", "OBJECTION", "LITIGATION")
DURATIONS = ("M_LT6", "M6-11", "M12-23", "M_GE24")
NEED_CATEGORIES = tuple(CATEGORIES)

COUNT_MEASURES = frozenset({"persons", "n"})
MEASURES = ("persons", "refugee_recognition_rate", "total_protection_rate", "n",
            "median_days", "p90_days", "share_within_6_months")

DIMENSIONS: dict[str, tuple[str, ...]] = {
    "applications": ("citizenship", "sex", "age_group", "applicant_type", "place"),
    "referral_decisions": ("port", "citizenship", "outcome", "days_band"),
    "first_instance_decisions": ("citizenship", "sex", "age_group", "outcome"),
    "objections_lodged": ("citizenship", "sex"),
    "objection_decisions": ("citizenship", "outcome"),
    "pending": ("stage", "citizenship", "sex", "duration"),
    "processing_times": ("stage",),
    "specific_needs": ("need_category", "sex", "age_band"),
}
TABLES = tuple(DIMENSIONS)
TABLE_MEASURES: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(TABLES, ("persons",)),
    "first_instance_decisions": ("persons", "refugee_recognition_rate", "total_protection_rate"),
    "processing_times": ("n", "median_days", "p90_days", "share_within_6_months"),
}
TITLES: dict[str, str] = {
    "applications": "Asylum applicants",
    "referral_decisions": "Referral decisions at ports of entry",
    "first_instance_decisions": "First-instance decisions",
    "objections_lodged": "Objections lodged",
    "objection_decisions": "Objection decisions",
    "pending": "Applications pending on 31 December",
    "processing_times": "Processing times",
    "specific_needs": "Applicants with specific needs",
}

# What each table counts, as it is written into every file's metadata.
DEFINITIONS: dict[str, str] = {
    "applications": (
        "Persons who lodged an asylum application in the year, by the attributes of their "
        "earliest application of the year: citizenship, sex, age group at lodging, first or "
        "subsequent application, lodged at a port of entry or inland."),
    "referral_decisions": (
        "Persons whose port-of-entry application received its referral outcome in the year "
        "(the last one if several): referred, not referred, or lapsed (no decision within "
        "7 days); days from lodging to the outcome."),
    "first_instance_decisions": (
        "Persons with a first-instance decision dated in the year, plus persons whose "
        "application was withdrawn or terminated in the year before any decision (also "
        "while the referral was pending). A person counts once: with their last decision "
        "on the merits of the year, or else their last withdrawal or termination. Age at "
        "that event. refugee_recognition_rate = REC / (REC + HUM + REJ); "
        "total_protection_rate = (REC + HUM) / (REC + HUM + REJ); rate rows exist only "
        "where the denominator is not zero, and carry it as n."),
    "objections_lodged": "Persons who lodged an objection in the year.",
    "objection_decisions": (
        "Persons with an objection outcome dated in the year (the last one if several)."),
    "pending": (
        "Persons whose application was pending on 31 December: status on that day is the "
        "last status event effective on or before it. REFERRAL = referral pending, "
        "LITIGATION = suit against non-referral or against a refusal. Duration = completed "
        "months from lodging to 31 December."),
    "processing_times": (
        "Every first-instance decision on the merits (from lodging the application) and "
        "every objection decision other than a withdrawal (from lodging the objection) dated "
        "in the year; n counts decisions, so a person decided twice counts twice. "
        "median_days: the mean of the two middle values when n is even; "
        "p90_days: nearest rank, the ceil(0.9 n)-th smallest; share_within_6_months: "
        "decided no later than the start plus 6 months (day kept, clamped to the month's "
        "end)."),
    "specific_needs": (
        "Persons with an application lodged in the year who have a specific need of the "
        "category (UNHCR codes, top level), as recorded when the report is made; sex and "
        "age band at their earliest lodging of the year."),
}
GENERAL_DEFINITIONS: dict[str, str] = {
    "unit": ("The person: nobody is counted twice in one table; processing_times counts "
             "decisions."),
    "coverage": "National statistics: every agency's cases.",
    "age": ("Completed years at the event date (31 December for stocks); a date of birth "
            "known only to the month counts as the 15th, only to the year as 1 July; "
            "UNK without a date of birth. Months are added keeping the day, clamped to the "
            "end of the month."),
    "totals": ("TOTAL rows: per citizenship with every other dimension TOTAL, and a grand "
               "total; specific_needs has one total per need category."),
    "precision": ("Rates and shares: 4 decimal places; median_days: 1; p90_days: whole "
                  "days."),
}


class Cell(NamedTuple):
    """One published figure: its table, its dimension values (in DIMENSIONS order), the
    measure and the value. `n` is the denominator of a rate, median, percentile or share
    (what the public release's n >= 20 rule looks at); counts leave it None."""

    table: str
    dims: tuple[str, ...]
    measure: str
    value: int | Decimal | None
    n: int | None = None
    status: str = ""

    def dimensions(self) -> dict[str, str]:
        return dict(zip(DIMENSIONS[self.table], self.dims, strict=True))

    @property
    def is_total(self) -> bool:
        return TOTAL in self.dims


Counts = Mapping[tuple[str, ...], int]

_ORDER: dict[str, tuple[str, ...]] = {
    "sex": SEXES, "age_group": AGE_GROUPS, "age_band": AGE_BANDS,
    "applicant_type": APPLICANT_TYPES, "place": PLACES,
    "outcome": REFERRAL_OUTCOMES + DECISION_OUTCOMES + OBJECTION_OUTCOMES,
    "days_band": DAYS_BANDS, "stage": STAGES, "duration": DURATIONS,
    "need_category": NEED_CATEGORIES,
}


def _value_key(dimension: str, value: str) -> tuple[int, int, str]:
    """Categories in their published order, codes alphabetically, OTHER then TOTAL last."""
    if value == TOTAL:
        return (2, 0, "")
    if value == OTHER:
        return (1, 0, "")
    order = _ORDER.get(dimension, ())
    return (0, order.index(value) if value in order else len(order), value)


def row_key(cell: Cell) -> tuple[Any, ...]:
    """Rows of a group first, its total after them, the grand total last."""
    names = DIMENSIONS[cell.table]
    return (*(_value_key(name, value) for name, value in zip(names, cell.dims, strict=True)),
            MEASURES.index(cell.measure))


def valid_year(year: int, today: date) -> bool:
    """Statistics exist from FIRST_YEAR to the current year (a year in progress is partial)."""
    return FIRST_YEAR <= year <= today.year


def ratio(numerator: int, denominator: int, places: int = 4) -> Decimal:
    """A rate rounded half up to `places` decimals (exact decimal arithmetic)."""
    quantum = Decimal(1).scaleb(-places)
    return (Decimal(numerator) / Decimal(denominator)).quantize(quantum, ROUND_HALF_UP)


# --- assembling cells ------------------------------------------------------------------------

def assemble(table: str, counts: Counts) -> list[Cell]:
    """The table's cells from its exact fine counts: fine cells, totals, rates, sorted.

    Also used by the public release after grouping citizenships into OTHER, so OTHER's
    totals and rates are recomputed from exact sums.
    """
    names = DIMENSIONS[table]
    persons: Counter[tuple[str, ...]] = Counter()
    citizenship = names.index("citizenship") if "citizenship" in names else None
    category = names.index("need_category") if table == "specific_needs" else None
    for key, value in counts.items():
        if not value:
            continue
        persons[key] += value
        if citizenship is not None:
            persons[tuple(v if i == citizenship else TOTAL for i, v in enumerate(key))] += value
            persons[(TOTAL,) * len(names)] += value
        if category is not None:
            persons[tuple(v if i == category else TOTAL for i, v in enumerate(key))] += value
    cells = [Cell(table, key, "persons", value) for key, value in persons.items()]
    if table == "first_instance_decisions":
        cells += _rates(counts)
    cells.sort(key=row_key)
    return cells


def _rates(counts: Counts) -> list[Cell]:
    """Recognition and protection rates per citizenship and overall (non-zero denominators)."""
    by_outcome: Counter[tuple[str, str]] = Counter()
    for (citizenship, _sex, _age, outcome), value in counts.items():
        by_outcome[(citizenship, outcome)] += value
        by_outcome[(TOTAL, outcome)] += value
    cells = []
    for citizenship in sorted({key[0] for key in by_outcome}):
        recognized = by_outcome[(citizenship, "RECOGNIZED")]
        humanitarian = by_outcome[(citizenship, "HUMANITARIAN")]
        decided = recognized + humanitarian + by_outcome[(citizenship, "REJECTED")]
        if not decided:
            continue
        dims = (citizenship, TOTAL, TOTAL, TOTAL)
        cells.append(Cell("first_instance_decisions", dims, "refugee_recognition_rate",
                          ratio(recognized, decided), decided))
        cells.append(Cell("first_instance_decisions", dims, "total_protection_rate",
                          ratio(recognized + humanitarian, decided), decided))
    return cells


# --- the queries -----------------------------------------------------------------------------
#
# One GROUP BY per table over the facts of one kind and year, grouped in the order of that
# kind's index so the counts stream out of it. The kind is written into the SQL as a
# literal, not a parameter: a planner can use a partial index only for a condition it can
# see (a generic plan for `kind = $1` could not).

_facts = facts.facts_table

# The facts each table counts.
KINDS: dict[str, FactKind] = {
    "applications": FactKind.APPLICATION,
    "referral_decisions": FactKind.REFERRAL_DECISION,
    "first_instance_decisions": FactKind.FIRST_INSTANCE_DECISION,
    "objections_lodged": FactKind.OBJECTION_LODGED,
    "objection_decisions": FactKind.OBJECTION_DECISION,
    "pending": FactKind.PENDING_AT_YEAR_END,
    "specific_needs": FactKind.SPECIFIC_NEED,
}
PROCESSING_KINDS = {"FIRST_INSTANCE": FactKind.PROCESSING_FIRST_INSTANCE,
                    "OBJECTION": FactKind.PROCESSING_OBJECTION}


def of_kind(kind: FactKind) -> sa.ColumnElement[bool]:
    """`kind = '<kind>'`, the literal a partial index of the kind matches."""
    return _facts.c.kind == sa.literal(kind.value, literal_execute=True)


def count_query(kind: FactKind, year: int, columns: Iterable[str]) -> sa.Select[Any]:
    """Facts of a kind and year counted per combination of `columns`."""
    keys = [_facts.c[name] for name in columns]
    return (sa.select(*keys, sa.func.count())
            .where(of_kind(kind), _facts.c.year == year).group_by(*keys))


def _counts(session: Session, query: sa.Select[Any]) -> Counter[tuple[str, ...]]:
    """Aggregated rows (dimension values..., count) as dimension values → count."""
    return Counter({tuple(row[:-1]): int(row[-1]) for row in session.execute(query)})


def _count_table(session: Session, name: str, year: int) -> list[Cell]:
    """A table that is one count of its facts by its dimensions (the column names)."""
    return assemble(name, _counts(session, count_query(KINDS[name], year, DIMENSIONS[name])))


def applications(session: Session, year: int) -> list[Cell]:
    """Persons who lodged an application in `year` (earliest application's attributes)."""
    return _count_table(session, "applications", year)


def referral_decisions(session: Session, year: int) -> list[Cell]:
    """Persons whose port-of-entry application got its referral outcome in `year`."""
    return _count_table(session, "referral_decisions", year)


def first_instance_decisions(session: Session, year: int) -> list[Cell]:
    """Persons decided at first instance in `year`, or whose application ended undecided."""
    return _count_table(session, "first_instance_decisions", year)


def objections_lodged(session: Session, year: int) -> list[Cell]:
    """Persons who lodged an objection in `year` (once each, however many)."""
    return _count_table(session, "objections_lodged", year)


def objection_decisions(session: Session, year: int) -> list[Cell]:
    """Persons whose objection was decided (or withdrawn) in `year`, by their last outcome."""
    return _count_table(session, "objection_decisions", year)


def specific_needs(session: Session, year: int) -> list[Cell]:
    """Persons who applied in `year` with a specific need, by category, sex and age band."""
    return _count_table(session, "specific_needs", year)


def ongoing_query(year: int) -> sa.Select[Any]:
    """Applications pending now whose duration reached 24 months by 31 December of a year
    up to `year`: pending 24 months or more on 31 December of `year`, per stage,
    citizenship and sex."""
    keys = [_facts.c.stage, _facts.c.citizenship, _facts.c.sex]
    return (sa.select(*keys, sa.func.count())
            .where(of_kind(FactKind.PENDING_ONGOING), _facts.c.year <= year).group_by(*keys))


def pending(session: Session, year: int) -> list[Cell]:
    """Persons with an application pending on 31 December of `year`, by stage and duration:
    the year's own facts, plus the applications still pending now that had been for 24
    months or more by then (one ongoing fact each, see `facts.py`)."""
    counts = _counts(session, count_query(FactKind.PENDING_AT_YEAR_END, year,
                                          DIMENSIONS["pending"]))
    for (stage, citizenship, sex), persons in _counts(session, ongoing_query(year)).items():
        counts[(stage, citizenship, sex, facts.LONGEST_DURATION)] += persons
    return assemble("pending", counts)


def histogram_query(kind: FactKind, year: int) -> sa.Select[Any]:
    """Decisions of a stage in `year` per number of days and within-6-months flag."""
    keys = [_facts.c.days, _facts.c.within_6_months]
    return (sa.select(*keys, sa.func.count())
            .where(of_kind(kind), _facts.c.year == year).group_by(*keys))


def _nth_smallest(histogram: list[tuple[int, int]], rank: int) -> int:
    """The `rank`-th smallest value (1-based) of a sorted (value, count) histogram."""
    seen = 0
    for value, count in histogram:
        seen += count
        if seen >= rank:
            return value
    raise ValueError(f"rank {rank} beyond {seen} values")


def processing_times(session: Session, year: int) -> list[Cell]:
    """Days from the start of each stage to its decision, over every decision of the year
    (the unit is the decision: `n`, not persons): n, median, p90, share within 6 months.
    The database counts decisions per number of days; the ranks are read off that
    histogram, a few hundred rows whatever the number of decisions."""
    cells = []
    for stage, kind in PROCESSING_KINDS.items():
        by_days: Counter[int] = Counter()
        within = 0
        for days, in_time, count in session.execute(histogram_query(kind, year)):
            by_days[int(days)] += int(count)
            within += int(count) if in_time else 0
        n = sum(by_days.values())
        if not n:
            continue
        histogram = sorted(by_days.items())
        lower = _nth_smallest(histogram, (n + 1) // 2)
        upper = _nth_smallest(histogram, (n + 2) // 2)
        median = (Decimal(lower + upper) / 2).quantize(Decimal("0.1"))
        p90 = _nth_smallest(histogram, (9 * n + 9) // 10)  # nearest rank: ceil(0.9 n)
        cells += [Cell("processing_times", (stage,), "n", n),
                  Cell("processing_times", (stage,), "median_days", median, n),
                  Cell("processing_times", (stage,), "p90_days", p90, n),
                  Cell("processing_times", (stage,), "share_within_6_months",
                       ratio(within, n), n)]
    cells.sort(key=row_key)
    return cells


QUERIES: dict[str, Callable[[Session, int], list[Cell]]] = {
    "applications": applications,
    "referral_decisions": referral_decisions,
    "first_instance_decisions": first_instance_decisions,
    "objections_lodged": objections_lodged,
    "objection_decisions": objection_decisions,
    "pending": pending,
    "processing_times": processing_times,
    "specific_needs": specific_needs,
}


def annual_tables(session: Session, year: int) -> Iterator[tuple[str, list[Cell]]]:
    """Every table of the year, one at a time (only one is ever held in memory)."""
    for name in TABLES:
        yield name, QUERIES[name](session, year)


def applications_by_month(session: Session, year: int) -> list[tuple[int, int]]:
    """Persons who applied in `year` by the month of their earliest application (1–12;
    months without applications are included as 0), for the statistics page's chart."""
    counts = {int(month): int(count) for month, count in session.execute(
        sa.select(_facts.c.month, sa.func.count())
        .where(of_kind(FactKind.APPLICATION), _facts.c.year == year)
        .group_by(_facts.c.month))}
    return [(month, counts.get(month, 0)) for month in range(1, 13)]
