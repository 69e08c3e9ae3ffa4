"""French number writing: the one percent formatter of the evaluations and the packs."""

from __future__ import annotations

import math

import pytest

from observatory.french import DASH, NBSP, fr, fr_percent


@pytest.mark.parametrize(
    ("value", "digits", "signed", "text"),
    [
        (12.345, 1, True, "+12,3 %"),
        (-2.0, 1, True, "−2,0 %"),
        (1234.5, 1, True, "+1 234,5 %"),
        (-25.4, 0, True, "−25 %"),
        (12.0, 0, True, "+12 %"),
        (25.4, 0, False, "25 %"),
        # The sign is the rounded value's: a tiny change is neither « +0,0 % » nor « −0,0 % ».
        (0.04, 1, True, "0,0 %"),
        (-0.04, 1, True, "0,0 %"),
        (-0.4, 0, True, "0 %"),
        (0.0, 1, True, "0,0 %"),
    ],
)
def test_fr_percent(value: float, digits: int, signed: bool, text: str) -> None:
    assert fr_percent(value, digits, signed=signed) == text.replace(" ", NBSP)


@pytest.mark.parametrize("value", [None, math.nan, math.inf, -math.inf])
def test_fr_percent_of_nothing_is_a_dash(value: float | None) -> None:
    assert fr_percent(value) == DASH


def test_the_evaluations_shares_read_as_before() -> None:
    """The evaluations pass shares: 100 × share at no decimal, as their own formatter wrote them."""
    for share in (-0.254, 0.125, 0.135, -0.004, 0.0049, 0.995, -1.0):
        value = round(100 * share)
        before = f"{'+' if value > 0 else ''}{fr(value)}{NBSP}%"
        assert fr_percent(100 * share, 0) == before


def test_fr_never_writes_minus_zero() -> None:
    assert fr(-0.4) == "0"
    assert fr(-1234.56, 1) == "−1 234,6".replace(" ", NBSP)
