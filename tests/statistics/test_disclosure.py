"""The public release's rules, in their order: grouping into OTHER below 10, base-5 rounding
of every count from its exact value, suppression of 1–9 in referral_decisions and
specific_needs (SV and TR only as category totals), and rates only where n >= 20.

The exact counts are written out here; every expected public value is worked out by hand.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from casemgr.statistics.disclosure import protect, round_to_base
from casemgr.statistics.tables import TOTAL, Cell, assemble


@pytest.mark.parametrize(("exact", "published"), [
    (0, 0), (1, 0), (2, 0), (3, 5), (4, 5), (5, 5), (7, 5), (8, 10), (12, 10), (13, 15),
    (102, 100), (103, 105),
])
def test_rounding_to_base_5_from_the_exact_value(exact, published):
    assert round_to_base(exact) == published


def published(table: str, counts: dict[tuple[str, ...], int]) -> dict:
    return {(cell.dims, cell.measure): (cell.value, cell.status)
            for cell in protect(table, assemble(table, counts))}


def test_small_citizenships_are_grouped_as_other_then_every_count_is_rounded():
    t = ("Y18-34", "FIRST", "INLAND")
    rows = published("applications", {
        ("RUS", "F", *t): 12, ("RUS", "M", *t): 1,   # RUS: 13, stays
        ("KAZ", "M", *t): 6,                         # KAZ: 6 → OTHER
        ("VNM", "M", *t): 3, ("VNM", "F", *t): 2,    # VNM: 5 → OTHER
    })
    total = (TOTAL, TOTAL, TOTAL, TOTAL)
    assert rows == {
        (("RUS", "F", *t), "persons"): (10, ""),
        (("RUS", "M", *t), "persons"): (0, ""),       # exact 1: kept, rounded to 0
        (("RUS", *total), "persons"): (15, ""),       # 13
        (("OTHER", "M", *t), "persons"): (10, ""),    # 6 + 3 = 9
        (("OTHER", "F", *t), "persons"): (0, ""),     # 2
        (("OTHER", *total), "persons"): (10, ""),     # 11
        ((TOTAL, *total), "persons"): (25, ""),       # 24
    }


def test_referral_cells_of_1_to_9_are_suppressed_not_rounded():
    rows = published("referral_decisions", {
        ("ICN", "RUS", "REFERRED", "D0-7"): 12, ("ICN", "RUS", "NOT_REFERRED", "D8-30"): 3,
        ("PUS", "KAZ", "REFERRED", "D0-7"): 9, ("PUS", "KAZ", "LAPSED", "D8-30"): 4,
    })
    assert rows == {
        (("ICN", "RUS", "REFERRED", "D0-7"), "persons"): (10, ""),
        (("ICN", "RUS", "NOT_REFERRED", "D8-30"), "persons"): (None, "suppressed"),
        (("PUS", "KAZ", "REFERRED", "D0-7"), "persons"): (None, "suppressed"),
        (("PUS", "KAZ", "LAPSED", "D8-30"), "persons"): (None, "suppressed"),
        ((TOTAL, "RUS", TOTAL, TOTAL), "persons"): (15, ""),     # 15
        ((TOTAL, "KAZ", TOTAL, TOTAL), "persons"): (15, ""),     # 13
        ((TOTAL, TOTAL, TOTAL, TOTAL), "persons"): (30, ""),     # 28
    }


def test_needs_suppress_small_cells_and_show_sv_and_tr_only_as_category_totals():
    rows = published("specific_needs", {
        ("SV", "F", "Y18-59"): 12, ("SV", "M", "Y18-59"): 1, ("TR", "M", "Y18-59"): 11,
        ("SM", "F", "Y_LT18"): 3, ("SM", "M", "Y18-59"): 25,
    })
    assert rows == {
        (("SV", TOTAL, TOTAL), "persons"): (15, ""),         # 13
        (("TR", TOTAL, TOTAL), "persons"): (10, ""),         # 11
        (("SM", "F", "Y_LT18"), "persons"): (None, "suppressed"),
        (("SM", "M", "Y18-59"), "persons"): (25, ""),
        (("SM", TOTAL, TOTAL), "persons"): (30, ""),         # 28
    }


def test_needs_category_totals_of_1_to_9_are_suppressed_too():
    rows = published("specific_needs", {("TR", "F", "Y18-59"): 4})
    assert rows == {(("TR", TOTAL, TOTAL), "persons"): (None, "suppressed")}


def test_rates_come_from_exact_counts_and_need_n_of_20():
    a = ("F", "Y18-34")
    rows = published("first_instance_decisions", {
        # RUS: 5 recognized, 3 humanitarian, 12 rejected: n = 20
        ("RUS", *a, "RECOGNIZED"): 5, ("RUS", *a, "HUMANITARIAN"): 3,
        ("RUS", *a, "REJECTED"): 12,
        # KAZ: n = 19
        ("KAZ", *a, "RECOGNIZED"): 1, ("KAZ", *a, "REJECTED"): 18,
        # VNM 9, CHN 8, IND 6: each under 10, together OTHER with n = 23
        ("VNM", *a, "REJECTED"): 9,
        ("CHN", *a, "RECOGNIZED"): 2, ("CHN", *a, "REJECTED"): 6,
        ("IND", *a, "HUMANITARIAN"): 1, ("IND", *a, "REJECTED"): 5,
    })
    rates = {(dims[0], measure): result for (dims, measure), result in rows.items()
             if measure != "persons"}
    assert rates == {
        ("RUS", "refugee_recognition_rate"): (Decimal("0.2500"), ""),     # 5/20
        ("RUS", "total_protection_rate"): (Decimal("0.4000"), ""),        # 8/20
        ("KAZ", "refugee_recognition_rate"): (None, "suppressed"),
        ("KAZ", "total_protection_rate"): (None, "suppressed"),
        ("OTHER", "refugee_recognition_rate"): (Decimal("0.0870"), ""),   # 2/23 = 0.08696
        ("OTHER", "total_protection_rate"): (Decimal("0.1304"), ""),      # 3/23 = 0.13043
        (TOTAL, "refugee_recognition_rate"): (Decimal("0.1290"), ""),     # 8/62 = 0.12903
        (TOTAL, "total_protection_rate"): (Decimal("0.1935"), ""),        # 12/62 = 0.19355
    }
    assert rows[(("OTHER", TOTAL, TOTAL, TOTAL), "persons")] == (25, "")  # 23
    assert rows[(("KAZ", TOTAL, TOTAL, TOTAL), "persons")] == (20, "")    # 19


def test_processing_statistics_need_n_of_20_and_n_itself_is_rounded():
    def stage(name: str, n: int) -> list[Cell]:
        return [Cell("processing_times", (name,), "n", n),
                Cell("processing_times", (name,), "median_days", Decimal("101.5"), n),
                Cell("processing_times", (name,), "p90_days", 180, n),
                Cell("processing_times", (name,), "share_within_6_months", Decimal("0.9000"),
                     n)]

    public = protect("processing_times", stage("FIRST_INSTANCE", 21) + stage("OBJECTION", 19))
    assert [(c.dims[0], c.measure, c.value, c.status) for c in public] == [
        ("FIRST_INSTANCE", "n", 20, ""),
        ("FIRST_INSTANCE", "median_days", Decimal("101.5"), ""),
        ("FIRST_INSTANCE", "p90_days", 180, ""),
        ("FIRST_INSTANCE", "share_within_6_months", Decimal("0.9000"), ""),
        ("OBJECTION", "n", 20, ""),
        ("OBJECTION", "median_days", None, "suppressed"),
        ("OBJECTION", "p90_days", None, "suppressed"),
        ("OBJECTION", "share_within_6_months", None, "suppressed"),
    ]


def test_the_public_release_is_deterministic():
    counts = {("RUS", "F"): 7, ("RUS", "M"): 8, ("KAZ", "M"): 4, ("XXA", "F"): 1}
    first = protect("objections_lodged", assemble("objections_lodged", counts))
    again = protect("objections_lodged", assemble("objections_lodged", dict(
        reversed(list(counts.items())))))
    assert first == again
    assert [(c.dims, c.value) for c in first] == [
        (("RUS", "F"), 5), (("RUS", "M"), 10), (("RUS", TOTAL), 15),
        (("OTHER", "F"), 0), (("OTHER", "M"), 5), (("OTHER", TOTAL), 5),
        ((TOTAL, TOTAL), 20),
    ]
