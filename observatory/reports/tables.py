"""A table as text, and how strongly a z cell is coloured: what the words and both formats share."""

from __future__ import annotations

from dataclasses import dataclass, field

from observatory.reports.style import NBSP


@dataclass(frozen=True)
class Table:
    """A table as text: a header, rows, and what the renderers need to style it."""

    header: list[str]
    rows: list[list[str]]
    groups: list[tuple[str, int]] = field(default_factory=list)  # (title, columns spanned)
    strong: set[int] = field(default_factory=set)  # rows in bold (totals)
    text_columns: int = 1  # leading columns of words; the others are numbers, right-aligned
    z_columns: set[int] = field(default_factory=set)  # columns holding a Poisson z
    caption: str = ""


def z_level(text: str) -> int:
    """−3..3 from a z written in French: how strongly to colour its cell."""
    try:
        z = float(text.replace(NBSP, "").replace("−", "-").replace(",", "."))
    except ValueError:
        return 0
    level = 3 if abs(z) >= 3 else 2 if abs(z) >= 2 else 1 if abs(z) >= 1 else 0
    return level if z > 0 else -level
