"""Complementary suppression: the hidden parts never follow from the total shown."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from observatory.analytics.secrecy import suppressed

T = 5


def test_no_small_part_nothing_hidden() -> None:
    assert suppressed([0, 5, 12], T) == (set(), False)


def test_one_small_part_takes_the_smallest_other_with_it() -> None:
    # 3 alone would be total − 5 − 12 − 40; with the 5 hidden too, only 3 + 5 = 8 is known.
    assert suppressed([3, 12, 5, 40], T) == ({0, 2}, False)


def test_two_small_parts_adding_up_under_the_threshold_take_a_third() -> None:
    # 1 + 1 = 2 would say both are 1.
    assert suppressed([1, 1, 9, 30], T) == ({0, 1, 2}, False)


def test_total_hidden_when_the_parts_cannot_protect_it() -> None:
    assert suppressed([2, 0], T) == ({0, 1}, True)


def test_everyone_sees_everything_without_a_threshold() -> None:
    assert suppressed([1, 2, 3], None) == (set(), False)


@given(st.lists(st.integers(0, 30), min_size=1, max_size=12))
def test_property(parts: list[int]) -> None:
    hidden, total_hidden = suppressed(parts, T)
    assert {i for i, n in enumerate(parts) if 0 < n < T} <= hidden
    if hidden and not total_hidden:
        # What the total gives away: the sum of the hidden parts, never a single one of them,
        # and a sum that could be many things.
        assert len(hidden) >= 2
        assert sum(parts[i] for i in hidden) >= T
