"""The eight tables of STATISTICS.md against small case histories worked out by hand.

Dates are chosen to sit on the rules' edges: birthdays reached on the event day, 31 August
plus 6 months, 7/8, 30/31 and 90/91 days, 6/24 completed months at 31 December, statuses
that change after 31 December.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from casemgr.statistics.tables import TOTAL
from tests.statistics.helpers import add_needs, apply_again, fine, person, table, value

D = date


# --- applications ------------------------------------------------------------------------------

def test_applications_count_each_person_once_with_the_earlier_application(app, factories):
    agency = factories.organisation()
    # RUS woman, born 1990-05-17: 33 when she applies in the country on 10 March 2024.
    person(factories, agency, D(2024, 3, 10), sex="F")
    # KAZ man born 2006-03-01 applies at Incheon on 1 February 2024 (aged 17), is refused
    # referral, leaves, and applies again inland on 1 May 2024 (aged 18): counted once, as
    # the earlier application: port, first-time, 14-17.
    kaz = person(factories, agency, D(2024, 2, 1), ("not_referred", D(2024, 2, 3)),
                 ("closed", D(2024, 2, 10)), port="ICN", nationality="KAZ",
                 date_of_birth="2006-03-01")
    apply_again(app, kaz.applicant_id, D(2024, 5, 1))
    # RUS man who first applied in 2023 applies again in August 2024: subsequent.
    again = person(factories, agency, D(2023, 6, 1), ("rejected", D(2023, 9, 1)),
                   ("closed", D(2023, 12, 1)))
    apply_again(app, again.applicant_id, D(2024, 8, 1))

    cells = table(app, "applications", 2024)
    assert fine(cells) == {
        ("KAZ", "M", "Y14-17", "FIRST", "PORT"): 1,
        ("RUS", "F", "Y18-34", "FIRST", "INLAND"): 1,
        ("RUS", "M", "Y18-34", "SUBSEQUENT", "INLAND"): 1,
    }
    assert value(cells, citizenship="KAZ") == 1
    assert value(cells, citizenship="RUS") == 2
    assert value(cells) == 3
    assert fine(table(app, "applications", 2023)) == {
        ("RUS", "M", "Y18-34", "FIRST", "INLAND"): 1}


@pytest.mark.parametrize(("date_of_birth", "lodged_on", "age_group"), [
    ("2010", D(2024, 6, 30), "Y_LT14"),       # year only: 1 July 2010, 13 the day before
    ("2010", D(2024, 7, 1), "Y14-17"),        # ... and 14 on 1 July 2024
    ("2006-12", D(2024, 12, 14), "Y14-17"),   # month only: 15 December 2006
    ("2006-12", D(2024, 12, 15), "Y18-34"),
    ("2008-02-29", D(2026, 2, 27), "Y14-17"),
    ("2008-02-29", D(2026, 2, 28), "Y18-34"),  # 29 Feb 2008 + 18 years = 28 Feb 2026
    ("1989-07-01", D(2024, 6, 30), "Y18-34"),
    ("1989-07-01", D(2024, 7, 1), "Y35-64"),
    ("1959", D(2024, 6, 30), "Y35-64"),
    ("1959", D(2024, 7, 1), "Y_GE65"),
])
def test_age_group_at_lodging_uses_the_reference_date_of_the_birth_date(
        app, factories, date_of_birth, lodged_on, age_group):
    person(factories, factories.organisation(), lodged_on, date_of_birth=date_of_birth)
    assert fine(table(app, "applications", lodged_on.year)) == {
        ("RUS", "M", age_group, "FIRST", "INLAND"): 1}


def test_a_year_without_data_has_no_cells(app, factories):
    person(factories, factories.organisation(), D(2024, 3, 10))
    for name in ("applications", "first_instance_decisions", "pending", "processing_times",
                 "specific_needs"):
        assert table(app, name, 1995) == []


# --- referral decisions -----------------------------------------------------------------------

def test_referral_decisions_by_port_outcome_and_days_since_lodging(app, factories):
    agency = factories.organisation()
    # Lodged 28 Dec 2024, referred 2 Jan 2025: a 2025 outcome after 5 days.
    person(factories, agency, D(2024, 12, 28), ("first_instance", D(2025, 1, 2), "referred"),
           port="ICN")
    person(factories, agency, D(2025, 4, 1), ("first_instance", D(2025, 4, 8), "referred"),
           port="ICN")                                                      # 7 days
    person(factories, agency, D(2025, 3, 1), ("not_referred", D(2025, 3, 9)), port="PUS",
           nationality="KAZ")                                               # 8 days
    person(factories, agency, D(2025, 4, 1), ("first_instance", D(2025, 5, 1), "lapsed"),
           port="ICN")                                                      # 30 days
    person(factories, agency, D(2025, 4, 1), ("first_instance", D(2025, 5, 2), "referred"),
           port="ICN")                                                      # 31 days
    person(factories, agency, D(2025, 4, 1), ("first_instance", D(2025, 6, 30), "referred"),
           port="ICN")                                                      # 90 days
    person(factories, agency, D(2025, 4, 1), ("not_referred", D(2025, 7, 1)),
           port="ICN")                                                      # 91 days
    # Two port applications with outcomes in 2025: counted once, with the last outcome.
    twice = person(factories, agency, D(2025, 8, 1), ("not_referred", D(2025, 8, 3)),
                   ("closed", D(2025, 8, 5)), port="PUS", nationality="VNM")
    apply_again(factories.app, twice.applicant_id, D(2025, 9, 1),
                ("first_instance", D(2025, 9, 3), "referred"), port="ICN")
    # Not counted: an inland application, a referral still pending, a 2024 outcome.
    person(factories, agency, D(2025, 4, 1), ("rejected", D(2025, 5, 1)))
    person(factories, agency, D(2025, 12, 20), port="ICN")
    person(factories, agency, D(2024, 6, 1), ("first_instance", D(2024, 6, 3), "referred"),
           port="GMP")

    cells = table(app, "referral_decisions", 2025)
    assert fine(cells) == {
        ("ICN", "RUS", "REFERRED", "D0-7"): 2,
        ("PUS", "KAZ", "NOT_REFERRED", "D8-30"): 1,
        ("ICN", "RUS", "LAPSED", "D8-30"): 1,
        ("ICN", "RUS", "REFERRED", "D31-90"): 2,
        ("ICN", "RUS", "NOT_REFERRED", "D_GT90"): 1,
        ("ICN", "VNM", "REFERRED", "D0-7"): 1,
    }
    assert value(cells, citizenship="RUS") == 6
    assert value(cells, citizenship="KAZ") == 1
    assert value(cells, citizenship="VNM") == 1
    assert value(cells) == 8
    assert fine(table(app, "referral_decisions", 2024)) == {
        ("GMP", "RUS", "REFERRED", "D0-7"): 1}


# --- first-instance decisions -------------------------------------------------------------------

def first_instance_fixture(factories):
    """Ten persons with first-instance outcomes in 2025 (born 1990-05-17 unless said)."""
    agency = factories.organisation()
    app = factories.app
    person(factories, agency, D(2024, 10, 1), ("recognized", D(2025, 3, 1)), sex="F")  # 34
    person(factories, agency, D(2024, 10, 1), ("humanitarian", D(2025, 4, 1)))          # 34
    person(factories, agency, D(2024, 10, 1), ("rejected", D(2025, 5, 1)))              # 34
    person(factories, agency, D(2024, 10, 1), ("rejected", D(2025, 6, 1)),
           nationality="KAZ")                                                            # 35
    person(factories, agency, D(2024, 10, 1), ("withdrawn", D(2025, 2, 1)))             # 34
    person(factories, agency, D(2024, 10, 1), ("terminated", D(2025, 7, 1)), sex="F",
           nationality="KAZ")                                                            # 35
    # A port application withdrawn before any decision (referral pending).
    person(factories, agency, D(2025, 1, 5), ("withdrawn", D(2025, 1, 10)), port="ICN",
           nationality="SYR")                                                            # 34
    # Decided in 2024: not a 2025 decision.
    person(factories, agency, D(2024, 1, 5), ("rejected", D(2024, 12, 20)))
    # Rejected, then recognized on a new application, both in 2025: the last decision.
    twice = person(factories, agency, D(2024, 6, 1), ("rejected", D(2025, 1, 15)),
                   ("closed", D(2025, 1, 20)), nationality="VNM")
    apply_again(app, twice.applicant_id, D(2025, 2, 1), ("recognized", D(2025, 11, 1)))  # 35
    # Rejected, then a new application withdrawn, both in 2025: the decision on the merits.
    merits = person(factories, agency, D(2024, 6, 1), ("rejected", D(2025, 3, 1)),
                    ("closed", D(2025, 3, 5)), nationality="CHN", sex="F")               # 34
    apply_again(app, merits.applicant_id, D(2025, 4, 1), ("withdrawn", D(2025, 9, 1)))
    # 17 when lodging, 18 when decided: the age group is taken at the decision.
    person(factories, agency, D(2025, 1, 10), ("rejected", D(2025, 6, 20)),
           nationality="KAZ", date_of_birth="2007-06")


def test_first_instance_decisions_count_persons_by_outcome_at_the_decision(app, factories):
    first_instance_fixture(factories)
    cells = table(app, "first_instance_decisions", 2025)
    assert fine(cells) == {
        ("RUS", "F", "Y18-34", "RECOGNIZED"): 1,
        ("RUS", "M", "Y18-34", "HUMANITARIAN"): 1,
        ("RUS", "M", "Y18-34", "REJECTED"): 1,
        ("RUS", "M", "Y18-34", "WITHDRAWN"): 1,
        ("KAZ", "M", "Y35-64", "REJECTED"): 1,
        ("KAZ", "F", "Y35-64", "TERMINATED"): 1,
        ("KAZ", "M", "Y18-34", "REJECTED"): 1,
        ("SYR", "M", "Y18-34", "WITHDRAWN"): 1,
        ("VNM", "M", "Y35-64", "RECOGNIZED"): 1,
        ("CHN", "F", "Y18-34", "REJECTED"): 1,
    }
    assert [value(cells, citizenship=c) for c in ("RUS", "KAZ", "SYR", "VNM", "CHN")] == [
        4, 3, 1, 1, 1]
    assert value(cells) == 10


def test_rates_per_citizenship_and_overall_only_with_decisions_on_the_merits(app, factories):
    first_instance_fixture(factories)
    cells = table(app, "first_instance_decisions", 2025)
    rates = {(cell.dims[0], cell.measure): (cell.value, cell.n) for cell in cells
             if cell.measure != "persons"}
    assert rates == {
        # RUS: 1 recognized, 1 humanitarian, 1 rejected
        ("RUS", "refugee_recognition_rate"): (Decimal("0.3333"), 3),
        ("RUS", "total_protection_rate"): (Decimal("0.6667"), 3),
        ("KAZ", "refugee_recognition_rate"): (Decimal("0.0000"), 2),
        ("KAZ", "total_protection_rate"): (Decimal("0.0000"), 2),
        ("VNM", "refugee_recognition_rate"): (Decimal("1.0000"), 1),
        ("VNM", "total_protection_rate"): (Decimal("1.0000"), 1),
        ("CHN", "refugee_recognition_rate"): (Decimal("0.0000"), 1),
        ("CHN", "total_protection_rate"): (Decimal("0.0000"), 1),
        # 2 recognized, 1 humanitarian, 4 rejected: 2/7 = 0.28571…, 3/7 = 0.42857…
        (TOTAL, "refugee_recognition_rate"): (Decimal("0.2857"), 7),
        (TOTAL, "total_protection_rate"): (Decimal("0.4286"), 7),
    }  # SYR has only a withdrawal: no rate rows
    for cell in cells:
        if cell.measure != "persons":
            assert cell.dims[1:] == (TOTAL, TOTAL, TOTAL)


# --- objections --------------------------------------------------------------------------------

def objection_fixture(factories):
    agency = factories.organisation()
    # Objection lodged in 2024, dismissed in 2025.
    person(factories, agency, D(2024, 5, 1), ("rejected", D(2024, 11, 1)),
           ("objection", D(2024, 11, 20)), ("rejected", D(2025, 3, 1), "dismissed"))
    # Lodged and accepted in 2025.
    person(factories, agency, D(2024, 5, 1), ("rejected", D(2025, 1, 10)),
           ("objection", D(2025, 1, 20)), ("recognized", D(2025, 6, 1), "accepted"), sex="F")
    # Two objections in 2025: dismissed with humanitarian stay, then one withdrawn.
    person(factories, agency, D(2024, 5, 1), ("humanitarian", D(2025, 2, 1)),
           ("objection", D(2025, 2, 10)),
           ("humanitarian", D(2025, 5, 1), "dismissed_humanitarian"),
           ("objection", D(2025, 5, 10)), ("withdrawn", D(2025, 8, 1), "withdrawn"),
           nationality="KAZ")
    # Inadmissible.
    person(factories, agency, D(2024, 5, 1), ("rejected", D(2025, 3, 1)),
           ("objection", D(2025, 3, 10)), ("closed", D(2025, 4, 1), "inadmissible"),
           nationality="KAZ")
    # Lodged in 2025, undecided.
    person(factories, agency, D(2024, 5, 1), ("rejected", D(2025, 9, 1)),
           ("objection", D(2025, 9, 15)))


def test_objections_lodged_count_each_person_once(app, factories):
    objection_fixture(factories)
    cells = table(app, "objections_lodged", 2025)
    assert fine(cells) == {("RUS", "F"): 1, ("RUS", "M"): 1, ("KAZ", "M"): 2}
    assert (value(cells, citizenship="RUS"), value(cells, citizenship="KAZ"),
            value(cells)) == (2, 2, 4)
    assert fine(table(app, "objections_lodged", 2024)) == {("RUS", "M"): 1}


def test_objection_decisions_by_the_last_outcome_of_the_year(app, factories):
    objection_fixture(factories)
    cells = table(app, "objection_decisions", 2025)
    assert fine(cells) == {("RUS", "DISMISSED"): 1, ("RUS", "ACCEPTED"): 1,
                           ("KAZ", "WITHDRAWN"): 1, ("KAZ", "INADMISSIBLE"): 1}
    assert (value(cells, citizenship="RUS"), value(cells, citizenship="KAZ"),
            value(cells)) == (2, 2, 4)


def test_objection_processing_times_from_lodging_the_objection(app, factories):
    objection_fixture(factories)
    cells = table(app, "processing_times", 2025)
    # Every decision but the withdrawal: 22 (10 Mar → 1 Apr), 80 (10 Feb → 1 May),
    # 101 (20 Nov 2024 → 1 Mar), 132 (20 Jan → 1 Jun) days.
    assert value(cells, "n", stage="OBJECTION") == 4
    assert value(cells, "median_days", stage="OBJECTION") == Decimal("90.5")
    assert value(cells, "p90_days", stage="OBJECTION") == 132   # ceil(3.6) = 4th
    assert value(cells, "share_within_6_months", stage="OBJECTION") == Decimal("1.0000")


# --- pending -----------------------------------------------------------------------------------

def test_pending_on_31_december_by_stage_and_completed_months(app, factories):
    agency = factories.organisation()
    # Decided in February 2025: still pending at 31 December 2024 (9 months).
    person(factories, agency, D(2024, 3, 1), ("rejected", D(2025, 2, 1)))
    person(factories, agency, D(2024, 12, 30), port="ICN", nationality="KAZ", sex="F")
    person(factories, agency, D(2024, 6, 30))       # 30 June + 6 months = 30 Dec: 6 months
    person(factories, agency, D(2024, 7, 1))        # 1 July + 6 months = 1 Jan: 5 months
    person(factories, agency, D(2022, 12, 31))      # 24 months
    person(factories, agency, D(2023, 1, 1))        # 23 months
    person(factories, agency, D(2023, 5, 1), ("rejected", D(2024, 1, 10)),
           ("objection", D(2024, 1, 20)))
    person(factories, agency, D(2023, 5, 1), ("rejected", D(2024, 2, 1)),
           ("litigation", D(2024, 3, 1)))
    person(factories, agency, D(2024, 10, 25), ("not_referred", D(2024, 11, 1)),
           ("referral_litigation", D(2024, 11, 20)), port="PUS")
    # Not pending at 31 December 2024.
    person(factories, agency, D(2024, 11, 28), ("not_referred", D(2024, 12, 1)), port="ICN")
    person(factories, agency, D(2024, 3, 1), ("rejected", D(2024, 12, 31)))
    person(factories, agency, D(2025, 1, 5))
    person(factories, agency, D(2024, 3, 1), ("rejected", D(2024, 5, 1)))
    person(factories, agency, D(2024, 2, 1), ("rejected", D(2024, 12, 1)),
           ("objection", D(2025, 1, 10)))

    cells = table(app, "pending", 2024)
    assert fine(cells) == {
        ("FIRST_INSTANCE", "RUS", "M", "M6-11"): 2,
        ("FIRST_INSTANCE", "RUS", "M", "M_LT6"): 1,
        ("FIRST_INSTANCE", "RUS", "M", "M12-23"): 1,
        ("FIRST_INSTANCE", "RUS", "M", "M_GE24"): 1,
        ("REFERRAL", "KAZ", "F", "M_LT6"): 1,
        ("OBJECTION", "RUS", "M", "M12-23"): 1,
        ("LITIGATION", "RUS", "M", "M12-23"): 1,
        ("LITIGATION", "RUS", "M", "M_LT6"): 1,
    }
    assert (value(cells, citizenship="RUS"), value(cells, citizenship="KAZ"),
            value(cells)) == (8, 1, 9)
    # A year later the February 2025 decision and the January 2025 objection show; the
    # duration still runs from the lodging of the application.
    later = fine(table(app, "pending", 2025))
    assert later[("OBJECTION", "RUS", "M", "M12-23")] == 1      # lodged 1 February 2024
    assert later[("OBJECTION", "RUS", "M", "M_GE24")] == 1      # lodged 1 May 2023
    assert later[("FIRST_INSTANCE", "RUS", "M", "M6-11")] == 1  # lodged 5 January 2025


# --- processing times -------------------------------------------------------------------------

def test_first_instance_processing_times_median_p90_and_six_months(app, factories):
    agency = factories.organisation()
    person(factories, agency, D(2024, 8, 31), ("rejected", D(2025, 2, 28)))   # 181 d, within
    person(factories, agency, D(2024, 8, 31), ("rejected", D(2025, 3, 1)))    # 182 d, not
    person(factories, agency, D(2025, 1, 1), ("recognized", D(2025, 1, 11)))  # 10 d
    person(factories, agency, D(2025, 1, 1), ("humanitarian", D(2025, 1, 21)))  # 20 d
    person(factories, agency, D(2024, 6, 1), ("rejected", D(2025, 6, 1)))     # 365 d
    person(factories, agency, D(2025, 1, 1), ("withdrawn", D(2025, 1, 5)))    # not a decision

    cells = table(app, "processing_times", 2025)
    # 10, 20, 181, 182, 365: the middle one; ceil(0.9 × 5) = 5th; 3 of 5 within.
    assert [(c.dims, c.measure, c.value) for c in cells] == [
        (("FIRST_INSTANCE",), "n", 5),
        (("FIRST_INSTANCE",), "median_days", Decimal("181.0")),
        (("FIRST_INSTANCE",), "p90_days", 365),
        (("FIRST_INSTANCE",), "share_within_6_months", Decimal("0.6000")),
    ]
    person(factories, agency, D(2025, 3, 1), ("rejected", D(2025, 3, 31)))    # 30 d
    cells = table(app, "processing_times", 2025)
    # 10, 20, 30, 181, 182, 365: (30 + 181) / 2; ceil(5.4) = 6th; 4 of 6 within.
    assert value(cells, "n", stage="FIRST_INSTANCE") == 6
    assert value(cells, "median_days", stage="FIRST_INSTANCE") == Decimal("105.5")
    assert value(cells, "p90_days", stage="FIRST_INSTANCE") == 365
    assert value(cells, "share_within_6_months", stage="FIRST_INSTANCE") == Decimal("0.6667")
    assert all(cell.n == 6 for cell in cells if cell.measure != "n")


def test_processing_times_count_decisions_not_persons(app, factories):
    first_instance_fixture(factories)
    decisions = table(app, "first_instance_decisions", 2025)
    merits = sum(v for dims, v in fine(decisions).items()
                 if dims[3] in {"RECOGNIZED", "HUMANITARIAN", "REJECTED"})
    assert merits == 7  # persons
    # ... but 8 decisions: the VNM person was rejected and later recognized in 2025.
    assert value(table(app, "processing_times", 2025), "n", stage="FIRST_INSTANCE") == 8


# --- specific needs ----------------------------------------------------------------------------

def test_specific_needs_by_category_sex_and_age_band_at_lodging(app, factories):
    agency = factories.organisation()
    child = person(factories, agency, D(2025, 2, 1), sex="F", date_of_birth="2015-01-01")
    add_needs(app, child.applicant_id, "SC-UC", "SC-SC", "CR-CP")  # two SC codes: SC once
    adult = person(factories, agency, D(2025, 2, 1))                 # 34
    add_needs(app, adult.applicant_id, "SM-CI", "SV-VA")
    older = person(factories, agency, D(2025, 2, 1), sex="F", nationality="KAZ",
                   date_of_birth="1960-01-01")                       # 65
    add_needs(app, older.applicant_id, "SM-MI")
    sixty = person(factories, agency, D(2025, 7, 1), date_of_birth="1965")  # 1 July: 60
    add_needs(app, sixty.applicant_id, "ER-NF")
    fifty_nine = person(factories, agency, D(2025, 6, 30), date_of_birth="1965")
    add_needs(app, fifty_nine.applicant_id, "ER-UR")
    earlier = person(factories, agency, D(2024, 2, 1))
    add_needs(app, earlier.applicant_id, "SM-CI")
    person(factories, agency, D(2025, 2, 1))                         # no needs

    cells = table(app, "specific_needs", 2025)
    assert fine(cells) == {
        ("CR", "F", "Y_LT18"): 1, ("SC", "F", "Y_LT18"): 1,
        ("SM", "M", "Y18-59"): 1, ("SV", "M", "Y18-59"): 1, ("SM", "F", "Y_GE60"): 1,
        ("ER", "M", "Y_GE60"): 1, ("ER", "M", "Y18-59"): 1,
    }
    totals = {cell.dims[0]: cell.value for cell in cells if cell.is_total}
    assert totals == {"CR": 1, "SC": 1, "SM": 2, "SV": 1, "ER": 2}
