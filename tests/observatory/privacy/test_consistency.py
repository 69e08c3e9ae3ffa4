"""Noisy counts made one set: fit_groups against a projection computed another way."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from observatory.privacy.consistency import _project, fit_groups


def projection_by_bisection(values: np.ndarray, total: float) -> np.ndarray:
    """The Euclidean projection on {x ≥ 0, Σx = total}: the shift θ found by bisection."""
    low, high = values.min() - total - 1, values.max() + 1
    for _ in range(200):
        theta = (low + high) / 2
        if np.maximum(values - theta, 0).sum() > total:
            low = theta
        else:
            high = theta
    return np.maximum(values - (low + high) / 2, 0)


groups = st.lists(
    st.tuples(
        st.lists(st.integers(-12, 40), min_size=1, max_size=30),
        st.integers(0, 200),
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=200, deadline=None)
@given(groups)
def test_projection_equals_bisection(drawn: list[tuple[list[int], int]]) -> None:
    values = np.concatenate([np.array(v, float) for v, _ in drawn])
    group = np.concatenate([np.full(len(v), i) for i, (v, _) in enumerate(drawn)])
    totals = np.array([t for _, t in drawn], float)
    projected = _project(values, group, totals)
    for i, (v, t) in enumerate(drawn):
        assert_allclose(
            projected[group == i], projection_by_bisection(np.array(v, float), t), atol=1e-6
        )


@settings(max_examples=200, deadline=None)
@given(groups)
def test_fitted_counts_are_non_negative_integers_adding_up(
    drawn: list[tuple[list[int], int]],
) -> None:
    values = np.concatenate([np.array(v, float) for v, _ in drawn])
    group = np.concatenate([np.full(len(v), i) for i, (v, _) in enumerate(drawn)])
    totals = np.array([t for _, t in drawn])
    fitted = fit_groups(values, group, totals)
    assert fitted.dtype.kind == "i"
    assert (fitted >= 0).all()
    np.testing.assert_array_equal(np.bincount(group, weights=fitted, minlength=totals.size), totals)
    # Rounding moves no value by a whole unit or more from the projection.
    assert np.abs(fitted - _project(values, group, totals.astype(float))).max() < 1


def test_hand_computed_example() -> None:
    # 3.2, −1, 0.5, 7 fitted to 9: the shift is 0.6 (3.2 − 0.6 + 7 − 0.6 = 9): 2.6, 0, 0, 6.4,
    # rounded keeping 9: 3, 0, 0, 6. Three equal values fitted to 4: 2, 1, 1 (first wins a tie).
    fitted = fit_groups(
        np.array([3.2, -1, 0.5, 7, 2, 2, 2]), np.array([0, 0, 0, 0, 1, 1, 1]), np.array([9, 4])
    )
    assert fitted.tolist() == [3, 0, 0, 6, 2, 1, 1]


def test_exact_counts_are_kept() -> None:
    counts = np.array([4, 0, 7, 1, 0, 3])
    fitted = fit_groups(counts, np.array([0, 0, 0, 1, 1, 1]), np.array([11, 4]))
    assert fitted.tolist() == counts.tolist()
