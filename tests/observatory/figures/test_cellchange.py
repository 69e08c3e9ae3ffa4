"""Two periods compared by cell: counts side by side, CompStat's z, the exact test's reading."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.stats import binomtest

from observatory.figures.cellchange import cell_changes


def test_a_single_fact_against_none_is_no_rise() -> None:
    """z = 2 for one fact against none (CompStat's z): the exact test keeps the cell grey."""
    table = cell_changes([1], [0], [1], [1], 7, 7)

    assert_allclose(table.z, [2.0])
    assert table.level == ["stable"]
    strong = cell_changes([1], [2], [1], [40], 7, 7)
    assert strong.level == ["hausse_forte"]
    fall = cell_changes([1, 2], [30, 30], [1, 2], [12, 30], 7, 7)
    assert fall.level == ["baisse", "stable"]


def test_cells_of_either_period_line_up_with_zeros() -> None:
    table = cell_changes([5, 9], [3, 1], [2, 9], [4, 2], 14, 7)

    assert_array_equal(table.cells, [2, 5, 9])
    assert_array_equal(table.count_a, [0, 3, 1])
    assert_array_equal(table.count_b, [4, 0, 2])
    assert_allclose(table.expected_b, [0, 1.5, 0.5])
    assert_allclose(table.z, 2 * (np.sqrt([4, 0, 2]) - np.sqrt([0, 1.5, 0.5])))


@pytest.mark.parametrize(("a", "b"), [(3, 17), (10, 10), (25, 8), (0, 6)])
def test_the_p_of_equal_periods_is_scipys_exact_test(a: int, b: int) -> None:
    """For two periods of one length the split is at one half, where the two-sided p of the
    binomial test (scipy) is twice the smaller tail: the same number."""
    table = cell_changes([1], [a], [1], [b], 7, 7)

    assert_allclose(table.p, [binomtest(b, a + b, 0.5).pvalue], rtol=1e-9)


def test_a_period_of_no_day_is_refused() -> None:
    with pytest.raises(ValueError, match="jour"):
        cell_changes([1], [1], [1], [1], 0, 7)
