"""The pack's chart axes read in French: whole counts as 1 200, a fraction as 17,5."""

from __future__ import annotations

from observatory.reports.charts import FRENCH_TICKS
from observatory.reports.style import NBSP


def test_ticks_have_a_decimal_comma_and_grouped_thousands() -> None:
    assert FRENCH_TICKS(17.5, 0) == "17,5"
    assert FRENCH_TICKS(1200.0, 0) == f"1{NBSP}200"
    assert FRENCH_TICKS(0.0, 0) == "0"
    assert FRENCH_TICKS(-0.0, 0) == "0"
