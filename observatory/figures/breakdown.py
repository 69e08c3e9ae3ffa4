"""How a figure's counts are keyed: one total, or per category, or per family."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

By = Literal["total", "category", "family"]
TOTAL = "total"
TOTAL_LABEL = "Ensemble des faits"


def key_of(by: By, family_of: Mapping[str, str]) -> dict[str, str] | None:
    """Category code → key of the breakdown (None: one total)."""
    if by == "category":
        return {code: code for code in family_of}
    if by == "family":
        return dict(family_of)
    return None


def label(key: str, labels: Mapping[str, str]) -> str:
    return TOTAL_LABEL if key == TOTAL else labels.get(key, key)
