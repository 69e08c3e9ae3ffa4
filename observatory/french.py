"""Numbers written in French: 1 234,5 (a non-breaking space between thousands, a decimal comma)
with a true minus sign, for the readings of the evaluations and the words of the packs."""

from __future__ import annotations

import math

NBSP = "\u00a0"
MINUS = "−"
DASH = "—"


def fr(value: float, digits: int = 0) -> str:
    """A number in French writing: 1 234,5 with a true minus sign (never « −0 »)."""
    value = round(value, digits) + 0.0  # −0.4 rounds to −0.0; adding 0.0 makes it 0.0
    text = f"{value:,.{digits}f}".replace(",", NBSP).replace(".", ",")
    return text.replace("-", MINUS)


def fr_percent(value: float | None, digits: int = 1, *, signed: bool = True) -> str:
    """A percentage, in points, as « +1,4 % » or « −25 % » (``digits=0``): the sign is the rounded
    value's, so never « −0,0 % » nor « +0,0 % »; a dash for nothing."""
    if value is None or not math.isfinite(value):
        return DASH
    sign = "+" if signed and round(value, digits) > 0 else ""
    return f"{sign}{fr(value, digits)}{NBSP}%"
