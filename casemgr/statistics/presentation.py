"""What the statistics page shows: translated labels, tables laid out for reading, charts.

The files speak the codes of STATISTICS.md; people read labels in their language. This
module lays a year's cells out for reading, on the internal page (exact cells) and the
public page (protected cells). Charts of figures that are not themselves table rows (decisions
by outcome, pending by stage and duration, applications by month) are sums of exact data,
rounded to base 5 on the public page like every other published count.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from itertools import groupby
from typing import Any

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from casemgr import i18n
from casemgr.needs.codes import CATEGORIES
from casemgr.statistics import charts, disclosure, tables
from casemgr.statistics.tables import DIMENSIONS, OTHER, TABLE_MEASURES, TOTAL, Cell

TITLES = {
    "applications": _l("Asylum applicants"),
    "referral_decisions": _l("Referral decisions at ports of entry"),
    "first_instance_decisions": _l("First-instance decisions"),
    "objections_lodged": _l("Objections lodged"),
    "objection_decisions": _l("Objection decisions"),
    "pending": _l("Applications pending on 31 December"),
    "processing_times": _l("Processing times"),
    "specific_needs": _l("Applicants with specific needs"),
}
DESCRIPTIONS = {
    "applications": _l("Persons who lodged an application in the year, counted once with "
                       "their earliest application of the year; age at lodging."),
    "referral_decisions": _l("Persons whose port-of-entry application received its referral "
                             "outcome in the year, by days from lodging to the outcome."),
    "first_instance_decisions": _l(
        "Persons decided at first instance in the year (their last decision on the merits), "
        "or whose application was withdrawn or terminated before any decision; age at the "
        "decision. Rates: recognized, and recognized or humanitarian, out of decisions on "
        "the merits."),
    "objections_lodged": _l("Persons who lodged an objection in the year."),
    "objection_decisions": _l("Persons whose objection was decided in the year (last "
                              "outcome)."),
    "pending": _l("Persons whose application was pending on 31 December, by stage and "
                  "completed months since lodging."),
    "processing_times": _l("Days from lodging to each first-instance decision on the "
                           "merits, and from each objection to its decision (withdrawals "
                           "excluded). Counts decisions, not persons."),
    "specific_needs": _l("Persons who applied in the year with a specific need recorded, by "
                         "need category; age at lodging."),
}
DIMENSION_LABELS = {
    "citizenship": _l("Citizenship"), "sex": _l("Sex"), "age_group": _l("Age"),
    "age_band": _l("Age"), "applicant_type": _l("Application"), "place": _l("Lodged"),
    "port": _l("Port"), "outcome": _l("Outcome"), "days_band": _l("Days to outcome"),
    "stage": _l("Stage"), "duration": _l("Pending for"), "need_category": _l("Need"),
}
MEASURE_LABELS = {
    "persons": _l("Persons"), "refugee_recognition_rate": _l("Refugee recognition rate"),
    "total_protection_rate": _l("Total protection rate"), "n": _l("Decisions"),
    "median_days": _l("Median days"), "p90_days": _l("90th percentile, days"),
    "share_within_6_months": _l("Share within 6 months"),
}
VALUE_LABELS = {
    TOTAL: _l("Total"), OTHER: _l("Other citizenships"), tables.UNKNOWN_PORT: _l("Unknown"),
    "F": _l("Female"), "M": _l("Male"), "X": _l("Other"), "U": _l("Unknown"),
    "Y_LT14": _l("under 14"), "Y14-17": _l("14–17"), "Y18-34": _l("18–34"),
    "Y35-64": _l("35–64"), "Y_GE65": _l("65 and over"), "UNK": _l("unknown"),
    "Y_LT18": _l("under 18"), "Y18-59": _l("18–59"), "Y_GE60": _l("60 and over"),
    "FIRST": _l("First"), "SUBSEQUENT": _l("Subsequent"),
    "PORT": _l("At a port of entry"), "INLAND": _l("Inland"),
    "REFERRED": _l("Referred"), "NOT_REFERRED": _l("Not referred"),
    "LAPSED": _l("Lapsed (no decision in 7 days)"),
    "RECOGNIZED": _l("Recognized"), "HUMANITARIAN": _l("Humanitarian stay"),
    "REJECTED": _l("Rejected"), "WITHDRAWN": _l("Withdrawn"), "TERMINATED": _l("Terminated"),
    "ACCEPTED": _l("Accepted"), "DISMISSED": _l("Dismissed"),
    "DISMISSED_HUMANITARIAN": _l("Dismissed, humanitarian stay"),
    "INADMISSIBLE": _l("Inadmissible"),
    "D0-7": _l("0–7 days"), "D8-30": _l("8–30 days"), "D31-90": _l("31–90 days"),
    "D_GT90": _l("over 90 days"),
    "REFERRAL": _l("Referral"), "FIRST_INSTANCE": _l("First instance"),
    "OBJECTION": _l("Objection"), "LITIGATION": _l("Litigation"),
    "M_LT6": _l("under 6 months"), "M6-11": _l("6–11 months"), "M12-23": _l("12–23 months"),
    "M_GE24": _l("24 months or more"),
}
TOP_CITIZENSHIPS = 15
RATES = frozenset({"refugee_recognition_rate", "total_protection_rate", "share_within_6_months"})


def value_label(dimension: str, value: str, country_name: Callable[[str], str],
                values: Mapping[str, Any] = VALUE_LABELS) -> str:
    """How a dimension value reads on the page (countries by name, with their code);
    `values` are VALUE_LABELS, possibly already translated (see Labels)."""
    if dimension == "need_category" and value in CATEGORIES:
        return f"{value} — {CATEGORIES[value]}"
    if dimension == "citizenship" and value not in values:
        return f"{country_name(value)} ({value})"
    return str(values.get(value, value))


class Labels:
    """The page's words and figures in the request's language, each worked out once per
    page: a lazy string is translated again every time it is read and Babel formats each
    number from scratch, and a year's tables read thousands of the same few labels and
    counts (most of the time of the page before this cache)."""

    def __init__(self, country_name: Callable[[str], str]) -> None:
        self.country_name = country_name
        self.values = {key: str(label) for key, label in VALUE_LABELS.items()}
        self._labels: dict[tuple[str, str], str] = {}
        self._figures: dict[tuple[bool, type, Any], str] = {}

    def value(self, dimension: str, value: str) -> str:
        key = (dimension, value)
        label = self._labels.get(key)
        if label is None:
            label = self._labels[key] = value_label(dimension, value, self.country_name,
                                                    self.values)
        return label

    def figure(self, cell: Cell | None) -> str:
        """measure_text(cell), remembered by value (equal values read the same)."""
        if cell is None or cell.value is None:
            return measure_text(cell)
        key = (cell.measure in RATES, type(cell.value), cell.value)
        text = self._figures.get(key)
        if text is None:
            text = self._figures[key] = measure_text(cell)
        return text


def measure_text(cell: Cell | None) -> str:
    """A value as the page shows it: locale digits, rates as percentages with two decimals
    written as the locale writes them (45.67%, 45,67\xa0%)."""
    if cell is None:
        return ""
    if cell.value is None:
        return "[c]"
    if cell.measure in RATES:
        return i18n.percent(cell.value, 2)
    return i18n.number(cell.value)


@dataclass(frozen=True)
class Row:
    dims: tuple[str, ...]
    labels: list[str]
    values: list[str]

    @property
    def total(self) -> bool:
        return TOTAL in self.dims

    @property
    def grand_total(self) -> bool:
        return all(value == TOTAL for value in self.dims)


@dataclass
class TableView:
    """One table laid out for reading: its totals first, every cell on request."""

    name: str
    title: str
    description: str
    dimension_labels: list[str]
    measure_labels: list[str]
    rows: list[Row] = field(default_factory=list)
    summary_columns: list[int] = field(default_factory=list)
    summary: list[Row] = field(default_factory=list)


def table_view(name: str, cells: list[Cell], labels: Labels) -> TableView:
    dimensions, measures = DIMENSIONS[name], TABLE_MEASURES[name]
    view = TableView(name, str(TITLES[name]), str(DESCRIPTIONS[name]),
                     [str(DIMENSION_LABELS[d]) for d in dimensions],
                     [str(MEASURE_LABELS[m]) for m in measures])
    for dims, group in groupby(cells, key=lambda cell: cell.dims):
        by_measure = {cell.measure: cell for cell in group}
        view.rows.append(Row(
            dims, [labels.value(d, v) for d, v in zip(dimensions, dims, strict=True)],
            [labels.figure(by_measure.get(m)) for m in measures]))
    total_rows = [row for row in view.rows if row.total] or view.rows
    view.summary = total_rows
    varying = [index for index in range(len(dimensions))
               if any(row.dims[index] != TOTAL for row in total_rows)]
    view.summary_columns = varying or [0]
    return view


# --- charts --------------------------------------------------------------------------------

def _rounded(value: int, public: bool) -> int:
    return disclosure.round_to_base(value) if public else value


def _sum_by(cells: Iterable[Cell], *positions: int) -> Counter[tuple[str, ...]]:
    """Exact persons of the fine cells, summed by some of their dimensions."""
    sums: Counter[tuple[str, ...]] = Counter()
    for cell in cells:
        if cell.measure == "persons" and not cell.is_total:
            sums[tuple(cell.dims[p] for p in positions)] += int(cell.value)  # type: ignore[arg-type]
    return sums


def citizenship_chart(cells: list[Cell], year: int, country_name: Callable[[str], str]
                      ) -> charts.Chart:
    """Applicants by citizenship: the largest ones, the rest together. `cells` are the
    published applications cells (protected on the public page)."""
    totals = [(cell.dims[0], cell.value) for cell in cells
              if cell.measure == "persons" and cell.dims[0] != TOTAL and cell.dims[1] == TOTAL]
    totals.sort(key=lambda item: (item[0] == OTHER, -(item[1] or 0), item[0]))
    shown = totals[:TOP_CITIZENSHIPS]
    rest = sum(value or 0 for _code, value in totals[TOP_CITIZENSHIPS:])
    categories = [value_label("citizenship", code, country_name) for code, _v in shown]
    values: list[float | int | None] = [value for _code, value in shown]
    if rest:
        categories.append(_("All other citizenships"))
        values.append(rest)
    title = _("Applicants by citizenship, %(year)s", year=year)
    description = "; ".join(f"{c}: {'[c]' if v is None else i18n.number(v)}"
                            for c, v in zip(categories, values, strict=True))
    return charts.Chart("chart-citizenship", title, description, categories,
                        [charts.Series(_("Persons"), values)])


def month_chart(months: list[tuple[int, int]], year: int, public: bool) -> charts.Chart:
    categories = [format_date(date(year, month, 1), "MMMM") for month, _count in months]
    values: list[float | int | None] = [_rounded(count, public) for _month, count in months]
    title = _("Applicants by month of application, %(year)s", year=year)
    description = "; ".join(f"{c}: {i18n.number(v)}" for c, v in zip(categories, values,
                                                                 strict=True))
    return charts.Chart("chart-months", title, description, categories,
                        [charts.Series(_("Persons"), values)])


def outcome_chart(exact: list[Cell], year: int, public: bool) -> charts.Chart:
    sums = _sum_by(exact, 3)
    outcomes = [o for o in tables.DECISION_OUTCOMES if sums[(o,)]]
    categories = [str(VALUE_LABELS[o]) for o in outcomes]
    values: list[float | int | None] = [_rounded(sums[(o,)], public) for o in outcomes]
    title = _("First-instance decisions by outcome, %(year)s", year=year)
    description = "; ".join(f"{c}: {i18n.number(v)}" for c, v in zip(categories, values,
                                                                 strict=True))
    return charts.Chart("chart-outcomes", title, description, categories,
                        [charts.Series(_("Persons"), values)])


def pending_chart(exact: list[Cell], year: int, public: bool) -> charts.Chart:
    sums = _sum_by(exact, 0, 3)
    stages = [s for s in tables.STAGES if any(sums[(s, d)] for d in tables.DURATIONS)]
    series = [charts.Series(str(VALUE_LABELS[d]),
                            [_rounded(sums[(s, d)], public) for s in stages])
              for d in tables.DURATIONS]
    categories = [str(VALUE_LABELS[s]) for s in stages]
    title = _("Pending on 31 December %(year)s by stage and duration", year=year)
    description = "; ".join(
        f"{category}: " + ", ".join(f"{item.name} {i18n.number(item.values[i])}" for item in series)
        for i, category in enumerate(categories))
    return charts.Chart("chart-pending", title, description, categories, series)


def processing_chart(cells: list[Cell], year: int) -> charts.Chart:
    """Median and 90th percentile days per stage (published cells: suppressed stay empty)."""
    by_stage = {(cell.dims[0], cell.measure): cell for cell in cells}
    stages = [s for s in ("FIRST_INSTANCE", "OBJECTION") if (s, "n") in by_stage]
    series = [charts.Series(str(MEASURE_LABELS[m]),
                            [_chart_value(by_stage.get((s, m))) for s in stages])
              for m in ("median_days", "p90_days")]
    categories = [str(VALUE_LABELS[s]) for s in stages]
    title = _("Processing times in days, %(year)s", year=year)
    description = "; ".join(
        f"{category}: " + ", ".join(
            f"{item.name} {'[c]' if item.values[i] is None else i18n.number(item.values[i])}"
            for item in series)
        for i, category in enumerate(categories))
    return charts.Chart("chart-processing", title, description, categories, series)


def _chart_value(cell: Cell | None) -> float | None:
    return None if cell is None or cell.value is None else float(cell.value)


def page(session: Session, year: int, *, public: bool,
         country_name: Callable[[str], str]) -> tuple[list[TableView], list[charts.Chart]]:
    """Every table of the year laid out for reading, and the charts drawn from them; on the
    public page the tables are protected and the charts' counts rounded."""
    views, drawn = [], []
    labels = Labels(country_name)
    for name, exact in tables.annual_tables(session, year):
        shown = disclosure.protect(name, exact) if public else exact
        views.append(table_view(name, shown, labels))
        if name == "applications":
            drawn.append(citizenship_chart(shown, year, country_name))
            drawn.append(month_chart(tables.applications_by_month(session, year), year,
                                     public))
        elif name == "first_instance_decisions":
            drawn.append(outcome_chart(exact, year, public))
        elif name == "pending":
            drawn.append(pending_chart(exact, year, public))
        elif name == "processing_times":
            drawn.append(processing_chart(shown, year))
    return views, drawn
