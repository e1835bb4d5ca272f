"""Disclosure control for the public release (STATISTICS.md §Public release).

Figures about a handful of people identify them, so public files go through four rules,
in the spec's order:

1. grouping: a citizenship whose exact grand total in the table is under 10 becomes OTHER,
   whose cells (and totals and rates) are recomputed from the exact sums;
2. rounding: every count, totals included, is rounded on its own from its exact value to
   the nearest multiple of 5 (remainder 1–2 down, 3–4 up); a non-zero exact cell stays in
   the file even when it rounds to 0;
3. suppression: in `referral_decisions` and `specific_needs`, a count whose exact value is
   1–9 is published empty with status `suppressed`; `SV` and `TR` needs appear only in
   their category totals;
4. rates, medians, percentiles and shares come from exact data and are published only
   where their n is at least 20.

Only exact values decide anything, so the same data always gives the same file and
re-releases agree; exact and rounded values of one cell never both appear.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from casemgr.statistics.tables import (
    COUNT_MEASURES,
    DIMENSIONS,
    OTHER,
    Cell,
    assemble,
)

GROUPING_THRESHOLD = 10
ROUNDING_BASE = 5
SUPPRESSED_TABLES = frozenset({"referral_decisions", "specific_needs"})
SMALL_COUNT = range(1, 10)
TOTAL_ONLY_NEEDS = frozenset({"SV", "TR"})
MINIMUM_N = 20
SUPPRESSED = "suppressed"

RULES: dict[str, Any] = {
    "order": ["grouping", "rounding", "suppression", "rates"],
    "grouping": (
        f"Within each table, a citizenship whose exact grand total in that table is under "
        f"{GROUPING_THRESHOLD} is replaced by OTHER; OTHER's cells, totals and rates are "
        f"computed from the exact sums of the grouped citizenships."),
    "rounding": (
        f"Every count, totals included, is rounded independently from its exact value to the "
        f"nearest multiple of {ROUNDING_BASE} (remainder 1-2 down, 3-4 up: 1 -> 0, 3 -> 5, "
        f"12 -> 10, 13 -> 15). Rounded tables need not add up. A cell whose exact value is "
        f"not zero stays in the file even when it rounds to 0."),
    "suppression": (
        "In referral_decisions and specific_needs, a cell whose exact count is 1-9 is "
        "published with an empty value and status suppressed. Need categories SV and TR are "
        "published only in their category total rows."),
    "rates": (
        f"Rates, medians, percentiles and shares are computed from exact data and published "
        f"only where their n (denominator) is at least {MINIMUM_N}; otherwise empty with "
        f"status suppressed."),
    "grouping_threshold": GROUPING_THRESHOLD,
    "rounding_base": ROUNDING_BASE,
    "suppressed_tables": sorted(SUPPRESSED_TABLES),
    "total_only_need_categories": sorted(TOTAL_ONLY_NEEDS),
    "minimum_n": MINIMUM_N,
}
INTERNAL: dict[str, Any] = {
    "applied": False,
    "note": ("Exact figures for internal use by authorised staff; no disclosure control. "
             "Not for publication: use the public release."),
}


def round_to_base(value: int, base: int = ROUNDING_BASE) -> int:
    """The nearest multiple of `base` (base 5: remainder 1–2 rounds down, 3–4 up)."""
    return base * ((value + base // 2) // base)


def group_citizenships(table: str, cells: list[Cell]) -> list[Cell]:
    """Rule 1: the table re-assembled with small citizenships merged into OTHER."""
    names = DIMENSIONS[table]
    if "citizenship" not in names:
        return cells
    position = names.index("citizenship")
    fine = {cell.dims: int(cell.value) for cell in cells  # type: ignore[arg-type]
            if cell.measure == "persons" and not cell.is_total}
    totals: Counter[str] = Counter()
    for dims, value in fine.items():
        totals[dims[position]] += value
    small = {code for code, total in totals.items() if total < GROUPING_THRESHOLD}
    if not small:
        return cells
    grouped: Counter[tuple[str, ...]] = Counter()
    for dims, value in fine.items():
        if dims[position] in small:
            dims = (*dims[:position], OTHER, *dims[position + 1:])
        grouped[dims] += value
    return assemble(table, grouped)


def _published(cell: Cell) -> Cell | None:
    """Rules 2–4 for one cell (None: not published at all)."""
    if cell.table == "specific_needs" and not cell.is_total and cell.dims[0] in TOTAL_ONLY_NEEDS:
        return None
    if cell.measure in COUNT_MEASURES:
        exact = int(cell.value)  # type: ignore[arg-type]
        if cell.table in SUPPRESSED_TABLES and exact in SMALL_COUNT:
            return cell._replace(value=None, status=SUPPRESSED)
        return cell._replace(value=round_to_base(exact))
    if cell.n is None or cell.n < MINIMUM_N:
        return cell._replace(value=None, status=SUPPRESSED)
    return cell


def protect(table: str, cells: list[Cell]) -> list[Cell]:
    """The public version of one table's exact cells."""
    protected = []
    for cell in group_citizenships(table, cells):
        published = _published(cell)
        if published is not None:
            protected.append(published)
    return protected


def description(public: bool) -> dict[str, Any]:
    """What the file's metadata says about disclosure control."""
    return {"applied": True, **RULES} if public else dict(INTERNAL)
