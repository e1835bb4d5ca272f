"""The in-file duplicate search compares exactly the pairs of a block whose dates of birth
are compatible (the same date, or one known only to a year or month the other shares),
in file order, without testing every pair."""

from __future__ import annotations

from itertools import combinations

from hypothesis import given
from hypothesis import strategies as st

from casemgr.applicants.matching import dob_compatible
from casemgr.exchange.validate import _birth_compatible_pairs

# Few distinct values, so that equal and partial dates meet often.
birth = st.sampled_from(["1990", "1990-05", "1990-06", "1990-05-17", "1990-05-18",
                         "1990-06-01"])


@given(st.lists(birth, max_size=40), st.data())
def test_the_pairs_are_every_compatible_pair_in_file_order(births: list[str], data) -> None:
    members = sorted(data.draw(st.sets(st.integers(0, max(len(births) - 1, 0)))
                               )) if births else []
    expected = [(a, b) for a, b in combinations(members, 2)
                if dob_compatible(births[a], births[b])]
    assert _birth_compatible_pairs(members, births) == expected


def test_a_year_alone_meets_every_date_of_that_year_and_a_month_its_days() -> None:
    births = ["1990-05-17", "1990", "1990-06-01", "1990-05", "1990-05-17"]
    assert _birth_compatible_pairs([0, 1, 2, 3, 4], births) == [
        (0, 1), (0, 3), (0, 4), (1, 2), (1, 3), (1, 4), (3, 4)]
