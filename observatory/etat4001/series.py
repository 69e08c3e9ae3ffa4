"""Yearly series of état 4001 figures: the count, the change on the year before, the Poisson z.

Pure functions (no database): a series is given as ``{year: {month: count}}``, month 0 holding
annual figures (the national workbook) and 1..12 monthly ones (local extracts).

- A year is complete when given by annual figures only, or by its twelve months.
- Year-over-year: a complete year is compared with the year before when that one is complete
  too; a year known only by some months (an extract of the year so far) is compared with the
  same months of the year before, when those are known month by month (the CompStat « year to
  date »). Otherwise there is no comparison (``previous`` is null): a year of annual figures
  and a part of a year are not put side by side.
- ``z = 2(√C − √P)``: under a Poisson model of both counts, roughly a standard normal when
  nothing changed; |z| ≥ 2 is a change unlikely to be chance (DESIGN.md, CompStat table). It is
  given beside the percentage so that small counts are not over-read.
"""

from __future__ import annotations

import math
from typing import Any

ALL_MONTHS = frozenset(range(1, 13))


def poisson_z(current: int, previous: int) -> float:
    return 2.0 * (math.sqrt(current) - math.sqrt(previous))


def yearly_points(cells: dict[int, dict[int, int]]) -> list[dict[str, Any]]:
    """One point per year with figures, oldest first."""
    points = []
    for year in sorted(cells):
        months = cells[year]
        count = sum(months.values())
        monthly = {m for m in months if m}
        complete = _complete(months)
        previous = _previous(months, cells.get(year - 1))
        point: dict[str, Any] = {
            "year": year,
            "count": count,
            "months": 12 if complete else len(monthly),
            "complete": complete,
            "previous": previous,
            "change": None,
            "change_pct": None,
            "z": None,
        }
        if previous is not None:
            point["change"] = count - previous
            point["change_pct"] = (
                round(100.0 * (count - previous) / previous, 1) if previous else None
            )
            point["z"] = round(poisson_z(count, previous), 2)
        points.append(point)
    return points


def _complete(months: dict[int, int]) -> bool:
    monthly = {m for m in months if m}
    return (0 in months and not monthly) or monthly == ALL_MONTHS


def _previous(months: dict[int, int], before: dict[int, int] | None) -> int | None:
    """The count of the year before to compare with, or None when they do not compare."""
    if before is None:
        return None
    if _complete(months) and _complete(before):
        return sum(before.values())
    monthly = {m for m in months if m}
    if 0 in months or 0 in before or not monthly <= set(before):
        return None
    return sum(before[m] for m in monthly)
